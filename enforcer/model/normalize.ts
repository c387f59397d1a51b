// SPDX-License-Identifier: Apache-2.0
//
// Raw (schema-valid) policy object → NormalizedPolicy, exactly as KubeArmor's daemon defaults it
// (kubearmor-compat §5): empty spec.action ⇒ Block, lowercase actions capitalised, severity /
// tags / message / action inherited rule → section → spec, comma lists in protocols,
// capabilities and DNS domains split into one rule each, syscall rules always Audit.
// Input must have passed validation; the code is still total on odd shapes (no throws).

import {
  CAPABILITIES,
  PROTOCOLS,
  type Action,
  type Capability,
  type NormalizedPolicy,
  type PolicyKind,
  type Protocol,
  type Rule,
  type RuleOrigin,
  type SyscallSource,
} from "./types.js";

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asStr = (v: unknown): string => (typeof v === "string" ? v : "");

/** KubeArmor's action normalization: "" ⇒ fallback, case-insensitive names capitalised. */
export function normalizeAction(v: unknown, fallback: Action = "Block"): Action {
  const s = asStr(v).trim().toLowerCase();
  if (s === "allow") return "Allow";
  if (s === "audit") return "Audit";
  if (s === "block") return "Block";
  return fallback;
}

/** KubeArmor's comma expansion: split, trim, drop empty items. */
export function splitComma(v: string): string[] {
  return v
    .split(",")
    .map(s => s.trim())
    .filter(s => s.length > 0);
}

/** Default severity when neither rule, section nor spec sets one (KubeArmor sets spec severity 1). */
export const DEFAULT_SEVERITY = 1;

interface Meta {
  severity: number;
  tags: string[];
  message: string;
  action: Action;
}

function pickMeta(rule: Obj, section: Meta): Meta {
  const sev = typeof rule.severity === "number" && rule.severity > 0 ? rule.severity : section.severity;
  const tags = asArr(rule.tags).filter((t): t is string => typeof t === "string");
  const message = asStr(rule.message);
  return {
    severity: sev,
    tags: tags.length ? tags : section.tags,
    message: message !== "" ? message : section.message,
    action: asStr(rule.action) !== "" ? normalizeAction(rule.action, section.action) : section.action,
  };
}

const sourcePaths = (v: unknown): string[] =>
  asArr(v)
    .map(s => asStr(asObj(s).path))
    .filter(p => p !== "");

