// SPDX-License-Identifier: Apache-2.0
//
// SELinux compiler for host policies: a CIL module plus its file contexts, following KubeArmor's
// host design (kubearmor-compat §17): enforcement by relabelling the protected files with types
// that the host's unconfined domains are not granted, and by giving each fromSource binary its own
// domain. SELinux has no deny rules, so a "Block" is the absence of an allow for the new type.
// Limits (docs/compilers.md): host only; one label per inode, so a path can carry one decision;
// labels apply to existing files (restorecon at apply time); no globs, execname, ownerOnly, pts,
// network or capability rules; allow-list postures are not enforced (BPF-LSM does that).
// Pure: the module text and file_contexts list are returned; loading is the backend's job.

import { createHash } from "node:crypto";
import type { EffectivePolicy, FileRule, ProcessRule, Rule } from "../model/types.js";
import type { CompileError, CompileResult } from "./errors.js";

export interface SELinuxModule {
  /** Module name (also the CIL file name): `rampart_host_<hostname>`. */
  name: string;
  cil: string;
  /** file_contexts lines: `<regex>\t<file type>\t<context>`. */
  fileContexts: string;
  /**
   * Where relabelling starts (restorecon -R): the path of each labelled file or directory and
   * of each source binary, deduplicated and sorted.
   */
  relabelPaths: string[];
  sha256: string;
}

/**
 * Names the module expects from the base policy (Debian's refpolicy provides them; the tests build
 * a minimal base with the same names).
 */
export const BASE_REQUIREMENTS = {
  unconfinedDomain: "unconfined_t",
  unconfinedRole: "unconfined_r",
  objectRole: "object_r",
  user: "system_u",
  level: "s0",
  /** Attribute whose members get full file access (refpolicy: unconfined_domain_type). */
  unconfinedAttr: "unconfined_domain_type",
  /** Attribute of ordinary file types that unconfined domains may use (refpolicy: file_type). */
  fileTypeAttr: "file_type",
  domainAttr: "domain",
  /** Attribute of filesystem types (refpolicy: filesystem_type): labelled files must associate with it. */
  filesystemAttr: "filesystem_type",
} as const;

/**
 * Attribute declared by every Rampart module: the domain that relabels files (the node daemon,
 * running restorecon) may read and change labels of Rampart's object types, which no other
 * domain may even stat when they block. The backend adds the daemon's own type to it.
 */
export const RELABELER_ATTR = "rampart_relabeler";

const FILE_ALL =
  "read write append open getattr setattr lock ioctl map execute execute_no_trans create unlink rename link";
const FILE_READ = "read open getattr lock ioctl map execute execute_no_trans";
const FILE_WRITE = "write append setattr create unlink rename link";
const DIR_ALL = "read write open getattr setattr search add_name remove_name create rmdir rename lock ioctl";
const DIR_READ = "read open getattr search lock ioctl";

/** One decision per labelled object. */
type Label =
  | { kind: "block"; readOnly: boolean }
  | { kind: "audit"; writesOnly: boolean }
  | { kind: "src-block"; src: number; readOnly: boolean }
  | { kind: "src-allow"; src: number; readOnly: boolean }
  | { kind: "src-audit"; src: number };

function typeOf(l: Label): string {
  switch (l.kind) {
    case "block":
      return l.readOnly ? "rampart_readonly_t" : "rampart_block_t";
    case "audit":
      return l.writesOnly ? "rampart_audit_write_t" : "rampart_audit_t";
    case "src-block":
      return `rampart_s${l.src}_${l.readOnly ? "readonly" : "block"}_t`;
    case "src-allow":
      return `rampart_s${l.src}_${l.readOnly ? "read" : "allow"}_t`;
    case "src-audit":
      return `rampart_s${l.src}_audit_t`;
  }
}

/** A path as an anchored file_contexts regex (PCRE): metacharacters escaped; unsafe strings refused. */
export function pathRegex(p: string): string | { error: string } {
  if (!p.startsWith("/")) return { error: "not an absolute path" };
  for (const ch of p) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x20 || c === 0x7f)
      return { error: "contains whitespace or a control character (not representable in file_contexts)" };
    if (ch === '"') return { error: "contains a double quote" };
  }
  return p.replace(/[\\.+*?[\](){}|^$]/g, m => "\\" + m);
}

export function selinuxModuleName(policy: EffectivePolicy): string {
  const host = policy.target.kind === "host" ? policy.target.hostname : "container";
  const clean = host
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 40);
  const digest = createHash("sha256").update(host).digest("hex").slice(0, 8);
  return `rampart_host_${clean || "node"}_${digest}`;
}

