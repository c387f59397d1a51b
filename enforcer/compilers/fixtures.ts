// SPDX-License-Identifier: Apache-2.0
//
// Small builders for EffectivePolicy fixtures (tests, the case generator, the benchmark).

import type {
  Action,
  CapabilityRule,
  EffectivePolicy,
  FileRule,
  NetworkRule,
  PathMatch,
  Posture,
  PolicyState,
  ProcessMatch,
  ProcessRule,
  Protocol,
  Capability,
  Rule,
} from "../model/types.js";

let counter = 0;
function meta(action: Action, fromSource: string[] = [], name?: string) {
  const n = counter++;
  return {
    origin: {
      kind: "KubeArmorPolicy" as const,
      name: name ?? `p${n}`,
      namespace: "default",
      path: `spec.rules[${n}]`,
    },
    severity: 5,
    tags: [],
    message: "",
    action,
    fromSource,
  };
}

export interface RuleOpts {
  fromSource?: string[];
  ownerOnly?: boolean;
  readOnly?: boolean;
  pts?: boolean;
  name?: string;
}

export function proc(action: Action, match: ProcessMatch, o: RuleOpts = {}): ProcessRule {
  return {
    ...meta(action, o.fromSource, o.name),
    category: "process",
    match,
    ownerOnly: o.ownerOnly ?? false,
    ...(o.pts !== undefined ? { pts: o.pts } : {}),
  };
}

export function file(action: Action, match: PathMatch, o: RuleOpts = {}): FileRule {
  return {
    ...meta(action, o.fromSource, o.name),
    category: "file",
    match,
    readOnly: o.readOnly ?? false,
    ownerOnly: o.ownerOnly ?? false,
    ...(o.pts !== undefined ? { pts: o.pts } : {}),
  };
}

export function net(action: Action, protocol: Protocol, o: RuleOpts = {}): NetworkRule {
  return {
    ...meta(action, o.fromSource, o.name),
    category: "network",
    protocol,
    ...(o.pts !== undefined ? { pts: o.pts } : {}),
  };
}

export function cap(action: Action, capability: Capability, o: RuleOpts = {}): CapabilityRule {
  return { ...meta(action, o.fromSource, o.name), category: "capabilities", capability };
}

export const path = (p: string): PathMatch => ({ type: "path", path: p });
export const dir = (d: string, recursive = false): PathMatch => ({ type: "dir", dir: d, recursive });
export const pattern = (p: string): PathMatch => ({ type: "pattern", pattern: p });
export const execname = (name: string): ProcessMatch => ({ type: "execname", name });

export interface PolicyOpts {
  state?: PolicyState;
  postures?: Partial<Record<"file" | "network" | "capabilities", Posture>>;
  container?: string;
  host?: boolean;
}

/** An effective policy over `rules`, with allow-list switches derived the way the model does. */
export function effective(rules: Rule[], o: PolicyOpts = {}): EffectivePolicy {
  const has = (cats: string[]) => rules.some(r => cats.includes(r.category) && r.action === "Allow");
  return {
    target: o.host
      ? { kind: "host", hostname: "node-1", labels: {} }
      : {
          kind: "container",
          namespace: "default",
          pod: "pod-1",
          container: o.container ?? "app",
          owner: { kind: "Deployment", name: "web", namespace: "default" },
          labels: {},
        },
    state: o.state ?? "enabled",
    postures: { file: "audit", network: "audit", capabilities: "audit", ...o.postures },
    allowList: {
      file: has(["process", "file"]),
      network: has(["network"]),
      capabilities: has(["capabilities"]),
    },
    visibility: { process: true, file: true, network: true, capabilities: true },
    rules,
    apparmor: [],
    policies: [],
  };
}
