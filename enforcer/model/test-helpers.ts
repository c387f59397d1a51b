// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the model's tests (not used by production code).

import { validatePolicyObject } from "./validate.js";
import type { NormalizedPolicy, PolicyKind, Problem } from "./types.js";

export type Obj = Record<string, unknown>;

export function policy(kind: PolicyKind, spec: Obj, name = "p", namespace?: string): Obj {
  const metadata: Obj = { name };
  if (namespace !== undefined) metadata.namespace = namespace;
  const base: Obj = { apiVersion: "security.kubearmor.com/v1", kind, metadata, spec: { ...spec } };
  if (kind === "KubeArmorHostPolicy" && !("nodeSelector" in spec))
    (base.spec as Obj).nodeSelector = { matchLabels: { "kubearmor.io/hostname": "*" } };
  return base;
}

export function check(
  obj: unknown,
  strict = false,
): { policy?: NormalizedPolicy; problems: Problem[]; errors: Problem[] } {
  const r = validatePolicyObject(obj, { file: "t.yaml", document: 1 }, { strict });
  return { ...r, errors: r.problems.filter(p => p.level === "error") };
}

/** Set a value at a dotted path with [n] indices, creating containers as needed. */
export function setPath(root: Obj, path: string, value: unknown): Obj {
  const copy = structuredClone(root);
  const keys = path.match(/[^.[\]]+/g) ?? [];
  let cur: Obj | unknown[] = copy;
  keys.forEach((k, i) => {
    const last = i === keys.length - 1;
    const key: string | number = /^\d+$/.test(k) ? Number(k) : k;
    const container = cur as Record<string | number, unknown>;
    if (last) container[key] = value;
    else {
      if (container[key] === undefined || typeof container[key] !== "object")
        container[key] = /^\d+$/.test(keys[i + 1]) ? [] : {};
      cur = container[key] as Obj;
    }
  });
  return copy;
}

export function describeProblems(ps: Problem[]): string {
  return ps.map(p => `${p.level} ${p.path}: ${p.message}`).join("\n");
}
