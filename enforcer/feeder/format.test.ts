// SPDX-License-Identifier: Apache-2.0
import { test } from "node:test";
import assert from "node:assert/strict";
import { messageLine, textBlock } from "./format.js";

test("text form: strings from the workload cannot drive the terminal or forge lines", () => {
  const out = textBlock(
    {
      UpdatedTime: "2026-12-01T10:00:00Z",
      HostName: "node-1",
      Type: "MatchedPolicy",
      PolicyName: "block-tmp",
      Resource: "/tmp/\x1b]52;c;cm0gLXJmIH4=\x07\nAction: Allow",
      ProcessName: "/tmp/\u202egnp.sh",
      Labels: "app=web",
      Operation: "File",
      Action: "Block",
    },
    "Alert",
  );
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u202e]/.test(out), JSON.stringify(out));
  const lines = out.trimEnd().split("\n");
  assert.equal(lines.filter(l => l.startsWith("Action: ")).length, 1, "no forged Action line");
  assert.ok(lines.includes("Resource: /tmp/\\x1b]52;c;cm0gLXJmIH4=\\x07\\nAction: Allow"), out);
  assert.ok(lines.includes("Action: Block"), out);
  assert.ok(lines.includes("ProcessName: /tmp/\\u{202e}gnp.sh"), out);
});

test("message line: one line, inert", () => {
  const line = messageLine({
    UpdatedTime: "2026-12-01T10:00:00Z",
    HostName: "n\x1b[2J",
    Level: "info",
    Message: "a\nb",
  });
  assert.equal(line, "2026-12-01 10:00:00    n\\x1b[2J  [info]  a\\nb\n");
});
