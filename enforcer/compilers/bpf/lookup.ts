// SPDX-License-Identifier: Apache-2.0
//
// Executable model of the kernel lookup over the rule maps: step for step the algorithm in
// docs/compilers.md ("BPF lookup algorithm"), which the BPF programs implement in C. It sees only
// what the kernel sees (hashes, numbers, byte tables), never the policy.

import type { OracleEvent } from "../oracle.js";
import { IP_PROTOCOLS } from "../oracle.js";
import { CAPABILITIES } from "../../model/types.js";
import type { BpfDecoded } from "./compile.js";
import { nfaRun } from "./glob.js";
import { FNV_OFFSET, fnvStep, hashKey, hashString } from "./hash.js";
import {
  IPPROTO_NUM,
  KIND,
  SLOT,
  SOCK_TYPE_NUM,
  VERDICT,
  WL,
  type GlobVal,
  type RuleVal,
  type GlobAnchorVal,
} from "./layout.js";

export interface ModelDecision {
  verdict: "Allow" | "Audit" | "Block";
  /** 1-based rule id; 0 = none (posture, fail-closed or nothing matched). */
  ruleId: number;
  defaultPosture?: "file" | "network" | "capabilities";
  wouldBlock?: boolean;
  truncated?: boolean;
}

/** The maps of one workload generation, indexed like the kernel's hash maps. */
export interface ModelMaps {
  flags: number;
  procDepths: bigint;
  fileDepths: bigint;
  rules: Map<string, RuleVal>;
  anchors: Map<string, GlobAnchorVal>;
  globs: Map<number, GlobVal>;
}

const rk = (kind: number, hash: bigint, source: bigint) => `${kind}:${hash}:${source}`;

export function buildMaps(d: BpfDecoded): ModelMaps {
  const rules = new Map<string, RuleVal>();
  for (const e of d.rules) rules.set(rk(e.key.kind, e.key.hash, e.key.source), e.val);
  const anchors = new Map<string, GlobAnchorVal>();
  for (const e of d.anchors) anchors.set(rk(e.key.kind, e.key.hash, e.key.source), e.val);
  const globs = new Map<number, GlobVal>();
  for (const e of d.globs) globs.set(e.key.index, e.val);
  return {
    flags: d.workload.flags,
    procDepths: d.workload.procDepths,
    fileDepths: d.workload.fileDepths,
    rules,
    anchors,
    globs,
  };
}

const NAMES = ["Allow", "Allow", "Audit", "Block"] as const;

function finish(
  m: ModelMaps,
  verdict: number,
  ruleId: number,
  extra: Partial<ModelDecision> = {},
): ModelDecision {
  if (verdict === VERDICT.BLOCK && m.flags & WL.AUDITED) {
    return { verdict: "Audit", ruleId, wouldBlock: true, ...extra };
  }
  return { verdict: NAMES[verdict]!, ruleId, ...extra };
}

function posture(
  m: ModelMaps,
  allow: number,
  block: number,
  cat: "file" | "network" | "capabilities",
): ModelDecision {
  if (m.flags & allow)
    return finish(m, m.flags & block ? VERDICT.BLOCK : VERDICT.AUDIT, 0, { defaultPosture: cat });
  return { verdict: "Allow", ruleId: 0 };
}

