// SPDX-License-Identifier: Apache-2.0
//
// AppArmor compiler: EffectivePolicy → one profile text (main profile + one child profile per
// fromSource binary). KubeArmor's rule → line mapping (kubearmor-compat §14.3) without its
// template quirks (§21.2): child profiles inherit the container's allow-list headers and only add
// their own grants, process Allow patterns grant, a capability deny is one line. Every string
// from a policy is quoted and escaped, or rejected with a typed error: no policy string can add
// a rule or a profile. Pure and deterministic; the body's sha256 is in a header comment.

import { createHash } from "node:crypto";
import type { EffectivePolicy, FileRule, NetworkRule, ProcessRule, Rule } from "../model/types.js";
import { HOST_PROFILE_NAME, profileName } from "../model/profile-name.js";
import { checkAppArmorText } from "../model/strings.js";
import type { CompileError, CompileResult } from "./errors.js";
import { dirCovers, globMatches } from "./oracle.js";

export interface AppArmorProfile {
  /** Main profile name (`rampart-<ns>-<owner>-<container>` or `rampart.host`). */
  name: string;
  /** Child profile names, one per fromSource binary (`<name>//<child>`). */
  children: string[];
  text: string;
  /** sha256 of everything after the header comment (also written in the header). */
  sha256: string;
}

/** Host profiles attach to shells, like KubeArmor's (compat §14.1): only shells and their children. */
export const HOST_ATTACHMENT = "/{usr/,}bin/*sh";
export const FLAGS = "flags=(attach_disconnected,mediate_deleted)";

/** KubeArmor's POST section (compat §14.2): baseline hardening present in every profile. */
const POST_MAIN = [
  "/lib/x86_64-linux-gnu/{*,**} rm,",
  "deny @{PROC}/{*,**^[0-9*],sys/kernel/shm*} wkx,",
  "deny @{PROC}/sysrq-trigger rwklx,",
  "deny @{PROC}/mem rwklx,",
  "deny @{PROC}/kmem rwklx,",
  "deny @{PROC}/kcore rwklx,",
  "deny mount,",
  "deny /sys/[^f]*/** wklx,",
  "deny /sys/f[^s]*/** wklx,",
  "deny /sys/fs/[^c]*/** wklx,",
  "deny /sys/fs/c[^g]*/** wklx,",
  "deny /sys/fs/cg[^r]*/** wklx,",
  "deny /sys/firmware/efi/efivars/** rwklx,",
  "deny /sys/kernel/security/** rwklx,",
];

const META = new Set(["\\", '"', "*", "?", "[", "]", "{", "}", "^"]);

/** A literal path as a quoted AppArmor string: glob metacharacters escaped; control chars, quotes and backslashes refused. */
export function quoteLiteral(s: string): string | { error: string } {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f) return { error: "contains a control character (newline, tab, NUL…)" };
    // apparmor_parser's lexer ends a quoted string at the first unescaped-looking quote and reads
    // `\"` as an escaped quote, so neither a quote nor a backslash can be carried safely.
    if (ch === '"' || ch === "\\")
      return { error: `contains ${ch === '"' ? "a double quote" : "a backslash"}` };
    out += META.has(ch) ? "\\" + ch : ch;
  }
  return `"${out}"`;
}

/**
 * A matchPatterns glob as a quoted AppArmor string. Accepts AppArmor glob syntax (`*`, `**`, `?`,
 * `[...]`, `{a,b}`, `\x`) and refuses whatever could break out of the string or the rule, or make
 * apparmor_parser reject the profile: quotes, control characters, variables, unbalanced groups.
 */
