// SPDX-License-Identifier: Apache-2.0
//
// BPF compiler: EffectivePolicy → the exact entries of Rampart's rule maps (bpf/include/rules.h).
// Pure and total: bad rules come back as typed errors. Keys are emitted with workload = 0 and
// generation = 0; the native apply() fills both in (generation swap, docs/compilers.md).

import type { Action, EffectivePolicy, Rule } from "../../model/types.js";
import { CAPABILITIES } from "../../model/types.js";
import type { CompileError, CompileResult } from "../errors.js";
import { depthOf, ruleVerdict } from "../oracle.js";
import {
  GLOB_MAX_PER_ANCHOR,
  GLOB_MAX_PER_WORKLOAD,
  nfaTablesFor,
  parseGlobs,
  type CompiledGlob,
} from "./glob.js";
import { hashStringFast } from "./hash.js";
import {
  type GlobAnchorVal,
  type GlobKey,
  type GlobVal,
  type RuleKey,
  type RuleVal,
  type WorkloadValue,
  decodeGlob,
  decodeGlobAnchor,
  decodeGlobKey,
  decodeRuleKey,
  decodeRuleVal,
  decodeWorkload,
  encodeGlob,
  encodeGlobAnchor,
  encodeGlobKey,
  encodeRuleKey,
  encodeRuleVal,
  encodeWorkload,
  IPPROTO_NUM,
  KIND,
  KIND_NAME,
  MAX_PATH,
  SLOTS,
  SOCK_TYPE_NUM,
  VERDICT,
  WL,
} from "./layout.js";

export interface BpfRuleEntry {
  key: RuleKey;
  val: RuleVal;
  /** Readable form: kind, string (or number) and source. */
  label: string;
}
export interface BpfAnchorEntry {
  key: RuleKey;
  val: GlobAnchorVal;
  label: string;
}
export interface BpfGlobEntry {
  key: GlobKey;
  val: GlobVal;
  label: string;
}

/** Everything one workload generation needs in the kernel, plus the user-space rule table. */
export interface BpfRuleSet {
  workload: WorkloadValue;
  rules: BpfRuleEntry[];
  anchors: BpfAnchorEntry[];
  globs: BpfGlobEntry[];
  /** rule id (1-based) → rule: `ruleTable[id - 1]`. Same order as EffectivePolicy.rules. */
  ruleTable: Rule[];
}

/** The byte-exact entries, per map, as the native apply() takes them. */
export interface BpfBinaryEntries {
  workload: Buffer;
  rules: Array<{ key: Buffer; value: Buffer }>;
  anchors: Array<{ key: Buffer; value: Buffer }>;
  globs: Array<{ key: Buffer; value: Buffer }>;
}

/** Decoded entries (labels and rule table are user-space only). */
export interface BpfDecoded {
  workload: WorkloadValue;
  rules: Array<{ key: RuleKey; val: RuleVal }>;
  anchors: Array<{ key: RuleKey; val: GlobAnchorVal }>;
  globs: Array<{ key: GlobKey; val: GlobVal }>;
}

const V_OF: Record<Action, number> = { Allow: VERDICT.ALLOW, Audit: VERDICT.AUDIT, Block: VERDICT.BLOCK };

interface Group {
  kind: number;
  hash: bigint;
  source: bigint;
  label: string;
  /** Rules in policy order; `far` = applies at FAR prefixes (recursive directory). */
  members: Array<{ id: number; rule: Rule; far: boolean }>;
}

function table(members: Group["members"], slots: number): { verdict: number[]; ruleId: number[] } {
  const verdict: number[] = [];
  const ruleId: number[] = [];
  for (let s = 0; s < slots; s++) {
    const cond = { write: (s & 1) !== 0, owner: (s & 2) !== 0, tty: (s & 4) !== 0 };
    const far = (s & 8) !== 0;
    let best = VERDICT.NONE as number;
    let id = 0;
    for (const m of members) {
      if (far && !m.far) continue;
      const v = ruleVerdict(m.rule, cond);
      if (v === undefined) continue;
      if (V_OF[v] > best) {
        best = V_OF[v];
        id = m.id;
      }
    }
    verdict.push(best);
    ruleId.push(id);
  }
  return { verdict, ruleId };
}

const q = (s: string) => JSON.stringify(s);

