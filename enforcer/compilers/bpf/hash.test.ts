// SPDX-License-Identifier: Apache-2.0

import { test } from "node:test";
import assert from "node:assert/strict";
import { FNV_OFFSET, fnvStep, fnvUpdate, HASH_VECTORS, hashKey, hashString, hashStringFast } from "./hash.js";

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