export function quotePattern(p: string): string | { error: string } {
  if (!p.startsWith("/")) return { error: "pattern must start with /" };
  let depth = 0;
  let inClass = false;
  let classLen = 0;
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f) return { error: "pattern contains a control character (newline, tab, NUL…)" };
    if (ch === '"') return { error: "pattern contains a double quote" };
    if (ch === "\\") {
      const next = p[i + 1];
      if (next === undefined || next === "\\" || next === '"' || !META.has(next))
        return { error: "a backslash in a pattern must escape one of * ? [ ] { } ^" };
      i++;
      if (inClass) classLen++;
      continue;
    }
    if (inClass) {
      if (ch === "]" && classLen > 0) inClass = false;
      else if (ch === "[") return { error: "nested [ in a character class" };
      else classLen++;
      continue;
    }
    if (ch === "@" && p[i + 1] === "{")
      return { error: "AppArmor variables (@{...}) are not allowed in patterns" };
    if (ch === "[") {
      inClass = true;
      classLen = 0;
      if (p[i + 1] === "^") i++;
    } else if (ch === "]") return { error: "unbalanced ] in pattern" };
    else if (ch === "{") depth++;
    else if (ch === "}") {
      if (--depth < 0) return { error: "unbalanced } in pattern" };
    } else if (ch === "^") return { error: "^ is only allowed as [^...] in a pattern" };
  }
  if (inClass) return { error: "unclosed [ in pattern" };
  if (depth !== 0) return { error: "unbalanced { in pattern" };
  return `"${p}"`;
}

/** Native `spec.apparmor` lines: the model's checks plus: braces only inside one token (no blocks). */
export function checkNativeLine(line: string): string | undefined {
  const model = checkAppArmorText(line);
  if (model.length) return model[0];
  for (const token of line.trim().split(/\s+/)) {
    let d = 0;
    for (const ch of token) {
      if (ch === "{") d++;
      if (ch === "}" && --d < 0) return "unbalanced } (blocks are not allowed)";
    }
    if (d !== 0) return "unbalanced { (blocks are not allowed)";
    if (token.endsWith("\\") || token.endsWith('\\",') || token.endsWith('\\"'))
      return "a trailing backslash is not allowed";
  }
  return undefined;
}

function childName(src: string): string {
  const base = src
    .slice(src.lastIndexOf("/") + 1)
    .replace(/[^A-Za-z0-9_.-]+/g, "_")
    .replace(/^[._-]+/, "")
    .slice(0, 40);
  const digest = createHash("sha256").update(src).digest("hex").slice(0, 8);
  return `src_${base || "bin"}_${digest}`;
}

type PathRule = ProcessRule | FileRule;

/** The AppArmor resource text of a process/file rule (quoted), or an error. */
function resource(rule: PathRule): string | { error: string } {
  const m = rule.match;
  switch (m.type) {
    case "path":
      return quoteLiteral(m.path);
    case "dir": {
      const q = quoteLiteral(m.dir);
      if (typeof q !== "string") return q;
      return q.slice(0, -1) + (m.recursive ? "{,**}" : "{,*}") + '"';
    }
    case "pattern":
      return quotePattern(m.pattern);
    case "execname": {
      if (!m.name || m.name.includes("/")) return { error: "execname must be a bare file name" };
      const q = quoteLiteral(m.name);
      if (typeof q !== "string") return q;
      return '"/**/' + q.slice(1);
    }
  }
}

/** §14.3 file lines. */
export function fileLines(rule: FileRule, P: string): string[] {
  const { readOnly: ro, ownerOnly: own } = rule;
  if (rule.action === "Block") {
    if (own && ro) return [`deny owner ${P} klw,`, `deny other ${P} klmrw,`];
    if (own) return [`owner ${P} klmrw,`, `deny other ${P} klmrw,`];
    if (ro) return [`deny ${P} klw,`];
    return [`deny ${P} klmrw,`];
  }
  if (rule.action === "Allow") {
    if (own && ro) return [`owner ${P} klr,`];
    if (own) return [`owner ${P} klmrw,`];
    if (ro) return [`${P} klr,`];
    return [`${P} klmrw,`];
  }
  return []; // Audit: reported by the enforcer's audit path, nothing to enforce
}

/** §14.3 process lines; `grant` = false drops exec grants that a cx/px transition already gives. */
export function processLines(rule: ProcessRule, P: string, grant = true): string[] {
  if (rule.action === "Block") {
    if (rule.ownerOnly) return [...(grant ? [`owner ${P} ix,`] : []), `deny other ${P} x,`];
    return [`deny ${P} x,`];
  }
  if (rule.action === "Allow") {
    if (!grant) return [];
    return [rule.ownerOnly ? `owner ${P} ix,` : `${P} ix,`];
  }
  return [];
}