export function compileSELinux(policy: EffectivePolicy): CompileResult<SELinuxModule> {
  const errors: CompileError[] = [];
  const warnings: CompileError[] = [];
  if (policy.target.kind !== "host") {
    return {
      ok: false,
      errors: [
        {
          target: "selinux",
          code: "host-only",
          message: "the SELinux enforcer handles host policies only (containers use AppArmor or BPF-LSM)",
        },
      ],
    };
  }
  const warn = (rule: Rule, code: string, message: string) =>
    warnings.push({ target: "selinux", code, message, origin: rule.origin });
  const enforce = policy.state === "enabled";
  if (!enforce)
    warnings.push({
      target: "selinux",
      code: "state-not-enforced",
      message: `policy state ${policy.state}: the module labels nothing`,
    });
  if (enforce && (policy.allowList.file || policy.allowList.network || policy.allowList.capabilities)) {
    warnings.push({
      target: "selinux",
      code: "posture-not-enforced",
      message: "allow-list default postures are not enforced by the SELinux host enforcer",
    });
  }

  const sources: string[] = [];
  const srcIndex = (s: string) => {
    let i = sources.indexOf(s);
    if (i < 0) i = sources.push(s) - 1;
    return i;
  };
  // regex → {label, rule, file type}; one label per object.
  const objects = new Map<string, { label: Label; rule: Rule; what: string; root: string }>();
  const place = (rule: Rule, regex: string, what: string, root: string, label: Label) => {
    const prev = objects.get(regex);
    if (prev && typeOf(prev.label) !== typeOf(label)) {
      errors.push({
        target: "selinux",
        code: "conflicting-labels",
        message: `${what} needs type ${typeOf(label)} but another rule (${prev.rule.origin.name} ${prev.rule.origin.path}) labels it ${typeOf(prev.label)}: SELinux holds one type per file`,
        origin: rule.origin,
      });
      return;
    }
    if (!prev) objects.set(regex, { label, rule, what, root });
  };

  for (const rule of enforce ? policy.rules : []) {
    if (rule.category === "syscalls" || rule.category === "device") continue;
    if (rule.category !== "process" && rule.category !== "file") {
      if (
        rule.action !== "Audit" ||
        rule.category === "network" ||
        rule.category === "capabilities" ||
        rule.category === "dns"
      ) {
        warn(rule, "not-enforced", `${rule.category} rules are not enforced by the SELinux host enforcer`);
      }
      continue;
    }
    const r = rule as ProcessRule | FileRule;
    const m = r.match;
    if (m.type === "pattern" || m.type === "execname") {
      warn(
        rule,
        "not-enforced",
        `${m.type === "pattern" ? "matchPatterns" : "execname"} is not enforced by the SELinux host enforcer`,
      );
      continue;
    }
    if (r.ownerOnly)
      warn(rule, "owner-ignored", "ownerOnly is not enforced by SELinux: the rule applies to every user");
    if (r.pts !== undefined) warn(rule, "pts-ignored", "pts is not enforced by SELinux");
    const target = m.type === "path" ? m.path : m.dir;
    const root = m.type === "dir" && m.dir !== "/" ? m.dir.slice(0, -1) : target;
    const base = pathRegex(root);
    if (typeof base !== "string") {
      errors.push({
        target: "selinux",
        code: "unsafe-string",
        message: `${JSON.stringify(target)}: ${base.error}`,
        origin: rule.origin,
      });
      continue;
    }
    const regex =
      m.type === "path"
        ? base
        : m.dir === "/"
          ? m.recursive
            ? "/.*"
            : "/[^/]*"
          : m.recursive
            ? `${base}(/.*)?`
            : `${base}(/[^/]*)?`;
    const readOnly = r.category === "file" && r.readOnly;
    const srcs = r.fromSource;
    for (const s of srcs) {
      if (typeof pathRegex(s) !== "string") {
        errors.push({
          target: "selinux",
          code: "unsafe-string",
          message: `fromSource ${JSON.stringify(s)}: ${(pathRegex(s) as { error: string }).error}`,
          origin: rule.origin,
        });
      }
    }
    if (srcs.length > 1)
      warn(
        rule,
        "first-source-only",
        "SELinux labels each file once: only the first fromSource binary is used",
      );
    const src = srcs.length ? srcIndex(srcs[0]!) : undefined;
    let label: Label | undefined;
    if (rule.action === "Block")
      label = src === undefined ? { kind: "block", readOnly } : { kind: "src-block", src, readOnly };
    else if (rule.action === "Audit")
      label = src === undefined ? { kind: "audit", writesOnly: readOnly } : { kind: "src-audit", src };
    else if (src !== undefined) label = { kind: "src-allow", src, readOnly };
    else continue; // a global Allow changes nothing for unconfined domains
    place(rule, regex, JSON.stringify(target), root, label);
  }
  if (errors.length) return { ok: false, errors };

  const B = BASE_REQUIREMENTS;
  const ctx = (t: string) => `(${B.user} ${B.objectRole} ${t} ((${B.level}) (${B.level})))`;
  const lines: string[] = [];
  const types = new Set<string>();
  const declare = (t: string, domain = false) => {
    if (types.has(t)) return;
    types.add(t);
    lines.push(
      `(type ${t})`,
      domain ? `(roletype ${B.unconfinedRole} ${t})` : `(roletype ${B.objectRole} ${t})`,
    );
  };
  // "Everyone" is every unconfined domain (refpolicy: kernel_t, init, unconfined_t, …), source
  // domains included (they join the attribute below); "everyone but S" is a CIL attribute
  // expression, so a new unconfined domain in the base is covered without recompiling.
  const everyone = [B.unconfinedAttr];
  const othersThan = (i: number): string[] => {
    const attr = `rampart_not_s${i}`;
    if (!types.has(attr)) {
      types.add(attr);
      lines.push(
        `(typeattribute ${attr})`,
        `(typeattributeset ${attr} (and (${B.unconfinedAttr}) (not (rampart_s${i}_t))))`,
      );
    }
    return [attr];
  };
  const allow = (subjects: string[], t: string, filePerms: string, dirPerms: string) => {
    for (const s of subjects) {
      lines.push(`(allow ${s} ${t} (file (${filePerms})))`);
      lines.push(`(allow ${s} ${t} (dir (${dirPerms})))`);
    }
  };

  // Source domains: exec type (ordinary file type, so everyone may still run it) + domain entered on exec.
  sources.forEach((s, i) => {
    const exec = `rampart_s${i}_exec_t`;
    const dom = `rampart_s${i}_t`;
    lines.push(`; source ${i}: ${JSON.stringify(s)}`);
    declare(exec);
    declare(dom, true);
    lines.push(
      `(typeattributeset ${B.fileTypeAttr} (${exec}))`,
      `(typeattributeset ${B.domainAttr} (${dom}))`,
      `(typeattributeset ${B.unconfinedAttr} (${dom}))`,
      `(allow ${B.unconfinedDomain} ${dom} (process (transition)))`,
      `(allow ${dom} ${exec} (file (entrypoint read open getattr map execute)))`,
      `(typetransition ${B.unconfinedDomain} ${exec} process ${dom})`,
    );
  });

  const fc: string[] = [];
  const filecons: string[] = [];
  lines.push(`(typeattribute ${RELABELER_ATTR})`);
  for (const [regex, o] of [...objects].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const t = typeOf(o.label);
    if (!types.has(t)) {
      declare(t);
      // Not a file_type (that would grant it to every unconfined domain), so the base's rules for
      // mounting and relabelling do not cover it: say so explicitly.
      lines.push(
        `(allow ${t} ${B.filesystemAttr} (filesystem (associate)))`,
        `(allow ${RELABELER_ATTR} ${t} (file (getattr relabelfrom relabelto)))`,
        `(allow ${RELABELER_ATTR} ${t} (dir (getattr search read open relabelfrom relabelto)))`,
      );
      const l = o.label;
      switch (l.kind) {
        case "block":
          if (l.readOnly) allow(everyone, t, FILE_READ, DIR_READ);
          break; // no allow at all: blocked for every domain
        case "audit":
          allow(everyone, t, FILE_ALL, DIR_ALL);
          for (const s of everyone)
            lines.push(`(auditallow ${s} ${t} (file (${l.writesOnly ? FILE_WRITE : FILE_ALL})))`);
          break;
        case "src-block":
          allow(othersThan(l.src), t, FILE_ALL, DIR_ALL);
          if (l.readOnly) allow([`rampart_s${l.src}_t`], t, FILE_READ, DIR_READ);
          break;
        case "src-allow":
          allow(
            [`rampart_s${l.src}_t`],
            t,
            l.readOnly ? FILE_READ : FILE_ALL,
            l.readOnly ? DIR_READ : DIR_ALL,
          );
          break;
        case "src-audit":
          allow(everyone, t, FILE_ALL, DIR_ALL);
          lines.push(`(auditallow rampart_s${l.src}_t ${t} (file (${FILE_ALL})))`);
          break;
      }
    }
    filecons.push(`(filecon "${regex}" any ${ctx(t)})`);
    fc.push(`${regex}\t${B.user}:${B.objectRole}:${t}:${B.level}`);
  }
  sources.forEach((s, i) => {
    const regex = pathRegex(s) as string;
    filecons.push(`(filecon "${regex}" file ${ctx(`rampart_s${i}_exec_t`)})`);
    fc.push(`${regex}\t--\t${B.user}:${B.objectRole}:rampart_s${i}_exec_t:${B.level}`);
  });

  const name = selinuxModuleName(policy);
  const body = [...lines, ...filecons].join("\n") + "\n";
  const sha256 = createHash("sha256").update(body).digest("hex");
  const cil = `; Managed by Rampart: SELinux host module ${name}\n; rampart-sha256: ${sha256}\n${body}`;
  return {
    ok: true,
    warnings,
    value: {
      name,
      cil,
      fileContexts: fc.join("\n") + (fc.length ? "\n" : ""),
      relabelPaths: [...new Set([...[...objects.values()].map(o => o.root), ...sources])].sort(),
      sha256,
    },
  };
}
