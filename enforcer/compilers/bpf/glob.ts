// SPDX-License-Identifier: Apache-2.0
//
// matchPatterns in the kernel: a glob is split at its anchor directory (literal prefix up to the
// last `/` before the first wildcard) and the rest becomes a bit-parallel NFA (struct
// rampart_glob in bpf/include/rules.h). This file decides what the kernel can express
// (bpfCanExpress, for validation and for the compiler) and builds the NFA tables.

import { expandBraces } from "../oracle.js";

export const GLOB_MAX_POS = 63;
export const GLOB_MAX_PER_ANCHOR = 16;
export const GLOB_MAX_PER_WORKLOAD = 256;

/** One NFA element: a set of bytes, consumed once (`single`) or any number of times (`star`). */
export interface GlobElement {
  star: boolean;
  bytes: Uint8Array; // 256 entries, 1 = accepted
}

export interface CompiledGlob {
  anchor: string;
  elements: GlobElement[];
}

const SLASH = 0x2f;

function set(pred: (b: number) => boolean): Uint8Array {
  const s = new Uint8Array(256);
  for (let b = 0; b < 256; b++) s[b] = pred(b) ? 1 : 0;
  return s;
}
const ANY_BUT_SLASH = set(b => b !== SLASH && b !== 0);
const ANY = set(b => b !== 0);

/** Parse a pattern for the kernel; a string is the reason it cannot be expressed. */
export function parseGlob(pattern: string): CompiledGlob | string {
  if (!pattern.startsWith("/")) return "pattern must be an absolute path (start with /)";
  if (pattern.includes("\0")) return "pattern contains a NUL byte";
  if (pattern.includes("\n") || pattern.includes("\r")) return "pattern contains a line break";
  if (pattern.includes("{") || pattern.includes("}"))
    return "alternation {a,b} must be expanded first (parseGlobs)";
  if (pattern.includes("\\")) return "backslash escapes are not supported by the BPF enforcer";
  if (Buffer.byteLength(pattern, "utf8") > 4095) return "pattern longer than 4,095 bytes";
  const bytes = Buffer.from(pattern, "utf8");
  // Anchor: literal prefix up to the last '/' before the first wildcard.
  let first = bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x2a || c === 0x3f || c === 0x5b) {
      first = i;
      break;
    }
  }
  let anchorEnd = 0;
  for (let i = 0; i < first; i++) if (bytes[i] === SLASH) anchorEnd = i + 1;
  const anchor = bytes.subarray(0, anchorEnd).toString("utf8");
  const elements: GlobElement[] = [];
  const push = (e: GlobElement) => {
    const prev = elements[elements.length - 1];
    if (e.star && prev?.star) {
      // *, ** next to each other: one star over the union (one class contains the other).
      prev.bytes = set(b => prev.bytes[b] === 1 || e.bytes[b] === 1);
      return;
    }
    elements.push(e);
  };
  let i = anchorEnd;
  while (i < bytes.length) {
    const c = bytes[i]!;
    if (c === 0x2a) {
      if (bytes[i + 1] === 0x2a) {
        push({ star: true, bytes: ANY });
        i += 2;
        while (bytes[i] === 0x2a) i++;
      } else {
        push({ star: true, bytes: ANY_BUT_SLASH });
        i++;
      }
    } else if (c === 0x3f) {
      push({ star: false, bytes: ANY_BUT_SLASH });
      i++;
    } else if (c === 0x5b) {
      const end = bytes.indexOf(0x5d, i + 2);
      if (end < 0) return "unclosed character class [";
      let body = bytes.subarray(i + 1, end);
      const neg = body[0] === 0x5e;
      if (neg) body = body.subarray(1);
      if (body.length === 0) return "empty character class";
      const member = new Uint8Array(256);
      for (let k = 0; k < body.length; k++) {
        const b = body[k]!;
        if (b === SLASH) return "/ inside a character class";
        if (b >= 0x80) return "non-ASCII character inside a character class";
        if (b === 0x2d && k > 0 && k < body.length - 1) {
          const lo = body[k - 1]!;
          const hi = body[k + 1]!;
          if (hi < lo) return "reversed range in a character class";
          for (let x = lo; x <= hi; x++) member[x] = 1;
          k++;
        } else {
          member[b] = 1;
        }
      }
      push({ star: false, bytes: neg ? set(b => b !== SLASH && b !== 0 && member[b] === 0) : member });
      i = end + 1;
    } else {
      if (c === 0x5d) return "stray ] outside a character class";
      push({ star: false, bytes: set(b => b === c) });
      i++;
    }
  }
  if (elements.length === 0) return "pattern is a bare directory: use matchDirectories";
  if (elements.length > GLOB_MAX_POS) {
    return `pattern needs ${elements.length} NFA positions after its anchor ${anchor}; the BPF enforcer holds ${GLOB_MAX_POS}`;
  }
  return { anchor, elements };
}

