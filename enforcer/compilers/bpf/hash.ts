// SPDX-License-Identifier: Apache-2.0
//
// FNV-1a 64, identical to rampart_fnv_step()/rampart_hash_key() in bpf/include/rules.h.

export const FNV_OFFSET = 0xcbf29ce484222325n;
export const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** One step of the running state (the kernel walks the path byte by byte). */
export function fnvStep(h: bigint, byte: number): bigint {
  return ((h ^ BigInt(byte)) * FNV_PRIME) & MASK;
}

/** Running state after `bytes`, starting from `h`. */
export function fnvUpdate(h: bigint, bytes: Uint8Array, start = 0, end = bytes.length): bigint {
  for (let i = start; i < end; i++) h = ((h ^ BigInt(bytes[i]!)) * FNV_PRIME) & MASK;
  return h;
}

/** A state used as a map key: 0 is reserved for "any source". */
export function hashKey(h: bigint): bigint {
  return h === 0n ? 1n : h;
}

/** Key hash of a string (its UTF-8 bytes). */
export function hashString(s: string): bigint {
  return hashKey(fnvUpdate(FNV_OFFSET, Buffer.from(s, "utf8")));
}

/**
 * The same hash on 32-bit halves (no BigInt per byte): the compiler hashes every rule string and
 * the benchmark compiles 50,000 rules, so this is the hot path. Checked against fnvUpdate in tests.
 */
export function hashStringFast(s: string): bigint {
  const bytes = Buffer.from(s, "utf8");
  let lo = 0x84222325;
  let hi = 0xcbf29ce4;
  for (let i = 0; i < bytes.length; i++) {
    lo = (lo ^ bytes[i]!) >>> 0;
    // h * (2^40 + 0x1b3) mod 2^64
    const l = lo * 0x1b3;
    const carry = Math.floor(l / 0x100000000);
    const h = hi * 0x1b3 + carry + (lo & 0xffffff) * 0x100;
    lo = l >>> 0;
    hi = h % 0x100000000 >>> 0;
  }
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  return v === 0n ? 1n : v;
}

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
