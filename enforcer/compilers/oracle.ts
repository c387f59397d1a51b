// SPDX-License-Identifier: Apache-2.0
//
// The oracle: Rampart's reference decision function. Effective policy + one access → the
// verdict, the deciding rule or default posture, and why. It is written as a direct reading of
// the semantics table in docs/compilers.md (rule matching by string comparison and regular
// expressions, ranking by specificity), deliberately NOT in the shape of the BPF lookup, so the
// equivalence test between the two means something. Pure and total.

import type {
  Action,
  Decision,
  EffectivePolicy,
  FileRule,
  NetworkRule,
  ProcessRule,
  Rule,
} from "../model/types.js";

export type OracleOperation = "process" | "file" | "network" | "capability";

/** One access to decide. Which fields matter depends on `operation`. */
export interface OracleEvent {
  operation: OracleOperation;
  /** process: the executable's path; file: the accessed path (absolute, resolved, no trailing `/` except `/`). */
  path?: string;
  /** The source binary: for process events the PARENT's executable, otherwise the current task's. */
  source?: string;
  /** fsuid of the acting task and uid of the target inode (ownerOnly). */
  uid?: number;
  ownerUid?: number;
  /** file: the access writes (open for write, append, truncate, unlink, rename, chmod, mkdir…). */
  write?: boolean;
  /** network: IP protocol name (tcp, udp, icmp, icmpv6, sctp) after kernel normalization. */
  protocol?: string;
  /** network: socket type name (stream, dgram, raw, rdm, seqpacket, dccp, packet). */
  sockType?: string;
  /** capability: name as KubeArmor spells it (`net_raw`). */
  capability?: string;
  /** A TTY is attached (pts rules). */
  tty?: boolean;
  /** The enforcer could not resolve the full path (too long / walk cut short). */
  truncated?: boolean;
}

export interface OracleDecision extends Decision {
  /** Index of `rule` in `EffectivePolicy.rules` (the BPF rule id is this + 1). */
  ruleIndex?: number;
  /** State audited and the undecorated verdict was Block: alert Action is `Audit (Block)`. */
  wouldBlock?: boolean;
}

/** Conditions of an access that rule options depend on. */
export interface Conditions {
  write: boolean;
  owner: boolean;
  tty: boolean;
}

export const SOCK_TYPES = ["stream", "dgram", "raw", "rdm", "seqpacket", "dccp", "packet"] as const;
export const IP_PROTOCOLS = ["tcp", "udp", "icmp", "icmpv6", "sctp"] as const;

const RANK: Record<Action, number> = { Allow: 1, Audit: 2, Block: 3 };

/**
 * What one matching rule says about an access under the given conditions; undefined = the rule
 * does not apply (the search continues with less specific rules). This is the readOnly /
 * ownerOnly / pts table of docs/compilers.md.
 */
export function ruleVerdict(rule: Rule, c: Conditions): Action | undefined {
  if (rule.category === "network") {
    return ptsOk(rule.pts, c.tty) ? rule.action : undefined;
  }
  if (rule.category === "capabilities") return rule.action;
  if (rule.category !== "process" && rule.category !== "file") return undefined;
  if (!ptsOk(rule.pts, c.tty)) return undefined;
  const readOnly = rule.category === "file" ? rule.readOnly : false;
  const write = rule.category === "file" ? c.write : false;
  const { ownerOnly } = rule;
  switch (rule.action) {
    case "Allow":
      if (ownerOnly && !c.owner) return undefined; // not granted to others: falls to other rules / posture
      if (readOnly && write) return undefined; // only reads are granted
      return "Allow";
    case "Block":
      if (ownerOnly && c.owner) return readOnly && write ? "Block" : "Allow"; // the owner is allowed at once
      if (readOnly && !write && !ownerOnly) return undefined; // reads are not blocked
      return "Block";
    case "Audit":
      if (ownerOnly && c.owner) return readOnly && write ? "Audit" : undefined;
      if (readOnly && !write && !ownerOnly) return undefined;
      return "Audit";
  }
}

