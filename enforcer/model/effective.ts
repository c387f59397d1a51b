// SPDX-License-Identifier: Apache-2.0
//
// The effective policy of one container or host (kubearmor-compat §7, §9): the union of the
// rules of every matching policy (policies sorted by kind, namespace, name; rules in document
// order), per-category allow-list flags (process+file share `file`), default postures from
// namespace annotations over the global defaults, the `kubearmor-policy` state and
// `kubearmor-visibility`.

import { nodeHostname, selectsContainer, selectsHost } from "./selectors.js";
import {
  DEFAULTS,
  type Defaults,
  type EffectivePolicy,
  type NamespaceInfo,
  type NodeInfo,
  type NormalizedPolicy,
  type OwnerRef,
  type PodInfo,
  type PolicyState,
  type Posture,
  type Postures,
  type Rule,
  type Visibility,
} from "./types.js";

export const POSTURE_ANNOTATIONS: Record<keyof Postures, string> = {
  file: "kubearmor-file-posture",
  network: "kubearmor-network-posture",
  capabilities: "kubearmor-capabilities-posture",
};
export const POLICY_STATE_ANNOTATION = "kubearmor-policy";
export const VISIBILITY_ANNOTATION = "kubearmor-visibility";

/** Code-unit order: deterministic regardless of locale. */
export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const KIND_ORDER = { KubeArmorPolicy: 0, KubeArmorClusterPolicy: 1, KubeArmorHostPolicy: 2 } as const;

/** Namespace posture annotations over defaults; a missing key takes the default, an invalid one too (with a problem). */
export function resolvePostures(
  nsAnnotations: Record<string, string>,
  defaults: Postures,
): { postures: Postures; problems: string[] } {
  const postures: Postures = { ...defaults };
  const problems: string[] = [];
  for (const key of Object.keys(POSTURE_ANNOTATIONS) as Array<keyof Postures>) {
    const name = POSTURE_ANNOTATIONS[key];
    const v = nsAnnotations?.[name];
    if (v === undefined) continue;
    if (v === "audit" || v === "block") postures[key] = v as Posture;
    else
      problems.push(
        `${name}: invalid posture ${JSON.stringify(String(v).slice(0, 40))} (expected audit or block); using the default "${defaults[key]}"`,
      );
  }
  return { postures, problems };
}

/** `kubearmor-policy` of the pod, else of the namespace; missing or invalid ⇒ enabled. */
export function resolvePolicyState(
  ...annotationSets: Array<Record<string, string> | undefined>
): PolicyState {
  for (const a of annotationSets) {
    const v = a?.[POLICY_STATE_ANNOTATION];
    if (v === undefined) continue;
    if (v === "enabled" || v === "audited" || v === "disabled") return v;
    return "enabled";
  }
  return "enabled";
}

/** `kubearmor-visibility`: comma list of process,file,network,capabilities, or `none`; unknown items ignored. */
export function parseVisibility(value: string | undefined, fallback: Visibility): Visibility {
  if (value === undefined) return { ...fallback };
  const items = value
    .split(",")
    .map(s => s.trim().toLowerCase())
    .filter(Boolean);
  const v: Visibility = { process: false, file: false, network: false, capabilities: false };
  if (items.includes("none")) return v;
  for (const item of items) if (item in v) v[item as keyof Visibility] = true;
  return v;
}

function sortPolicies(list: NormalizedPolicy[]): NormalizedPolicy[] {
  return [...list].sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      cmp(a.namespace ?? "", b.namespace ?? "") ||
      cmp(a.name, b.name),
  );
}

function allowList(rules: Rule[]): EffectivePolicy["allowList"] {
  const has = (cats: string[]): boolean => rules.some(r => cats.includes(r.category) && r.action === "Allow");
  return {
    file: has(["process", "file"]),
    network: has(["network", "dns"]),
    capabilities: has(["capabilities"]),
  };
}