/** Decide one access the way the BPF programs do. */
export function lookupModel(input: BpfDecoded | ModelMaps, ev: OracleEvent): ModelDecision {
  const m =
    "rules" in input && Array.isArray(input.rules) ? buildMaps(input as BpfDecoded) : (input as ModelMaps);
  const tty = ev.tty === true;
  const S = ev.source ? hashString(ev.source) : 0n;
  const sources = S !== 0n && m.flags & WL.HAS_SOURCE ? [S, 0n] : [0n];

  if (ev.operation === "network" || ev.operation === "capability") {
    const slot = tty ? SLOT.TTY : 0;
    const keys: Array<[number, bigint]> = [];
    if (ev.operation === "network") {
      if (!(m.flags & (WL.HAS_NET | WL.ALLOWLIST_NET))) return { verdict: "Allow", ruleId: 0 };
      if (ev.protocol && IPPROTO_NUM[ev.protocol] !== undefined)
        keys.push([KIND.NET_PROTO, BigInt(IPPROTO_NUM[ev.protocol]!)]);
      if (ev.sockType && SOCK_TYPE_NUM[ev.sockType] !== undefined)
        keys.push([KIND.NET_TYPE, BigInt(SOCK_TYPE_NUM[ev.sockType]!)]);
      keys.push([KIND.NET_ALL, 0n]);
    } else {
      if (!(m.flags & (WL.HAS_CAP | WL.ALLOWLIST_CAP))) return { verdict: "Allow", ruleId: 0 };
      const n = (CAPABILITIES as readonly string[]).indexOf(ev.capability ?? "");
      if (n >= 0) keys.push([KIND.CAP, BigInt(n)]);
    }
    for (const src of sources) {
      let best = VERDICT.NONE as number;
      let id = 0;
      for (const [kind, num] of keys) {
        const v = m.rules.get(rk(kind, num, src));
        if (!v) continue;
        const vv = v.verdict[slot]!;
        const rid = v.ruleId[slot]!;
        if (vv === VERDICT.NONE) continue;
        if (vv > best || (vv === best && rid < id)) {
          best = vv;
          id = rid;
        }
      }
      if (best !== VERDICT.NONE) return finish(m, best, id);
    }
    return ev.operation === "network"
      ? posture(m, WL.ALLOWLIST_NET, WL.POSTURE_NET_BLOCK, "network")
      : posture(m, WL.ALLOWLIST_CAP, WL.POSTURE_CAP_BLOCK, "capabilities");
  }

  const proc = ev.operation === "process";
  const has = proc ? WL.HAS_PROC : WL.HAS_FILE;
  const path = ev.path ?? "";
  const bytes = Buffer.from(path, "utf8");
  // Step 1: fail closed on paths the kernel could not resolve completely.
  if (ev.truncated || bytes.length >= 4096 || bytes.length === 0) {
    if (m.flags & (has | WL.ALLOWLIST_FILE)) return finish(m, VERDICT.BLOCK, 0, { truncated: true });
    return { verdict: "Allow", ruleId: 0 };
  }
  // Step 2.
  if (!(m.flags & (has | WL.ALLOWLIST_FILE))) return { verdict: "Allow", ruleId: 0 };
  // Step 3: one walk: exact hash, '/'-terminated prefixes with their depth and remainder offset.
  const prefixes: Array<{ hash: bigint; depth: number; rest: number }> = [];
  let h = FNV_OFFSET;
  let depth = 0;
  let lastSlash = -1;
  for (let i = 0; i < bytes.length; i++) {
    h = fnvStep(h, bytes[i]!);
    if (bytes[i] === 0x2f) {
      depth++;
      lastSlash = i;
      prefixes.push({ hash: hashKey(h), depth, rest: i + 1 });
    }
  }
  const hExact = hashKey(h);
  if (bytes[bytes.length - 1] !== 0x2f)
    prefixes.push({ hash: hashKey(fnvStep(h, 0x2f)), depth: depth + 1, rest: -1 });
  prefixes.reverse(); // deepest first: k = 0 self, k = 1 parent, k >= 2 far
  let hBase = 0n;
  if (proc) {
    let b = FNV_OFFSET;
    for (let i = lastSlash + 1; i < bytes.length; i++) b = fnvStep(b, bytes[i]!);
    hBase = hashKey(b);
  }
  const owner = ev.uid !== undefined && ev.uid === ev.ownerUid;
  const slot = (!proc && ev.write ? SLOT.WRITE : 0) | (owner ? SLOT.OWNER : 0) | (tty ? SLOT.TTY : 0);
  const depths = proc ? m.procDepths : m.fileDepths;
  const kExact = proc ? KIND.PROC_EXACT : KIND.FILE_EXACT;
  const kDir = proc ? KIND.PROC_DIR : KIND.FILE_DIR;
  const kAnchor = proc ? KIND.PROC_GLOB_ANCHOR : KIND.FILE_GLOB_ANCHOR;

  for (const src of sources) {
    // 4.1 exact
    const ex = m.rules.get(rk(kExact, hExact, src));
    if (ex && ex.verdict[slot] !== VERDICT.NONE) return finish(m, ex.verdict[slot]!, ex.ruleId[slot]!);
    // 4.2 execname
    if (proc) {
      const en = m.rules.get(rk(KIND.PROC_EXECNAME, hBase, src));
      if (en && en.verdict[slot] !== VERDICT.NONE) return finish(m, en.verdict[slot]!, en.ruleId[slot]!);
    }
    // 4.3 prefixes, deepest first
    for (let k = 0; k < prefixes.length; k++) {
      const p = prefixes[k]!;
      if (!(depths & (1n << BigInt(Math.min(p.depth, 63))))) continue;
      if (k >= 1 && p.rest >= 0) {
        const a = m.anchors.get(rk(kAnchor, p.hash, src));
        if (a) {
          let best = VERDICT.NONE as number;
          let id = 0;
          for (let j = a.first; j < a.first + a.count; j++) {
            const g = m.globs.get(j);
            if (!g) continue;
            const v = g.verdict[slot]!;
            const rid = g.ruleId[slot]!;
            if (v === VERDICT.NONE) continue;
            if (best !== VERDICT.NONE && (v < best || (v === best && rid >= id))) continue;
            if (nfaRun(g, bytes, p.rest)) {
              best = v;
              id = rid;
            }
          }
          if (best !== VERDICT.NONE) return finish(m, best, id);
        }
      }
      const d = m.rules.get(rk(kDir, p.hash, src));
      const s = slot | (k >= 2 ? SLOT.FAR : 0);
      if (d && d.verdict[s] !== VERDICT.NONE) return finish(m, d.verdict[s]!, d.ruleId[s]!);
    }
  }
  return posture(m, WL.ALLOWLIST_FILE, WL.POSTURE_FILE_BLOCK, "file");
}

export { IP_PROTOCOLS };
