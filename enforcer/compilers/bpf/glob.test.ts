// SPDX-License-Identifier: Apache-2.0
//
// The kernel glob (anchor + bit-parallel NFA) agrees with the oracle's regular-expression reading
// of the same pattern, on random patterns and paths; bpfCanExpress names what it cannot hold.

import { test } from "node:test";
import assert from "node:assert/strict";
import { globMatches } from "../oracle.js";
import { rng } from "./cases.js";
import { bpfCanExpress, nfaRun, nfaTables, parseGlobs } from "./glob.js";

function nfaMatches(pattern: string, path: string): boolean {
  const alts = parseGlobs(pattern);
  if (typeof alts === "string") throw new Error(alts);
  const bytes = Buffer.from(path, "utf8");
  return alts.some(g => {
    const a = Buffer.from(g.anchor, "utf8");
    if (bytes.length < a.length || !bytes.subarray(0, a.length).equals(a)) return false;
    return nfaRun(nfaTables(g), bytes, a.length);
  });
}

test("NFA == regex on 30,000 random (pattern, path) pairs", () => {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const atoms = ["a", "b", "/", "*", "**", "?", "[ab]", "[^a]", "[a-c]", "é", ".", "{a,b/c}", "{,x}"];
  const chars = ["a", "b", "c", "/", "x", "é", "."];
  let matches = 0;
  for (let i = 0; i < 3000; i++) {
    let p = "/" + Array.from({ length: 1 + Math.floor(r() * 6) }, () => pick(atoms)).join("");
    if (p.endsWith("/")) p += "a";
    if (bpfCanExpress(p) !== undefined) continue;
    for (let j = 0; j < 10; j++) {
      const path = "/" + Array.from({ length: Math.floor(r() * 8) }, () => pick(chars)).join("");
      const want = globMatches(p, path);
      assert.equal(nfaMatches(p, path), want, `${p} vs ${path}`);
      if (want) matches++;
    }
  }
  assert.ok(matches > 1000, `${matches} matching pairs`);
});

test("long paths: a glob anchored deep in a 4,000-byte path", () => {
  const deep = "/" + Array.from({ length: 300 }, (_, i) => `d${i}`).join("/");
  const p = deep + "/*.log";
  assert.equal(bpfCanExpress(p), undefined);
  assert.ok(nfaMatches(p, deep + "/x.log"));
  assert.ok(!nfaMatches(p, deep + "/x/y.log"));
  assert.ok(nfaMatches("/**/y.log", deep + "/x/y.log"));
});

test("bpfCanExpress explains what the kernel cannot hold", () => {
  assert.equal(bpfCanExpress("/etc/*hado?"), undefined);
  assert.equal(bpfCanExpress("/etc/ssl/{certs,private}/*.[pk]em"), undefined);
  assert.match(bpfCanExpress("etc/*")!, /absolute/);
  assert.match(bpfCanExpress("/etc/\\*")!, /backslash/);
  assert.match(bpfCanExpress("/etc/[a/b]")!, /inside a character class/);
  assert.match(bpfCanExpress("/etc/[]")!, /unclosed|empty/);
  assert.match(bpfCanExpress("/etc/" + "?".repeat(64))!, /63/);
  assert.match(bpfCanExpress("/{a,b}{c,d}{e,f}{g,h}{i,j}/x")!, /alternatives/);
  assert.match(bpfCanExpress("/etc/{a,b")!, /unbalanced/);
  assert.match(bpfCanExpress("/etc/")!, /bare directory/);
});
