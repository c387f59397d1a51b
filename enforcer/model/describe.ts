// SPDX-License-Identifier: Apache-2.0
//
// One-line human descriptions of rules, policies and targets (for `rampart explain`, logs and
// error messages). Pure.

import type { EffectivePolicy, Rule, RuleOrigin } from "./types.js";

const SHORT = { KubeArmorPolicy: "ksp", KubeArmorClusterPolicy: "csp", KubeArmorHostPolicy: "hsp" } as const;

export function describeOrigin(o: RuleOrigin): string {
  return `${SHORT[o.kind]} ${o.namespace ? `${o.namespace}/` : ""}${o.name} ${o.path}`;
}

export function describeRule(r: Rule): string {
  const parts: string[] = [r.action, r.category];
  switch (r.category) {
    case "process":
    case "file": {
      const m = r.match;
      if (m.type === "path") parts.push(`path ${m.path}`);
      else if (m.type === "dir") parts.push(`dir ${m.dir}${m.recursive ? " (recursive)" : ""}`);
      else if (m.type === "pattern") parts.push(`pattern ${m.pattern}`);
      else parts.push(`execname ${m.name}`);
      if (r.ownerOnly) parts.push("ownerOnly");
      if (r.category === "file" && r.readOnly) parts.push("readOnly");
      if (r.pts !== undefined) parts.push(`pts=${r.pts}`);
      if (r.category === "process" && r.allowedArgs) parts.push(`allowedArgs=[${r.allowedArgs.join(" ")}]`);
      break;
    }
    case "network":
      parts.push(`protocol ${r.protocol}`);
      if (r.pts !== undefined) parts.push(`pts=${r.pts}`);
      break;
    case "dns":
      parts.push(`domain ${r.domain}`);
      break;
    case "capabilities":
      parts.push(`capability ${r.capability}`);
      break;
    case "syscalls":
      parts.push(`syscall ${r.syscalls.join(",")}`);
      if (r.target)
        parts.push(
          "path" in r.target
            ? `on ${r.target.path}`
            : `under ${r.target.dir}${r.target.recursive ? " (recursive)" : ""}`,
        );
      break;
    case "device":
      parts.push(`class ${r.class}`);
      if (r.subClass !== undefined) parts.push(`subClass ${r.subClass}`);
      if (r.protocol !== undefined) parts.push(`protocol ${r.protocol}`);
      if (r.level !== undefined) parts.push(`level ${r.level}`);
      break;
  }
  if ("fromSource" in r && r.fromSource.length) {
    parts.push(
      `fromSource ${r.fromSource
        .map(s =>
          typeof s === "string" ? s : "path" in s ? s.path : `${s.dir}${s.recursive ? " (recursive)" : ""}`,
        )
        .join(",")}`,
    );
  }
  parts.push(`severity ${r.severity}`);
  return parts.join(" ");
}

export function describeTarget(e: EffectivePolicy): string {
  const t = e.target;
  if (t.kind === "host") return `host ${t.hostname}`;
  return `container ${t.namespace}/${t.pod}/${t.container} (${t.owner.kind} ${t.owner.name})`;
}