export function normalizePolicy(raw: Obj, kind: PolicyKind, source?: string): NormalizedPolicy {
  const metadata = asObj(raw.metadata);
  const spec = asObj(raw.spec);
  const name = asStr(metadata.name);
  const namespace = kind === "KubeArmorPolicy" ? asStr(metadata.namespace) || "default" : undefined;
  const specMeta: Meta = {
    severity: typeof spec.severity === "number" && spec.severity > 0 ? spec.severity : DEFAULT_SEVERITY,
    tags: asArr(spec.tags).filter((t): t is string => typeof t === "string"),
    message: asStr(spec.message),
    action: normalizeAction(spec.action, "Block"),
  };
  const origin = (path: string): RuleOrigin => ({
    kind,
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    path,
  });
  const rules: Rule[] = [];

  const section = (key: string): { obj: Obj; meta: Meta } => {
    const obj = asObj(spec[key]);
    return { obj, meta: pickMeta(obj, specMeta) };
  };

  // process
  {
    const { obj, meta } = section("process");
    asArr(obj.matchPaths).forEach((r, i) => {
      const rule = asObj(r);
      const m = pickMeta(rule, meta);
      const path = `spec.process.matchPaths[${i}]`;
      const match =
        asStr(rule.path) !== ""
          ? ({ type: "path", path: asStr(rule.path) } as const)
          : ({ type: "execname", name: asStr(rule.execname) } as const);
      rules.push({
        category: "process",
        origin: origin(path),
        ...m,
        fromSource: sourcePaths(rule.fromSource),
        match,
        ownerOnly: rule.ownerOnly === true,
        ...(typeof rule.pts === "boolean" ? { pts: rule.pts } : {}),
        ...(Array.isArray(rule.allowedArgs) ? { allowedArgs: rule.allowedArgs.map(asStr) } : {}),
      });
    });
    asArr(obj.matchDirectories).forEach((r, i) => {
      const rule = asObj(r);
      rules.push({
        category: "process",
        origin: origin(`spec.process.matchDirectories[${i}]`),
        ...pickMeta(rule, meta),
        fromSource: sourcePaths(rule.fromSource),
        match: { type: "dir", dir: asStr(rule.dir), recursive: rule.recursive === true },
        ownerOnly: rule.ownerOnly === true,
        ...(typeof rule.pts === "boolean" ? { pts: rule.pts } : {}),
      });
    });
    asArr(obj.matchPatterns).forEach((r, i) => {
      const rule = asObj(r);
      rules.push({
        category: "process",
        origin: origin(`spec.process.matchPatterns[${i}]`),
        ...pickMeta(rule, meta),
        fromSource: [],
        match: { type: "pattern", pattern: asStr(rule.pattern) },
        ownerOnly: rule.ownerOnly === true,
      });
    });
  }

  // file
  {
    const { obj, meta } = section("file");
    asArr(obj.matchPaths).forEach((r, i) => {
      const rule = asObj(r);
      rules.push({
        category: "file",
        origin: origin(`spec.file.matchPaths[${i}]`),
        ...pickMeta(rule, meta),
        fromSource: sourcePaths(rule.fromSource),
        match: { type: "path", path: asStr(rule.path) },
        readOnly: rule.readOnly === true,
        ownerOnly: rule.ownerOnly === true,
        ...(typeof rule.pts === "boolean" ? { pts: rule.pts } : {}),
      });
    });
    asArr(obj.matchDirectories).forEach((r, i) => {
      const rule = asObj(r);
      rules.push({
        category: "file",
        origin: origin(`spec.file.matchDirectories[${i}]`),
        ...pickMeta(rule, meta),
        fromSource: sourcePaths(rule.fromSource),
        match: { type: "dir", dir: asStr(rule.dir), recursive: rule.recursive === true },
        readOnly: rule.readOnly === true,
        ownerOnly: rule.ownerOnly === true,
        ...(typeof rule.pts === "boolean" ? { pts: rule.pts } : {}),
      });
    });
    asArr(obj.matchPatterns).forEach((r, i) => {
      const rule = asObj(r);
      rules.push({
        category: "file",
        origin: origin(`spec.file.matchPatterns[${i}]`),
        ...pickMeta(rule, meta),
        fromSource: [],
        match: { type: "pattern", pattern: asStr(rule.pattern) },
        readOnly: rule.readOnly === true,
        ownerOnly: rule.ownerOnly === true,
      });
    });
  }

  // network
  {
    const { obj, meta } = section("network");
    asArr(obj.matchProtocols).forEach((r, i) => {
      const rule = asObj(r);
      const m = pickMeta(rule, meta);
      for (const p of splitComma(asStr(rule.protocol))) {
        const protocol = p.toLowerCase();
        if (!(PROTOCOLS as readonly string[]).includes(protocol)) continue;
        rules.push({
          category: "network",
          origin: origin(`spec.network.matchProtocols[${i}]`),
          ...m,
          fromSource: sourcePaths(rule.fromSource),
          protocol: protocol as Protocol,
          ...(typeof rule.pts === "boolean" ? { pts: rule.pts } : {}),
        });
      }
    });
    asArr(obj.matchDNSQueries).forEach((r, i) => {
      const rule = asObj(r);
      const m = pickMeta(rule, meta);
      for (const domain of splitComma(asStr(rule.domain))) {
        rules.push({
          category: "dns",
          origin: origin(`spec.network.matchDNSQueries[${i}]`),
          ...m,
          fromSource: sourcePaths(rule.fromSource),
          domain: domain.toLowerCase(),
        });
      }
    });
  }

  // capabilities
  {
    const { obj, meta } = section("capabilities");
    asArr(obj.matchCapabilities).forEach((r, i) => {
      const rule = asObj(r);
      const m = pickMeta(rule, meta);
      for (const c of splitComma(asStr(rule.capability))) {
        const capability = c.toLowerCase();
        if (!(CAPABILITIES as readonly string[]).includes(capability)) continue;
        rules.push({
          category: "capabilities",
          origin: origin(`spec.capabilities.matchCapabilities[${i}]`),
          ...m,
          fromSource: sourcePaths(rule.fromSource),
          capability: capability as Capability,
        });
      }
    });
  }

  // syscalls: audit-only; inherit severity/tags/message only
  {
    const obj = asObj(spec.syscalls);
    const meta = pickMeta({ ...obj, action: undefined }, specMeta);
    const sources = (v: unknown): SyscallSource[] =>
      asArr(v).map(s => {
        const src = asObj(s);
        return asStr(src.path) !== ""
          ? { path: asStr(src.path) }
          : { dir: asStr(src.dir), recursive: src.recursive === true };
      });
    const push = (
      rule: Obj,
      path: string,
      target?: { path: string } | { dir: string; recursive: boolean },
    ): void => {
      const m = pickMeta({ ...rule, action: undefined }, meta);
      rules.push({
        category: "syscalls",
        origin: origin(path),
        severity: m.severity,
        tags: m.tags,
        message: m.message,
        action: "Audit",
        syscalls: asArr(rule.syscall).map(asStr),
        ...(target ? { target } : {}),
        fromSource: sources(rule.fromSource),
      });
    };
    asArr(obj.matchSyscalls).forEach((r, i) => push(asObj(r), `spec.syscalls.matchSyscalls[${i}]`));
    asArr(obj.matchPaths).forEach((r, i) => {
      const rule = asObj(r);
      const p = asStr(rule.path);
      push(
        rule,
        `spec.syscalls.matchPaths[${i}]`,
        p.endsWith("/") ? { dir: p, recursive: rule.recursive === true } : { path: p },
      );
    });
  }

  // device (host policies)
  if (kind === "KubeArmorHostPolicy") {
    const { obj, meta } = section("device");
    asArr(obj.matchDevice).forEach((r, i) => {
      const rule = asObj(r);
      rules.push({
        category: "device",
        origin: origin(`spec.device.matchDevice[${i}]`),
        ...pickMeta(rule, meta),
        class: asStr(rule.class),
        ...(typeof rule.subClass === "number" ? { subClass: rule.subClass } : {}),
        ...(typeof rule.protocol === "number" ? { protocol: rule.protocol } : {}),
        ...(typeof rule.level === "number" ? { level: rule.level } : {}),
      });
    });
  }

  const selector = asObj(spec.selector);
  const matchLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(asObj(selector.matchLabels))) matchLabels[k] = asStr(v);
  // An expression without a valid operator is ignored by KubeArmor, so it is dropped here.
  const matchExpressions = asArr(selector.matchExpressions)
    .map(e => asObj(e))
    .filter(ex => ex.operator === "In" || ex.operator === "NotIn")
    .map(ex => ({
      key: asStr(ex.key),
      operator: ex.operator as "In" | "NotIn",
      values: asArr(ex.values).map(asStr),
    }));
  const policy: NormalizedPolicy = {
    kind,
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(source !== undefined ? { source } : {}),
    action: specMeta.action,
    selector: { matchLabels, matchExpressions },
    rules,
    presets: asArr(spec.presets).map(p => {
      const preset = asObj(p);
      return { name: asStr(preset.name), action: normalizeAction(preset.action, specMeta.action) };
    }),
    raw,
  };
  if (kind === "KubeArmorHostPolicy") {
    const nodeLabels: Record<string, string> = {};
    for (const [k, v] of Object.entries(asObj(asObj(spec.nodeSelector).matchLabels)))
      nodeLabels[k] = asStr(v);
    policy.nodeSelector = { matchLabels: nodeLabels };
  }
  if (typeof spec.apparmor === "string" && spec.apparmor.trim() !== "") policy.apparmor = spec.apparmor;
  return policy;
}