function assemble(matching: NormalizedPolicy[]): Pick<EffectivePolicy, "rules" | "apparmor" | "policies"> {
  const sorted = sortPolicies(matching);
  const rules: Rule[] = [];
  const apparmor: EffectivePolicy["apparmor"] = [];
  for (const p of sorted) {
    rules.push(...p.rules);
    if (p.apparmor !== undefined)
      apparmor.push({
        origin: {
          kind: p.kind,
          name: p.name,
          ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
          path: "spec.apparmor",
        },
        text: p.apparmor,
      });
  }
  return {
    rules,
    apparmor,
    policies: sorted.map(p => ({
      kind: p.kind,
      name: p.name,
      ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
    })),
  };
}

export function ownerOf(pod: PodInfo): OwnerRef {
  return { kind: pod.owner?.kind ?? "Pod", name: pod.owner?.name ?? pod.name, namespace: pod.namespace };
}

export function effectiveForContainer(
  policies: NormalizedPolicy[],
  pod: PodInfo,
  container: string,
  ns: NamespaceInfo | undefined,
  defaults: Defaults = DEFAULTS,
): EffectivePolicy {
  const tracked = !defaults.untrackedNamespaces.includes(pod.namespace);
  const matching = tracked
    ? policies.filter(p => selectsContainer(p, pod, container, ns, defaults.untrackedNamespaces))
    : [];
  const parts = assemble(matching);
  let state = resolvePolicyState(pod.annotations, ns?.annotations);
  // Untracked namespaces are never enforced; KubeArmor's own pods are forced to audited.
  if (!tracked) state = "disabled";
  else if (pod.labels["kubearmor-app"] !== undefined && state === "enabled") state = "audited";
  const image = pod.containers.find(c => c.name === container)?.image;
  return {
    target: {
      kind: "container",
      namespace: pod.namespace,
      pod: pod.name,
      container,
      owner: ownerOf(pod),
      labels: { ...pod.labels },
      ...(image !== undefined ? { image } : {}),
      ...(pod.nodeName !== undefined ? { node: pod.nodeName } : {}),
    },
    state,
    postures: resolvePostures(ns?.annotations ?? {}, defaults.postures).postures,
    allowList: allowList(parts.rules),
    visibility: parseVisibility(
      pod.annotations[VISIBILITY_ANNOTATION] ?? ns?.annotations[VISIBILITY_ANNOTATION],
      defaults.visibility,
    ),
    ...parts,
  };
}

export function effectiveForHost(
  policies: NormalizedPolicy[],
  node: NodeInfo,
  defaults: Defaults = DEFAULTS,
): EffectivePolicy {
  const parts = assemble(policies.filter(p => selectsHost(p, node)));
  return {
    target: { kind: "host", hostname: nodeHostname(node), labels: { ...node.labels } },
    state: resolvePolicyState(node.annotations),
    postures: { ...defaults.hostPostures },
    allowList: allowList(parts.rules),
    visibility: parseVisibility(node.annotations[VISIBILITY_ANNOTATION], defaults.hostVisibility),
    ...parts,
  };
}

/** One EffectivePolicy per tracked (pod, container), then one per node; deterministic order. */
export function resolveEffective(
  policies: NormalizedPolicy[],
  world: { pods: PodInfo[]; namespaces: NamespaceInfo[]; nodes: NodeInfo[] },
  defaults: Defaults = DEFAULTS,
): EffectivePolicy[] {
  const nsByName = new Map(world.namespaces.map(n => [n.name, n]));
  const out: EffectivePolicy[] = [];
  const pods = [...world.pods].sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
  for (const pod of pods) {
    if (defaults.untrackedNamespaces.includes(pod.namespace)) continue;
    for (const c of pod.containers)
      out.push(effectiveForContainer(policies, pod, c.name, nsByName.get(pod.namespace), defaults));
  }
  for (const node of [...world.nodes].sort((a, b) => cmp(a.name, b.name)))
    out.push(effectiveForHost(policies, node, defaults));
  return out;
}
