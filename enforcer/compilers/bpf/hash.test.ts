// SPDX-License-Identifier: Apache-2.0

import { test } from "node:test";
import assert from "node:assert/strict";
import { FNV_OFFSET, fnvStep, fnvUpdate, hashKey, hashString, hashStringFast } from "./hash.js";

/** Test vectors for the C and Rust implementations: [string, rampart_hash_key(FNV-1a 64) in hex]. */
export const HASH_VECTORS: Array<[string, string]> = [
  ["", "cbf29ce484222325"],
  ["/", "af63a24c860189fe"],
  ["a", "af63dc4c8601ec8c"],
  ["/bin/sleep", "b529c95c532c652f"],
  ["/etc/", "1e6bc4232277bb31"],
  ["/usr/bin/", "e0271edb8b74c247"],
  ["/bin/cat", "24d92262e4a84220"],
  ["foobar", "85944171f73967e8"],
];

test("FNV-1a 64 test vectors (shared with bpf/include/rules.h and the Rust mirror)", () => {
  for (const [s, hex] of HASH_VECTORS) {
    assert.equal(hashString(s).toString(16), hex, s);
    assert.equal(hashStringFast(s).toString(16), hex, s);
  }
});

test("fast and BigInt implementations agree on random strings, incl. UTF-8", () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 2000; i++) {
    const s = Array.from({ length: Math.floor(rnd() * 80) }, () =>
      String.fromCodePoint(Math.floor(rnd() * (rnd() < 0.9 ? 128 : 0x3000))),
    ).join("");
    assert.equal(hashStringFast(s), hashString(s));
  }
});

test("incremental state equals whole-string hash (the kernel hashes prefixes while walking)", () => {
  const b = Buffer.from("/usr/lib/x86_64-linux-gnu/libc.so.6");
  let h = FNV_OFFSET;
  for (const c of b) h = fnvStep(h, c);
  assert.equal(h, fnvUpdate(FNV_OFFSET, b));
  assert.equal(hashKey(0n), 1n);
});
