// SPDX-License-Identifier: Apache-2.0
import { test } from "node:test";
import assert from "node:assert/strict";
import { terminalJson, terminalLine, terminalSafe } from "./terminal-text.js";

test("terminalSafe escapes controls, format characters and backslashes; leaves printable text alone", () => {
  assert.equal(terminalSafe("/usr/bin/cat"), "/usr/bin/cat");
  assert.equal(terminalSafe("/tmp/ü file"), "/tmp/ü file");
  assert.equal(terminalSafe("/tmp/\x1b]52;c;Zm9v\x07"), "/tmp/\\x1b]52;c;Zm9v\\x07");
  assert.equal(terminalSafe("a\nResource: /etc/fake"), "a\\nResource: /etc/fake");
  assert.equal(terminalSafe("x\u009b2J"), "x\\x9b2J"); // C1 CSI
  assert.equal(terminalSafe("evil\u202etxt.sh"), "evil\\u{202e}txt.sh"); // bidi override
  assert.equal(terminalSafe("a\u200bb\ufeff\u2028"), "a\\u{200b}b\\u{feff}\\u{2028}");
  assert.equal(terminalSafe("C:\\x1b"), "C:\\\\x1b"); // a literal backslash cannot pose as an escape
});

test("terminalLine keeps one line and replaces what it cannot show", () => {
  assert.equal(terminalLine("f.yaml#1 spec: bad\r\nnext"), "f.yaml#1 spec: bad next");
  assert.equal(terminalLine("name a\x1b[31mb\u202ec\u009b"), "name a?[31mb?c?");
  assert.equal(terminalLine("a\u2028b"), "a b");
});

test("terminalJson keeps JSON valid and equal in meaning", () => {
  const v = { path: "/tmp/\u009b2J\u202e\u2028x", tag: "\u{e0041}" };
  const out = terminalJson(JSON.stringify(v));
  assert.ok(!/[\u0080-\u009f\u202e\u2028]/.test(out), out);
  assert.ok(!out.includes("\u{e0041}"), out);
  assert.deepEqual(JSON.parse(out), v);
});
