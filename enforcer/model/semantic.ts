// SPDX-License-Identifier: Apache-2.0
//
// Checks the CRD schema cannot express. They run on the raw object regardless of schema errors
// (so every problem of a document is reported at once) and therefore tolerate any shape.
// Rules and their reasons: docs/policy-model.md "Semantic checks".

import { MAX_PATH_LENGTH } from "./schema/definition.js";
import {
  checkAppArmorText,
  checkDomain,
  checkExecname,
  checkNamespaceName,
  checkObjectName,
  checkPattern,
  checkSafePath,
} from "./strings.js";
import { CAPABILITIES, PROTOCOLS, type NormalizedPolicy, type PolicyKind, type Rule } from "./types.js";

export interface Finding {
  level: "error" | "warning";
  path: string;
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export const KNOWN_PRESETS = ["protectEnv", "filelessExec", "exec", "protectProc", "anonymousMapExec"];
export const MAX_ARG_BYTES = 104;
export const CONTAINER_NAME_LABEL = "kubearmor.io/container.name";
/** USB class names KubeArmor's device handler knows (besides numeric/hex class codes). */
export const USB_CLASSES = [
  "ALL",
  "AUDIO",
  "CDC-CONTROL",
  "HID",
  "PHYSICAL",
  "IMAGE",
  "PRINTER",
  "MASS-STORAGE",
  "HUB",
  "CDC-DATA",
  "SMART-CARD",
  "CONTENT-SECURITY",
  "VIDEO",
  "PERSONAL-HEALTHCARE",
  "AUDIO-VIDEO",
  "BILLBOARD",
  "TYPE-C-BRIDGE",
  "DIAGNOSTIC",
  "WIRELESS-CONTROLLER",
  "MISCELLANEOUS",
  "APPLICATION-SPECIFIC",
  "VENDOR-SPECIFIC",
];

export function semanticChecks(o: Obj, kind: PolicyKind): Finding[] {
  const out: Finding[] = [];
  const err = (path: string, message: string): void => void out.push({ level: "error", path, message });
  const warn = (path: string, message: string): void => void out.push({ level: "warning", path, message });

  // metadata (the API server validates these for every object)
  const md = o.metadata;
  if (md === undefined) err("metadata", "required field is missing (metadata.name)");
  else if (isObj(md)) {
    if (md.name === undefined) err("metadata.name", "required field is missing");
    else if (typeof md.name !== "string") err("metadata.name", "must be a string");
    else {
      const r = checkObjectName(md.name);
      if (r) err("metadata.name", r);
    }
    if (md.namespace !== undefined) {
      if (typeof md.namespace !== "string") err("metadata.namespace", "must be a string");
      else if (kind !== "KubeArmorPolicy")
        warn("metadata.namespace", `is ignored: ${kind} is cluster-scoped`);
      else {
        const r = checkNamespaceName(md.namespace);
        if (r) err("metadata.namespace", r);
      }
    }
  }

  const spec = o.spec;
  if (spec === undefined) {
    err("spec", "required field is missing (a policy without spec enforces nothing)");
    return out;
  }
  if (!isObj(spec)) return out; // type error already reported by the schema

  const path = (p: unknown, at: string, what: "path" | "dir"): void => {
    if (typeof p !== "string") return;
    const r = checkSafePath(p, { dir: what === "dir" });
    if (r) err(at, r);
  };
  const fromSource = (v: unknown, at: string): void => {
    asArr(v).forEach((s, i) => {
      const here = `${at}.fromSource[${i}]`;
      if (!isObj(s)) return;
      if (s.path === undefined)
        err(`${here}.path`, "required: a fromSource entry names a source binary by absolute path");
      else path(s.path, `${here}.path`, "path");
    });
  };

  // process
  const proc = asObj(spec.process);
  asArr(proc.matchPaths).forEach((r, i) => {
    const at = `spec.process.matchPaths[${i}]`;
    if (!isObj(r)) return;
    const hasPath = r.path !== undefined;
    const hasExec = r.execname !== undefined;
    if (!hasPath && !hasExec) err(at, "needs either path or execname");
    if (hasPath && hasExec) err(at, "must set only one of path and execname, not both");
    path(r.path, `${at}.path`, "path");
    if (typeof r.execname === "string") {
      const reason = checkExecname(r.execname);
      if (reason) err(`${at}.execname`, reason);
    }
    asArr(r.allowedArgs).forEach((a, j) => {
      if (typeof a !== "string") return;
      if (Buffer.byteLength(a, "utf8") > MAX_ARG_BYTES)
        err(`${at}.allowedArgs[${j}]`, `must be at most ${MAX_ARG_BYTES} bytes (KubeArmor's argument limit)`);
      if (/[\u0000-\u001f\u007f]/.test(a))
        err(`${at}.allowedArgs[${j}]`, "must not contain control characters");
    });
    fromSource(r.fromSource, at);
  });
  asArr(proc.matchDirectories).forEach((r, i) => {
    const at = `spec.process.matchDirectories[${i}]`;
    if (!isObj(r)) return;
    path(r.dir, `${at}.dir`, "dir");
    fromSource(r.fromSource, at);
  });
  asArr(proc.matchPatterns).forEach((r, i) => {
    const at = `spec.process.matchPatterns[${i}]`;
    if (!isObj(r) || typeof r.pattern !== "string") return;
    const reason = checkPattern(r.pattern);
    if (reason) err(`${at}.pattern`, reason);
  });

  // file
  const file = asObj(spec.file);
  asArr(file.matchPaths).forEach((r, i) => {
    const at = `spec.file.matchPaths[${i}]`;
    if (!isObj(r)) return;
    path(r.path, `${at}.path`, "path");
    fromSource(r.fromSource, at);
  });
  asArr(file.matchDirectories).forEach((r, i) => {
    const at = `spec.file.matchDirectories[${i}]`;
    if (!isObj(r)) return;
    path(r.dir, `${at}.dir`, "dir");
    fromSource(r.fromSource, at);
  });
  asArr(file.matchPatterns).forEach((r, i) => {
    const at = `spec.file.matchPatterns[${i}]`;
    if (!isObj(r) || typeof r.pattern !== "string") return;
    const reason = checkPattern(r.pattern);
    if (reason) err(`${at}.pattern`, reason);
  });

  // network
  const net = asObj(spec.network);
  asArr(net.matchProtocols).forEach((r, i) => {
    const at = `spec.network.matchProtocols[${i}]`;
    if (!isObj(r)) return;
    if (typeof r.protocol === "string") {
      const items = r.protocol.split(",");
      items.forEach(raw => {
        const item = raw.trim();
        if (item === "")
          err(`${at}.protocol`, `has an empty item in the comma list "${r.protocol as string}"`);
        else if (
          !(PROTOCOLS as readonly string[]).includes(item) &&
          !(PROTOCOLS as readonly string[]).includes(item.toLowerCase())
        )
          err(`${at}.protocol`, `unknown protocol "${item.slice(0, 40)}" (known: ${PROTOCOLS.join(", ")})`);
        else if (item !== item.toLowerCase() && item !== item.toUpperCase())
          err(`${at}.protocol`, `"${item}" must be all lowercase or all uppercase`);
      });
    }
    fromSource(r.fromSource, at);
    if (kind === "KubeArmorHostPolicy" && Array.isArray(r.fromSource) && r.fromSource.length === 0)
      err(
        `${at}.fromSource`,
        "must name at least one source binary: host network rules apply per source binary",
      );
  });
  asArr(net.matchDNSQueries).forEach((r, i) => {
    const at = `spec.network.matchDNSQueries[${i}]`;
    if (!isObj(r)) return;
    if (typeof r.domain === "string") {
      for (const raw of r.domain.split(",")) {
        const reason = checkDomain(raw.trim());
        if (reason) err(`${at}.domain`, `"${raw.trim().slice(0, 60)}" ${reason}`);
      }
    }
    fromSource(r.fromSource, at);
  });

  // capabilities
  const caps = asObj(spec.capabilities);
  asArr(caps.matchCapabilities).forEach((r, i) => {
    const at = `spec.capabilities.matchCapabilities[${i}]`;
    if (!isObj(r)) return;
    if (typeof r.capability === "string") {
      r.capability.split(",").forEach(raw => {
        const item = raw.trim();
        if (item === "")
          err(`${at}.capability`, `has an empty item in the comma list "${r.capability as string}"`);
        else if (!(CAPABILITIES as readonly string[]).includes(item)) {
          const bare = item.toLowerCase().replace(/^cap_/, "");
          const hint = (CAPABILITIES as readonly string[]).includes(bare)
            ? ` (write "${bare}": lowercase, no cap_ prefix)`
            : "";
          err(`${at}.capability`, `unknown capability "${item.slice(0, 40)}"${hint}`);
        }
      });
    }
    fromSource(r.fromSource, at);
    if (kind === "KubeArmorHostPolicy" && Array.isArray(r.fromSource) && r.fromSource.length === 0)
      err(
        `${at}.fromSource`,
        "must name at least one source binary: host capability rules apply per source binary",
      );
  });

  // syscalls
  const sys = asObj(spec.syscalls);
  const sysSources = (v: unknown, at: string): void => {
    asArr(v).forEach((s, j) => {
      const here = `${at}.fromSource[${j}]`;
      if (!isObj(s)) return;
      const hasPath = s.path !== undefined;
      const hasDir = s.dir !== undefined;
      if (!hasPath && !hasDir) err(here, "needs either path or dir");
      if (hasPath && hasDir) err(here, "must set only one of path and dir, not both");
      path(s.path, `${here}.path`, "path");
      if (typeof s.dir === "string") {
        if (!/^\/$|^\/.*\/$/.test(s.dir))
          err(`${here}.dir`, "must be '/' or an absolute directory ending with '/'");
        else path(s.dir, `${here}.dir`, "dir");
      }
      if (hasPath && s.recursive !== undefined) warn(`${here}.recursive`, "has no effect on a path source");
    });
  };
  asArr(sys.matchSyscalls).forEach((r, i) => {
    const at = `spec.syscalls.matchSyscalls[${i}]`;
    if (!isObj(r)) return;
    if (asArr(r.syscall).length === 0) warn(`${at}.syscall`, "is empty: this rule matches no syscall");
    sysSources(r.fromSource, at);
  });
  asArr(sys.matchPaths).forEach((r, i) => {
    const at = `spec.syscalls.matchPaths[${i}]`;
    if (!isObj(r)) return;
    if (typeof r.path === "string") {
      path(r.path, `${at}.path`, r.path.endsWith("/") ? "dir" : "path");
      if (!r.path.endsWith("/") && r.recursive === true)
        warn(`${at}.recursive`, "has no effect on a file path");
    }
    if (asArr(r.syscall).length === 0) warn(`${at}.syscall`, "is empty: this rule matches no syscall");
    sysSources(r.fromSource, at);
  });

  // device (host)
  const dev = asObj(spec.device);
  asArr(dev.matchDevice).forEach((r, i) => {
    const at = `spec.device.matchDevice[${i}].class`;
    if (!isObj(r) || typeof r.class !== "string") return;
    const c = r.class;
    if (/^\d+$/.test(c) || /^0x[0-9a-fA-F]+$/.test(c)) {
      if (Number(c) > 255) err(at, "a numeric USB class must be 0..255");
    } else if (!/^[A-Z][A-Z0-9-]*$/.test(c))
      err(at, "must be a USB class name such as MASS-STORAGE, or a numeric/hex class code");
    else if (!USB_CLASSES.includes(c))
      warn(at, `unknown USB class name "${c}" (known: ${USB_CLASSES.join(", ")})`);
  });

  // apparmor
  if (typeof spec.apparmor === "string") {
    for (const reason of checkAppArmorText(spec.apparmor)) err("spec.apparmor", reason);
  }

  // presets
  asArr(spec.presets).forEach((p, i) => {
    if (isObj(p) && typeof p.name === "string" && !KNOWN_PRESETS.includes(p.name))
      warn(
        `spec.presets[${i}].name`,
        `unknown preset "${p.name.slice(0, 40)}" (known: ${KNOWN_PRESETS.join(", ")}); it has no effect`,
      );
  });

  // selectors
  const sel = asObj(spec.selector);
  asArr(sel.matchExpressions).forEach((e, i) => {
    const at = `spec.selector.matchExpressions[${i}]`;
    if (!isObj(e)) return;
    if (e.key === undefined || e.operator === undefined)
      warn(at, "has no key or no operator: KubeArmor ignores such an expression");
    const values = asArr(e.values);
    if (values.length === 0) warn(`${at}.values`, "is empty: the expression matches nothing");
    values.forEach((v, j) => {
      if (typeof v !== "string") return;
      if (e.key === "label" && !v.includes("="))
        warn(`${at}.values[${j}]`, `"${v.slice(0, 60)}" is not a key=value label: it can never match`);
      if (e.key === "namespace" && checkNamespaceName(v))
        warn(`${at}.values[${j}]`, `"${v.slice(0, 60)}" is not a valid namespace name: it can never match`);
    });
  });
  // KubeArmor's order-dependent matchExpressions semantics (selectors.ts matchLabelExpressions).
  let labelIn = false;
  let labelNotIn = false;
  const exprList = asArr(sel.matchExpressions);
  const hasNamespaceIn = exprList.some(e => isObj(e) && e.key === "namespace" && e.operator === "In");
  exprList.forEach((e, i) => {
    if (!isObj(e)) return;
    const at = `spec.selector.matchExpressions[${i}]`;
    const nValues = asArr(e.values).length;
    if (e.key === "label" && e.operator === "In" && nValues > 0) {
      if (labelNotIn)
        warn(
          at,
          "has no effect: after a label NotIn, KubeArmor selects every pod without the NotIn labels, whatever the In",
        );
      labelIn = true;
    }
    if (e.key === "label" && e.operator === "NotIn" && nValues > 0) {
      if (labelIn) warn(at, "is ignored: KubeArmor ignores a label NotIn that comes after a label In");
      else labelNotIn = true;
    }
    if (e.key === "namespace" && e.operator === "NotIn" && hasNamespaceIn)
      warn(at, "is ignored: with a namespace In, only the listed namespaces are selected");
  });
  const labels = asObj(sel.matchLabels);
  const cn = labels[CONTAINER_NAME_LABEL];
  if (typeof cn === "string" && !(cn.trim().startsWith("[") && cn.trim().endsWith("]")))
    warn(
      `spec.selector.matchLabels["${CONTAINER_NAME_LABEL}"]`,
      `should be a bracketed list such as "[c1,c2]"; read as a list anyway`,
    );
  if (kind === "KubeArmorHostPolicy") {
    const nl = asObj(asObj(spec.nodeSelector).matchLabels);
    if (isObj(asObj(spec.nodeSelector).matchLabels) && Object.keys(nl).length === 0)
      warn(
        "spec.nodeSelector.matchLabels",
        'is empty: the policy selects no node (use kubearmor.io/hostname: "*" for all nodes)',
      );
  }

  // nothing to enforce
  const hasRules =
    ["process", "file", "network", "capabilities", "syscalls", "device"].some(s =>
      Object.entries(asObj(spec[s])).some(([k, v]) => k.startsWith("match") && asArr(v).length > 0),
    ) ||
    (typeof spec.apparmor === "string" && spec.apparmor.trim() !== "") ||
    asArr(spec.presets).length > 0;
  if (!hasRules) warn("spec", "has no rules: the policy enforces nothing");
  void MAX_PATH_LENGTH;
  return out;
}

function matchKey(r: Rule): string | undefined {
  const src = "fromSource" in r ? JSON.stringify([...r.fromSource].map(s => JSON.stringify(s)).sort()) : "[]";
  switch (r.category) {
    case "process":
      return `process|${JSON.stringify(r.match)}|${r.ownerOnly}|${src}`;
    case "file":
      return `file|${JSON.stringify(r.match)}|${r.ownerOnly}|${r.readOnly}|${src}`;
    case "network":
      return `network|${r.protocol}|${src}`;
    case "dns":
      return `dns|${r.domain}|${src}`;
    case "capabilities":
      return `capabilities|${r.capability}|${src}`;
    default:
      return undefined;
  }
}

/** Same target and source with both Allow and Block: KubeArmor accepts it (deny wins in AppArmor). */
export function contradictionChecks(p: NormalizedPolicy): Finding[] {
  const out: Finding[] = [];
  // Only a policy with both an Allow and a Block rule can contradict itself.
  if (!p.rules.some(r => r.action === "Allow") || !p.rules.some(r => r.action === "Block")) return out;
  const firstOf = new Map<string, Map<string, string>>();
  for (const r of p.rules) {
    const key = matchKey(r);
    if (!key || (r.action !== "Allow" && r.action !== "Block")) continue;
    const seen = firstOf.get(key) ?? new Map<string, string>();
    firstOf.set(key, seen);
    const other = r.action === "Allow" ? "Block" : "Allow";
    const otherPath = seen.get(other);
    if (otherPath !== undefined && !seen.has(`reported:${r.origin.path}`)) {
      out.push({
        level: "warning",
        path: r.origin.path,
        message: `contradicts ${otherPath}: the same target and source are both ${other === "Allow" ? "allowed and blocked" : "blocked and allowed"} (Block wins)`,
      });
      seen.set(`reported:${r.origin.path}`, "1");
    }
    if (!seen.has(r.action)) seen.set(r.action, r.origin.path);
  }
  return out;
}