/** AppArmor network rule for a protocol (icmpv6 folds into icmp like KubeArmor; sctp/dccp have no AppArmor keyword). */
export function networkLine(rule: NetworkRule): string | undefined {
  const p = rule.protocol === "icmpv6" ? "icmp" : rule.protocol;
  if (p === "sctp" || p === "dccp") return undefined;
  const body = p === "all" ? "network," : `network ${p},`;
  if (rule.action === "Block") return `deny ${body}`;
  if (rule.action === "Allow") return body;
  return undefined;
}

/** Does source-specific rule `s` cover global rule `g` (so the child keeps only `s`)? */
function covers(s: Rule, g: Rule): boolean {
  if (s.category !== g.category) return false;
  if (
    (s.category === "process" || s.category === "file") &&
    (g.category === "process" || g.category === "file")
  ) {
    const sm = s.match;
    const gm = g.match;
    if (sm.type === "path" && gm.type === "path") return sm.path === gm.path;
    if (sm.type === "execname" && gm.type === "execname") return sm.name === gm.name;
    if (sm.type === "pattern" && gm.type === "pattern") return sm.pattern === gm.pattern;
    if (sm.type === "pattern" && gm.type === "path") return globMatches(sm.pattern, gm.path);
    if (sm.type === "dir") {
      if (gm.type === "path") return dirCovers(sm.dir, sm.recursive, gm.path);
      if (gm.type === "dir")
        return gm.dir === sm.dir ? sm.recursive || !gm.recursive : sm.recursive && gm.dir.startsWith(sm.dir);
    }
    return false;
  }
  if (s.category === "network" && g.category === "network")
    return s.protocol === g.protocol || s.protocol === "all";
  if (s.category === "capabilities" && g.category === "capabilities") return s.capability === g.capability;
  return false;
}

interface Body {
  lines: string[];
  seen: Set<string>;
}
const body = (): Body => ({ lines: [], seen: new Set() });
function push(b: Body, ...ls: string[]) {
  for (const l of ls) {
    if (b.seen.has(l)) continue;
    b.seen.add(l);
    b.lines.push(l);
  }
}

/** The main profile's name for this target. */
export function appArmorProfileName(policy: EffectivePolicy): string {
  const t = policy.target;
  return t.kind === "host" ? HOST_PROFILE_NAME : profileName(t.namespace, t.owner.name, t.container);
}