/** Why a path string can never equal a resolved kernel path (or is unsafe), or undefined. */
export function pathProblem(p: string, what: "path" | "dir" | "source"): string | undefined {
  if (!p.startsWith("/")) return `${what} ${q(p)} is not absolute`;
  if (p.includes("\0")) return `${what} contains a NUL byte`;
  if (Buffer.byteLength(p, "utf8") >= MAX_PATH) return `${what} is longer than ${MAX_PATH - 1} bytes`;
  if (what === "dir" && !p.endsWith("/")) return `directory ${q(p)} does not end with /`;
  if (what !== "dir" && p.endsWith("/") && p !== "/")
    return `${what} ${q(p)} ends with /: use matchDirectories`;
  const inner = what === "dir" ? p.slice(0, -1) : p;
  if (inner.includes("//") || /\/\.\.?(\/|$)/.test(inner + (what === "dir" ? "/" : ""))) {
    return `${what} ${q(p)} is not canonical (//, /./ or /../ never match a resolved path)`;
  }
  return undefined;
}

/** Compile one effective policy to rule-map entries. */
export function compileBpf(policy: EffectivePolicy): CompileResult<BpfRuleSet> {
  const errors: CompileError[] = [];
  const warnings: CompileError[] = [];
  const groups = new Map<string, Group>();
  const globGroups = new Map<
    string,
    {
      cat: "process" | "file";
      anchor: string;
      src: string;
      pattern: string;
      glob: CompiledGlob & { text: string };
      members: Group["members"];
    }
  >();
  const seen = new Map<bigint, string>(); // hash → string, for collision detection
  const disabled = policy.state === "disabled";
  let flags = 0;
  let procDepths = 0n;
  let fileDepths = 0n;

  const hashOf = (s: string, rule: Rule): bigint => {
    const h = hashStringFast(s);
    const prev = seen.get(h);
    if (prev !== undefined && prev !== s) {
      errors.push({
        target: "bpf",
        code: "hash-collision",
        message: `${q(s)} and ${q(prev)} share FNV-1a hash ${h.toString(16)}`,
        origin: rule.origin,
      });
    }
    seen.set(h, s);
    return h;
  };
  /** `key` is the hashed string (or the number) itself, so equal strings always share one entry. */
  const add = (
    kind: number,
    key: string,
    hash: bigint,
    src: string,
    srcHash: bigint,
    text: string,
    id: number,
    rule: Rule,
    far: boolean,
  ) => {
    const k = `${kind}\0${key}\0${src}`;
    let g = groups.get(k);
    if (!g) {
      g = {
        kind,
        hash,
        source: srcHash,
        label: `${KIND_NAME[kind]} ${text}${src ? ` from ${q(src)}` : ""}`,
        members: [],
      };
      groups.set(k, g);
    }
    g.members.push({ id, rule, far });
  };
  const bit = (depth: number) => 1n << BigInt(Math.min(depth, 63));

  policy.rules.forEach((rule, index) => {
    const id = index + 1;
    const err = (code: string, message: string) =>
      errors.push({ target: "bpf", code, message, origin: rule.origin });
    if (rule.category === "syscalls") return; // audit-only; matched in user space against telemetry
    if (rule.category === "dns" || rule.category === "device") {
      warnings.push({
        target: "bpf",
        code: `${rule.category}-not-compiled`,
        message: `${rule.category} rules are not enforced by the BPF rule maps`,
        origin: rule.origin,
      });
      return;
    }
    if (disabled && rule.action !== "Audit") return;
    const sources = rule.fromSource.length > 0 ? rule.fromSource : [""];
    for (const src of sources) {
      if (src) {
        const p = pathProblem(src, "source");
        if (p) {
          err("bad-source", p);
          continue;
        }
      }
      const srcHash = src ? hashOf(src, rule) : 0n;
      if (src) flags |= WL.HAS_SOURCE;
      if (rule.category === "process" || rule.category === "file") {
        const proc = rule.category === "process";
        flags |= proc ? WL.HAS_PROC : WL.HAS_FILE;
        if (proc && rule.allowedArgs && rule.allowedArgs.length > 0) {
          warnings.push({
            target: "bpf",
            code: "allowed-args-ignored",
            message:
              "allowedArgs is not enforced by the BPF rule maps; the rule applies to every argument list",
            origin: rule.origin,
          });
        }
        const m = rule.match;
        if (m.type === "path") {
          const p = pathProblem(m.path, "path");
          if (p) err("bad-path", p);
          else
            add(
              proc ? KIND.PROC_EXACT : KIND.FILE_EXACT,
              m.path,
              hashOf(m.path, rule),
              src,
              srcHash,
              q(m.path),
              id,
              rule,
              false,
            );
        } else if (m.type === "execname") {
          if (!m.name || m.name.includes("/") || m.name.includes("\0") || Buffer.byteLength(m.name) >= 256)
            err("bad-execname", `execname ${q(m.name)} must be a bare file name`);
          else
            add(KIND.PROC_EXECNAME, m.name, hashOf(m.name, rule), src, srcHash, q(m.name), id, rule, false);
        } else if (m.type === "dir") {
          const p = pathProblem(m.dir, "dir");
          if (p) err("bad-dir", p);
          else {
            add(
              proc ? KIND.PROC_DIR : KIND.FILE_DIR,
              m.dir,
              hashOf(m.dir, rule),
              src,
              srcHash,
              q(m.dir) + (m.recursive ? " recursive" : ""),
              id,
              rule,
              m.recursive,
            );
            if (proc) procDepths |= bit(depthOf(m.dir));
            else fileDepths |= bit(depthOf(m.dir));
          }
        } else {
          const alts = parseGlobs(m.pattern);
          if (typeof alts === "string") err("glob-unsupported", `matchPatterns ${q(m.pattern)}: ${alts}`);
          else {
            for (const g of alts) {
              const k = `${rule.category}\0${g.anchor}\0${src}\0${g.text}`;
              let gg = globGroups.get(k);
              if (!gg) {
                gg = { cat: rule.category, anchor: g.anchor, src, pattern: g.text, glob: g, members: [] };
                globGroups.set(k, gg);
              }
              if (!gg.members.some(x => x.id === id)) gg.members.push({ id, rule, far: false });
              hashOf(g.anchor, rule);
              if (proc) procDepths |= bit(depthOf(g.anchor));
              else fileDepths |= bit(depthOf(g.anchor));
            }
          }
        }
      } else if (rule.category === "network") {
        flags |= WL.HAS_NET;
        const p = rule.protocol;
        if (p === "all") add(KIND.NET_ALL, "all", 0n, src, srcHash, "all", id, rule, false);
        else if (IPPROTO_NUM[p] !== undefined)
          add(KIND.NET_PROTO, p, BigInt(IPPROTO_NUM[p]!), src, srcHash, p, id, rule, false);
        else if (SOCK_TYPE_NUM[p] !== undefined)
          add(KIND.NET_TYPE, p, BigInt(SOCK_TYPE_NUM[p]!), src, srcHash, p, id, rule, false);
        else err("bad-protocol", `unknown protocol ${q(p)}`);
      } else if (rule.category === "capabilities") {
        flags |= WL.HAS_CAP;
        const n = (CAPABILITIES as readonly string[]).indexOf(rule.capability);
        if (n < 0) err("bad-capability", `unknown capability ${q(rule.capability)}`);
        else add(KIND.CAP, rule.capability, BigInt(n), src, srcHash, rule.capability, id, rule, false);
      }
    }
  });

  if (!disabled) {
    if (policy.state === "audited") flags |= WL.AUDITED;
    if (policy.allowList.file)
      flags |= WL.ALLOWLIST_FILE | (policy.postures.file === "block" ? WL.POSTURE_FILE_BLOCK : 0);
    if (policy.allowList.network)
      flags |= WL.ALLOWLIST_NET | (policy.postures.network === "block" ? WL.POSTURE_NET_BLOCK : 0);
    if (policy.allowList.capabilities)
      flags |= WL.ALLOWLIST_CAP | (policy.postures.capabilities === "block" ? WL.POSTURE_CAP_BLOCK : 0);
  }

  const rules: BpfRuleEntry[] = [];
  for (const g of groups.values()) {
    const t = table(g.members, SLOTS);
    if (t.verdict.every(v => v === VERDICT.NONE)) continue;
    rules.push({
      key: { workload: 0n, generation: 0, kind: g.kind, hash: g.hash, source: g.source },
      val: t,
      label: g.label,
    });
  }

  // Globs: one entry per distinct pattern; globs sharing {category, anchor, source} are contiguous,
  // in the order of their first rule.
  const byAnchor = new Map<
    string,
    Array<{
      pattern: string;
      anchor: string;
      src: string;
      cat: "process" | "file";
      glob: CompiledGlob & { text: string };
      members: Group["members"];
    }>
  >();
  for (const gg of globGroups.values()) {
    const k = `${gg.cat}\0${gg.anchor}\0${gg.src}`;
    const list = byAnchor.get(k) ?? [];
    list.push(gg);
    byAnchor.set(k, list);
  }
  const anchors: BpfAnchorEntry[] = [];
  const globs: BpfGlobEntry[] = [];
  for (const list of byAnchor.values()) {
    list.sort((a, b) => a.members[0]!.id - b.members[0]!.id);
    const first = globs.length;
    const live = list
      .map(gg => ({ gg, t: table(gg.members, 8) }))
      .filter(x => x.t.verdict.some(v => v !== VERDICT.NONE));
    if (live.length === 0) continue;
    const head = live[0]!.gg;
    if (live.length > GLOB_MAX_PER_ANCHOR) {
      errors.push({
        target: "bpf",
        code: "glob-limit",
        message: `${live.length} patterns share anchor ${q(head.anchor)}${head.src ? ` from ${q(head.src)}` : ""}; the BPF enforcer holds ${GLOB_MAX_PER_ANCHOR}`,
        origin: head.members[0]!.rule.origin,
      });
      continue;
    }
    for (const { gg, t } of live) {
      const n = nfaTablesFor(gg.glob);
      globs.push({
        key: { workload: 0n, generation: 0, index: globs.length },
        val: {
          verdict: t.verdict,
          ruleId: t.ruleId,
          star: n.star,
          npos: n.npos,
          anchorLen: Buffer.byteLength(gg.anchor, "utf8"),
          single: n.single,
          loop: n.loop,
        },
        label: `${gg.cat === "process" ? "PROC" : "FILE"}_GLOB ${q(gg.pattern)}${gg.src ? ` from ${q(gg.src)}` : ""}`,
      });
    }
    const kind = head.cat === "process" ? KIND.PROC_GLOB_ANCHOR : KIND.FILE_GLOB_ANCHOR;
    anchors.push({
      key: {
        workload: 0n,
        generation: 0,
        kind,
        hash: hashStringFast(head.anchor),
        source: head.src ? hashStringFast(head.src) : 0n,
      },
      val: { first, count: globs.length - first },
      label: `${KIND_NAME[kind]} ${q(head.anchor)}${head.src ? ` from ${q(head.src)}` : ""}`,
    });
  }
  if (globs.length > GLOB_MAX_PER_WORKLOAD) {
    errors.push({
      target: "bpf",
      code: "glob-limit",
      message: `${globs.length} patterns; the BPF enforcer holds ${GLOB_MAX_PER_WORKLOAD} per workload`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    warnings,
    value: {
      workload: {
        generation: 0,
        flags,
        procDepths,
        fileDepths,
        ruleCount: rules.length,
        globCount: globs.length,
      },
      rules,
      anchors,
      globs,
      ruleTable: policy.rules,
    },
  };
}

export function toBinary(rs: BpfRuleSet): BpfBinaryEntries {
  return {
    workload: encodeWorkload(rs.workload),
    rules: rs.rules.map(e => ({ key: encodeRuleKey(e.key), value: encodeRuleVal(e.val) })),
    anchors: rs.anchors.map(e => ({ key: encodeRuleKey(e.key), value: encodeGlobAnchor(e.val) })),
    globs: rs.globs.map(e => ({ key: encodeGlobKey(e.key), value: encodeGlob(e.val) })),
  };
}

/** Parse byte entries back (what the kernel will see). */
export function decodeEntries(b: BpfBinaryEntries): BpfDecoded {
  return {
    workload: decodeWorkload(b.workload),
    rules: b.rules.map(e => ({ key: decodeRuleKey(e.key), val: decodeRuleVal(e.value) })),
    anchors: b.anchors.map(e => ({ key: decodeRuleKey(e.key), val: decodeGlobAnchor(e.value) })),
    globs: b.globs.map(e => ({ key: decodeGlobKey(e.key), val: decodeGlob(e.value) })),
  };
}

const VNAME = ["-", "Allow", "Audit", "Block"];

/** Compact description of a decision table: distinct outcomes and the slots that give them. */
export function describeSlots(verdict: number[], ruleId: number[]): string {
  const names = ["w", "o", "t", "f"];
  const out = new Map<string, string[]>();
  verdict.forEach((v, s) => {
    if (v === VERDICT.NONE) return;
    const k = `${VNAME[v]}#${ruleId[s]}`;
    const cond = names.filter((_, i) => (s >> i) & 1).join("") || "-";
    out.set(k, [...(out.get(k) ?? []), cond]);
  });
  return [...out].map(([k, slots]) => `${k}[${slots.join(",")}]`).join(" ");
}

function flagNames(flags: number): string {
  return (
    Object.entries(WL)
      .filter(([, v]) => flags & v)
      .map(([k]) => k)
      .join("|") || "0"
  );
}

/** Readable text form of a rule set (the CLI's --output text). */
export function formatRuleSet(rs: BpfRuleSet): string {
  const lines: string[] = [];
  const w = rs.workload;
  lines.push(
    `workload flags=${flagNames(w.flags)} proc_depths=0x${w.procDepths.toString(16)} file_depths=0x${w.fileDepths.toString(16)} rules=${w.ruleCount} globs=${w.globCount}`,
  );
  for (const e of rs.rules)
    lines.push(
      `rule  ${e.label}  hash=0x${e.key.hash.toString(16)} src=0x${e.key.source.toString(16)}  ${describeSlots(e.val.verdict, e.val.ruleId)}`,
    );
  for (const e of rs.anchors)
    lines.push(
      `anchor ${e.label}  hash=0x${e.key.hash.toString(16)} globs=[${e.val.first}..${e.val.first + e.val.count})`,
    );
  for (const e of rs.globs)
    lines.push(
      `glob#${e.key.index} ${e.label}  npos=${e.val.npos} anchor_len=${e.val.anchorLen}  ${describeSlots(e.val.verdict, e.val.ruleId)}`,
    );
  lines.push("rule ids:");
  rs.ruleTable.forEach((r, i) =>
    lines.push(
      `  #${i + 1} ${r.origin.kind} ${r.origin.namespace ? r.origin.namespace + "/" : ""}${r.origin.name} ${r.origin.path} (${r.category} ${r.action})`,
    ),
  );
  return lines.join("\n");
}

/** JSON form (BigInts as hex strings; binary entries as hex). */
export function ruleSetToJson(rs: BpfRuleSet): unknown {
  const hex = (b: bigint) => "0x" + b.toString(16);
  const bin = toBinary(rs);
  return {
    workload: {
      ...rs.workload,
      procDepths: hex(rs.workload.procDepths),
      fileDepths: hex(rs.workload.fileDepths),
      bytes: bin.workload.toString("hex"),
    },
    rules: rs.rules.map((e, i) => ({
      label: e.label,
      kind: KIND_NAME[e.key.kind],
      hash: hex(e.key.hash),
      source: hex(e.key.source),
      slots: describeSlots(e.val.verdict, e.val.ruleId),
      key: bin.rules[i]!.key.toString("hex"),
      value: bin.rules[i]!.value.toString("hex"),
    })),
    anchors: rs.anchors.map((e, i) => ({
      label: e.label,
      kind: KIND_NAME[e.key.kind],
      hash: hex(e.key.hash),
      source: hex(e.key.source),
      first: e.val.first,
      count: e.val.count,
      key: bin.anchors[i]!.key.toString("hex"),
      value: bin.anchors[i]!.value.toString("hex"),
    })),
    globs: rs.globs.map((e, i) => ({
      label: e.label,
      index: e.key.index,
      npos: e.val.npos,
      anchorLen: e.val.anchorLen,
      slots: describeSlots(e.val.verdict, e.val.ruleId),
      key: bin.globs[i]!.key.toString("hex"),
      value: bin.globs[i]!.value.toString("hex"),
    })),
    ruleTable: rs.ruleTable.map((r, i) => ({
      id: i + 1,
      category: r.category,
      action: r.action,
      origin: r.origin,
    })),
  };
}