function ptsOk(pts: boolean | undefined, tty: boolean): boolean {
  if (pts === undefined) return true;
  return pts ? tty : !tty;
}

/** Bytes of a string as a "binary" JS string (one char per UTF-8 byte), so globs count bytes. */
export function byteString(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

/** Depth of a `/`-terminated directory: number of `/` (`/` = 1, `/a/` = 2). */
export function depthOf(dir: string): number {
  let n = 0;
  for (let i = 0; i < dir.length; i++) if (dir.charCodeAt(i) === 47) n++;
  return n;
}

/**
 * Does directory rule `dir` (ends with `/`) cover `path`? The directory itself (path + "/" ===
 * dir), its direct children, and with `recursive` everything below it.
 */
export function dirCovers(dir: string, recursive: boolean, path: string): boolean {
  const self = path.endsWith("/") ? path : path + "/";
  if (self === dir) return true;
  if (!path.startsWith(dir) || path.length <= dir.length) return false;
  return recursive || !path.slice(dir.length).includes("/");
}

/** The literal directory a glob hangs off: text before the first wildcard, cut after its last `/`. */
export function globAnchor(pattern: string): string {
  let i = 0;
  while (i < pattern.length && !"*?[{\\".includes(pattern[i]!)) i++;
  const literal = pattern.slice(0, i);
  return literal.slice(0, literal.lastIndexOf("/") + 1);
}

/**
 * Alternatives of a glob's `{a,b}` groups (nested groups allowed), in order; undefined when the
 * braces are unbalanced or there are more than `limit` alternatives. `\\x` escapes are kept.
 * `strict`: also undefined when expansion puts two `*` next to each other (`*{,x}*` would turn
 * into `**`, which means something else).
 */
export function expandBraces(pattern: string, limit = 64, strict = false): string[] | undefined {
  let joinedStars = false;
  const join = (a: string, b: string) => {
    if (a.endsWith("*") && b.startsWith("*")) joinedStars = true;
    return a + b;
  };
  let afterGroup = false;
  let i = 0;
  // seq := (text | group)*, group := '{' seq (',' seq)* '}'
  function seq(inGroup: boolean): string[] | undefined {
    let acc = [""];
    while (i < pattern.length) {
      const ch = pattern[i]!;
      if (inGroup && (ch === "," || ch === "}")) return acc;
      if (ch === "\\" && i + 1 < pattern.length) {
        acc = acc.map(a => a + ch + pattern[i + 1]);
        afterGroup = false;
        i += 2;
      } else if (ch === "{") {
        i++;
        const alts: string[] = [];
        for (;;) {
          const part = seq(true);
          if (!part || i >= pattern.length) return undefined;
          alts.push(...part);
          if (pattern[i] === "}") {
            i++;
            break;
          }
          i++;
        }
        const next: string[] = [];
        for (const a of acc) for (const b of alts) next.push(join(a, b));
        if (next.length > limit) return undefined;
        acc = next;
        afterGroup = true;
      } else if (ch === "}") {
        return undefined;
      } else {
        acc = acc.map(a => (afterGroup ? join(a, ch) : a + ch));
        afterGroup = false;
        i++;
      }
    }
    return inGroup ? undefined : acc;
  }
  const out = seq(false);
  // Joining `*` + `*` across a group boundary would read as `**` (crosses `/`): refuse when strict.
  if (strict && joinedStars) return undefined;
  return out && out.length <= limit ? out : undefined;
}

const regexCache = new Map<string, RegExp | null>();

/**
 * AppArmor-style glob → RegExp over byte strings: `**` any bytes, `*` any bytes but `/`, `?` one
 * byte but `/`, `[..]`/`[^..]` a class (negated classes never match `/`), `{a,b}` alternation,
 * `\x` a literal x. null when the pattern is malformed (it then matches nothing).
 */
export function globRegExp(pattern: string): RegExp | null {
  const cached = regexCache.get(pattern);
  if (cached !== undefined) return cached;
  const p = byteString(pattern);
  let i = 0;
  const esc = (ch: string) => "\\x" + ch.charCodeAt(0).toString(16).padStart(2, "0");
  function seq(inBrace: boolean): string {
    let out = "";
    while (i < p.length) {
      const ch = p[i]!;
      if (inBrace && (ch === "," || ch === "}")) return out;
      if (ch === "*") {
        if (p[i + 1] === "*") {
          out += "[\\s\\S]*";
          i += 2;
          while (p[i] === "*") i++;
        } else {
          out += "[^/]*";
          i++;
        }
      } else if (ch === "?") {
        out += "[^/]";
        i++;
      } else if (ch === "[") {
        const end = p.indexOf("]", i + 2);
        if (end < 0) throw new Error("unclosed [");
        let body = p.slice(i + 1, end);
        const neg = body.startsWith("^");
        if (neg) body = body.slice(1);
        if (body === "") throw new Error("empty class");
        let cls = "";
        for (let k = 0; k < body.length; k++) {
          if (body[k] === "-" && k > 0 && k < body.length - 1) cls += "-";
          else cls += esc(body[k]!);
        }
        out += neg ? `[^/${cls}]` : `[${cls}]`;
        i = end + 1;
      } else if (ch === "{") {
        i++;
        const alts: string[] = [];
        for (;;) {
          alts.push(seq(true));
          if (i >= p.length) throw new Error("unclosed {");
          if (p[i] === "}") {
            i++;
            break;
          }
          i++; // ','
        }
        out += `(?:${alts.join("|")})`;
      } else if (ch === "\\") {
        if (i + 1 >= p.length) throw new Error("trailing backslash");
        out += esc(p[i + 1]!);
        i += 2;
      } else {
        out += esc(ch);
        i++;
      }
    }
    if (inBrace) throw new Error("unclosed {");
    return out;
  }
  let re: RegExp | null;
  try {
    const body = seq(false);
    if (i < p.length) throw new Error("stray }");
    re = new RegExp(`^${body}$`);
  } catch {
    re = null;
  }
  regexCache.set(pattern, re);
  return re;
}

export function globMatches(pattern: string, path: string): boolean {
  const re = globRegExp(pattern);
  return re !== null && re.test(byteString(path));
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function protocolMatches(rule: NetworkRule, ev: OracleEvent): boolean {
  const p = rule.protocol;
  if (p === "all") return true;
  if ((IP_PROTOCOLS as readonly string[]).includes(p)) return ev.protocol === p;
  return ev.sockType === p;
}

/**
 * Specificity of a process/file rule for this path, or undefined when its resource does not
 * match. Larger is more specific: exact path > execname > globs and directories by the depth of
 * their directory (a glob ranks just above a directory rule on its own anchor).
 */
function pathSpecificity(rule: ProcessRule | FileRule, path: string): number | undefined {
  const m = rule.match;
  switch (m.type) {
    case "path":
      return m.path === path ? 3_000_000 : undefined;
    case "execname":
      return basename(path) === m.name && path.length > 0 ? 2_000_000 : undefined;
    case "dir":
      return dirCovers(m.dir, m.recursive, path) ? depthOf(m.dir) * 2 : undefined;
    case "pattern": {
      if (!globMatches(m.pattern, path)) return undefined;
      // A `{a,b}` pattern ranks by the alternative that matches with the deepest anchor.
      let best = depthOf(globAnchor(m.pattern)) * 2 + 1;
      for (const alt of expandBraces(m.pattern) ?? []) {
        if (globMatches(alt, path)) best = Math.max(best, depthOf(globAnchor(alt)) * 2 + 1);
      }
      return best;
    }
  }
}

interface Candidate {
  index: number;
  rule: Rule;
  score: number;
  verdict: Action;
}

const POSTURE_CATEGORY = {
  process: "file",
  file: "file",
  network: "network",
  capability: "capabilities",
} as const;

function describe(rule: Rule): string {
  const o = rule.origin;
  const kind = o.kind === "KubeArmorPolicy" ? "ksp" : o.kind === "KubeArmorClusterPolicy" ? "csp" : "hsp";
  return `${kind} ${o.namespace ? o.namespace + "/" : ""}${o.name} ${o.path}`;
}

/** Decide one access. */
export function decide(policy: EffectivePolicy, ev: OracleEvent): OracleDecision {
  const disabled = policy.state === "disabled";
  const audited = policy.state === "audited";
  const postureCat = POSTURE_CATEGORY[ev.operation];
  const allowList = !disabled && policy.allowList[postureCat];
  const ruleCategory = ev.operation === "capability" ? "capabilities" : ev.operation;
  const cond: Conditions = {
    write: ev.operation === "file" && ev.write === true,
    owner:
      (ev.operation === "file" || ev.operation === "process") &&
      ev.uid !== undefined &&
      ev.uid === ev.ownerUid,
    tty: ev.tty === true,
  };
  // A disabled endpoint enforces nothing: only plain Audit rules still match (compat §7.4).
  const active = (r: Rule) => r.category === ruleCategory && (!disabled || r.action === "Audit");

  const finish = (d: OracleDecision): OracleDecision => {
    if (audited && d.verdict === "Block") {
      return { ...d, verdict: "Audit", wouldBlock: true, reason: `Audit (Block): ${d.reason}` };
    }
    return d;
  };

  if ((ev.operation === "process" || ev.operation === "file") && (ev.truncated || !ev.path)) {
    if (allowList || policy.rules.some(active)) {
      return finish({ verdict: "Block", reason: "path could not be resolved completely: fail closed" });
    }
    return { verdict: "Allow", reason: "no rule for this category" };
  }

  const source = ev.source ?? "";
  // Source-specific rules outrank rules for any source; within a class, the most specific resource.
  for (const specific of source ? [true, false] : [false]) {
    const candidates: Candidate[] = [];
    policy.rules.forEach((rule, index) => {
      if (!active(rule) || !("fromSource" in rule)) return;
      const fs = rule.fromSource as unknown[];
      if (specific ? !(fs as string[]).includes(source) : fs.length > 0) return;
      let score: number | undefined;
      if (rule.category === "process" || rule.category === "file") {
        if (ev.path === undefined || ev.path === "") return;
        if (rule.category === "file" && rule.match.type === ("execname" as string)) return;
        score = pathSpecificity(rule, ev.path);
      } else if (rule.category === "network") {
        score = protocolMatches(rule, ev) ? 0 : undefined;
      } else if (rule.category === "capabilities") {
        score = rule.capability === ev.capability ? 0 : undefined;
      }
      if (score === undefined) return;
      const verdict = ruleVerdict(rule, cond);
      if (verdict === undefined) return;
      candidates.push({ index, rule, score, verdict });
    });
    if (candidates.length === 0) continue;
    const top = Math.max(...candidates.map(c => c.score));
    let best: Candidate | undefined;
    for (const c of candidates) {
      if (c.score !== top) continue;
      if (!best || RANK[c.verdict] > RANK[best.verdict]) best = c; // ties keep the earlier rule
    }
    const b = best!;
    return finish({
      verdict: b.verdict,
      rule: b.rule,
      ruleIndex: b.index,
      reason: `${b.verdict} by ${describe(b.rule)}`,
    });
  }

  if (allowList) {
    const posture = policy.postures[postureCat];
    return finish({
      verdict: posture === "block" ? "Block" : "Audit",
      defaultPosture: postureCat,
      reason: `no Allow rule matched in the ${postureCat} allow-list: default posture ${posture}`,
    });
  }
  return { verdict: "Allow", reason: "no rule matched" };
}