export function compileAppArmor(policy: EffectivePolicy): CompileResult<AppArmorProfile> {
  const errors: CompileError[] = [];
  const warnings: CompileError[] = [];
  const name = appArmorProfileName(policy);
  const enforce = policy.state === "enabled";
  const warn = (rule: Rule, code: string, message: string) =>
    warnings.push({ target: "apparmor", code, message, origin: rule.origin });

  // Resources, validated once per rule.
  const res = new Map<Rule, string>();
  const sources: string[] = [];
  for (const rule of policy.rules) {
    if (rule.category === "process" || rule.category === "file") {
      const r = resource(rule);
      if (typeof r !== "string")
        errors.push({ target: "apparmor", code: "unsafe-string", message: r.error, origin: rule.origin });
      else res.set(rule, r);
      if (rule.pts !== undefined)
        warn(
          rule,
          "pts-ignored",
          "pts is not supported by AppArmor: the rule applies with and without a TTY",
        );
      if (rule.category === "process" && rule.allowedArgs?.length)
        warn(rule, "allowed-args-ignored", "allowedArgs is not supported by AppArmor");
    }
    if (rule.category === "network" && rule.pts !== undefined)
      warn(rule, "pts-ignored", "pts is not supported by AppArmor");
    if (
      rule.category === "network" &&
      (rule.protocol === "sctp" || rule.protocol === "dccp") &&
      rule.action !== "Audit"
    ) {
      warn(
        rule,
        "protocol-unsupported",
        `AppArmor has no network keyword for ${rule.protocol}: rule not enforced by AppArmor`,
      );
    }
    if (rule.category === "dns") warn(rule, "dns-unsupported", "matchDNSQueries is not enforced by AppArmor");
    if ("fromSource" in rule && rule.category !== "syscalls") {
      for (const s of rule.fromSource as string[]) {
        if (sources.includes(s)) continue;
        const q = quoteLiteral(s);
        if (typeof q !== "string" || !s.startsWith("/")) {
          errors.push({
            target: "apparmor",
            code: "unsafe-string",
            message: `fromSource ${JSON.stringify(s)}: ${typeof q === "string" ? "not absolute" : q.error}`,
            origin: rule.origin,
          });
        } else sources.push(s);
      }
    }
  }
  const native: string[] = [];
  for (const snippet of policy.apparmor) {
    for (const raw of snippet.text.replace(/\r\n/g, "\n").split("\n")) {
      const line = raw.trim();
      if (!line || line.startsWith("# ") || line === "#") continue;
      const problem = checkNativeLine(line);
      if (problem)
        errors.push({
          target: "apparmor",
          code: "unsafe-native",
          message: `spec.apparmor: ${problem}`,
          origin: snippet.origin,
        });
      else native.push(line);
    }
  }
  if (errors.length) return { ok: false, errors };

  const sourceSet = new Set(sources);
  const child = new Map(sources.map(s => [s, childName(s)]));
  const headers = (b: Body) => {
    const allowList = enforce ? policy.allowList : { file: false, network: false, capabilities: false };
    if (!(allowList.file && policy.postures.file === "block")) push(b, "file,");
    if (!(allowList.network && policy.postures.network === "block")) push(b, "network,");
    if (!(allowList.capabilities && policy.postures.capabilities === "block")) push(b, "capability,");
  };
  /** Lines of one rule in the profile of `self` (undefined = main profile). */
  const ruleLines = (rule: Rule, self: string | undefined): string[] => {
    if (rule.category === "file") return fileLines(rule, res.get(rule)!);
    if (rule.category === "process") {
      const m = rule.match;
      // An exact path that is a source binary is entered through its transition, which already grants exec.
      const transition = m.type === "path" && sourceSet.has(m.path) && m.path !== self;
      return processLines(rule, res.get(rule)!, !transition);
    }
    if (rule.category === "network") {
      const l = networkLine(rule);
      return l ? [l] : [];
    }
    if (rule.category === "capabilities") {
      if (rule.action === "Block") return [`deny capability ${rule.capability},`];
      if (rule.action === "Allow") return [`capability ${rule.capability},`];
    }
    return [];
  };
  const global = enforce
    ? policy.rules.filter(r => "fromSource" in r && (r.fromSource as unknown[]).length === 0)
    : [];

  const main = body();
  push(main, "#include <abstractions/base>");
  headers(main);
  if (!enforce) main.lines.push(`# policy state ${policy.state}: nothing is enforced by AppArmor`);
  for (const r of global) push(main, ...ruleLines(r, undefined));
  if (enforce) for (const s of sources) push(main, `${quoteLiteral(s) as string} cx -> ${child.get(s)},`);
  if (enforce) push(main, ...native);
  push(main, ...POST_MAIN);

  const childTexts: string[] = [];
  if (enforce) {
    for (const s of sources) {
      const own = policy.rules.filter(r => "fromSource" in r && (r.fromSource as string[]).includes(s));
      const b = body();
      push(b, "#include <abstractions/base>");
      headers(b);
      push(b, `${quoteLiteral(s) as string} rix,`);
      for (const r of own) push(b, ...ruleLines(r, s));
      for (const g of global) if (!own.some(o => covers(o, g))) push(b, ...ruleLines(g, s));
      for (const other of sources)
        if (other !== s) push(b, `${quoteLiteral(other) as string} px -> ${name}//${child.get(other)},`);
      push(b, ...native);
      push(b, POST_MAIN[0]!);
      childTexts.push(
        `  profile ${child.get(s)} ${FLAGS} {\n${b.lines.map(l => "    " + l).join("\n")}\n  }`,
      );
    }
  }

  const attach = policy.target.kind === "host" ? ` ${HOST_ATTACHMENT}` : "";
  const text =
    `#include <tunables/global>\n\n` +
    `profile ${name}${attach} ${FLAGS} {\n` +
    main.lines.map(l => "  " + l).join("\n") +
    (childTexts.length ? "\n\n" + childTexts.join("\n\n") : "") +
    `\n}\n`;
  const sha256 = createHash("sha256").update(text).digest("hex");
  const header = `## == Managed by Rampart == ##\n# rampart-sha256: ${sha256}\n# profile: ${name}\n`;
  return {
    ok: true,
    warnings,
    value: { name, children: enforce ? sources.map(s => child.get(s)!) : [], text: header + text, sha256 },
  };
}
