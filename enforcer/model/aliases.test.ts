// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { test } from "node:test";
import { dir, effective, file, path, pattern, proc } from "../compilers/fixtures.js";
import { decide } from "../compilers/oracle.js";
import { expandAliases } from "./aliases.js";

// Debian 12: /bin -> /usr/bin, /usr/bin/sh -> dash
const links: Record<string, string> = { "/bin": "/usr/bin" };
const resolve = (p: string) => {
  for (const [from, to] of Object.entries(links))
    if (p === from || p.startsWith(from + "/")) return to + p.slice(from.length);
  return p === "/usr/bin/sh" ? "/usr/bin/dash" : p;
};

test("a rule on a symlinked path gets a copy on the resolved path; ids of the originals are kept", () => {
  const e = effective([
    proc("Block", path("/bin/sleep")),
    file("Block", dir("/bin/", true)),
    file("Audit", pattern("/bin/*.sh")),
    proc("Block", path("/usr/bin/sh")),
    file("Block", path("/etc/shadow")),
  ]);
  const { effective: x, aliases } = expandAliases(e, resolve);
  assert.equal(x.rules.length, 9);
  assert.deepEqual(x.rules.slice(0, 5), e.rules, "original rules unchanged, in place");
  const m = x.rules.slice(5).map(r => ("match" in r ? r.match : undefined));
  assert.deepEqual(m, [
    { type: "path", path: "/usr/bin/sleep" },
    { type: "dir", dir: "/usr/bin/", recursive: true },
    { type: "pattern", pattern: "/usr/bin/*.sh" },
    { type: "path", path: "/usr/bin/dash" },
  ]);
  assert.equal(x.rules[5]!.origin, e.rules[0]!.origin, "a copy names the user's rule");
  assert.ok(aliases.includes("/bin/sleep → /usr/bin/sleep"));
});

test("fromSource binaries are extended by their resolved paths", () => {
  const e = effective([file("Block", path("/etc/hosts"), { fromSource: ["/bin/cat"] })]);
  const { effective: x } = expandAliases(e, resolve);
  assert.deepEqual((x.rules[0] as { fromSource: string[] }).fromSource, ["/bin/cat", "/usr/bin/cat"]);
});

test("the oracle now blocks what the kernel reports (the resolved path)", () => {
  const e = effective([proc("Block", path("/bin/sleep"))]);
  const ev = { operation: "process" as const, path: "/usr/bin/sleep", source: "/usr/bin/bash", uid: 0 };
  assert.equal(decide(e, ev).verdict === "Block", false, "without aliases the rule misses");
  assert.equal(decide(expandAliases(e, resolve).effective, ev).verdict, "Block");
});

test("no aliases: the same object comes back", () => {
  const e = effective([proc("Block", path("/usr/bin/sleep"))]);
  assert.equal(expandAliases(e, resolve).effective, e);
});