/**
 * Why the BPF enforcer cannot enforce this matchPatterns pattern, or undefined when it can.
 * Pure; exported for validation (the model rejects such patterns when a node enforces with BPF).
 */
export function bpfCanExpress(pattern: string): string | undefined {
  const r = parseGlobs(pattern);
  return typeof r === "string" ? r : undefined;
}

/** Up to this many alternatives per pattern after `{a,b}` expansion. */
export const GLOB_MAX_ALTERNATIVES = 16;

/** A pattern with `{a,b}` groups → one kernel glob per alternative, or why it cannot be expressed. */
export function parseGlobs(pattern: string): Array<CompiledGlob & { text: string }> | string {
  const hit = parseCache.get(pattern);
  if (hit !== undefined) return hit;
  const r = parseGlobsUncached(pattern);
  if (parseCache.size >= CACHE_MAX) parseCache.clear();
  parseCache.set(pattern, r);
  return r;
}

// Memoization only (results are immutable and depend on the pattern alone): many containers share
// the same patterns, and building 256-entry tables is the compiler's most expensive step.
const CACHE_MAX = 20_000;
const parseCache = new Map<string, Array<CompiledGlob & { text: string }> | string>();
const tableCache = new Map<string, NfaTables>();

function parseGlobsUncached(pattern: string): Array<CompiledGlob & { text: string }> | string {
  if (pattern.includes("\\")) return "backslash escapes are not supported by the BPF enforcer";
  const alts = expandBraces(pattern, GLOB_MAX_ALTERNATIVES, true);
  if (!alts) {
    if (expandBraces(pattern, GLOB_MAX_ALTERNATIVES))
      return "a * next to a {a,b} group that can be empty or starts/ends with * is ambiguous in the BPF enforcer";
    return `unbalanced {a,b} groups or more than ${GLOB_MAX_ALTERNATIVES} alternatives`;
  }
  const out: Array<CompiledGlob & { text: string }> = [];
  for (const text of alts) {
    const g = parseGlob(text);
    if (typeof g === "string") return alts.length > 1 ? `alternative ${JSON.stringify(text)}: ${g}` : g;
    out.push({ ...g, text });
  }
  return out;
}

export interface NfaTables {
  star: bigint;
  single: bigint[];
  loop: bigint[];
  npos: number;
}

/** NFA tables of one alternative (cached by its text). */
export function nfaTablesFor(g: CompiledGlob & { text: string }): NfaTables {
  let t = tableCache.get(g.text);
  if (!t) {
    t = nfaTables(g);
    if (tableCache.size >= CACHE_MAX) tableCache.clear();
    tableCache.set(g.text, t);
  }
  return t;
}

/** NFA tables of rampart_glob: star mask, single[256], loop[256] (BigInt bit masks). */
export function nfaTables(g: CompiledGlob): NfaTables {
  const single = new Array<bigint>(256).fill(0n);
  const loop = new Array<bigint>(256).fill(0n);
  let star = 0n;
  g.elements.forEach((e, idx) => {
    const bit = 1n << BigInt(idx + 1);
    if (e.star) star |= bit;
    const t = e.star ? loop : single;
    for (let b = 0; b < 256; b++) if (e.bytes[b]) t[b] = t[b]! | bit;
  });
  return { star, single, loop, npos: g.elements.length };
}

/** Run the NFA exactly as the kernel does (see rules.h). */
export function nfaRun(
  t: { star: bigint; single: bigint[]; loop: bigint[]; npos: number },
  bytes: Uint8Array,
  from: number,
): boolean {
  const M = 0xffffffffffffffffn;
  let d = 1n;
  d |= (d << 1n) & t.star;
  for (let i = from; i < bytes.length; i++) {
    const c = bytes[i]!;
    d = ((d << 1n) & M & t.single[c]!) | (d & t.loop[c]!);
    d |= (d << 1n) & M & t.star;
    if (d === 0n) break;
  }
  return (d & (1n << BigInt(t.npos))) !== 0n;
}
