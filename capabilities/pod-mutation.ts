// SPDX-License-Identifier: Apache-2.0
//
// Pod mutation decisions (pure): which annotations to default and which AppArmor profile each
// container gets. The Pepr callback in rampart.ts only feeds this plain objects and applies the
// result, so every rule here is unit-tested without a cluster.
//
// KubeArmor compatibility (kubearmor-compat §9.1): `kubearmor-policy` defaults to `enabled`
// (forced to `audited` for KubeArmor/cilium/Rampart's own pods), `kubearmor-visibility` defaults
// to the four container categories, only spec.containers get a profile, and an existing profile
// (including `unconfined`) is never overridden. Unlike KubeArmor we also set the 1.30+
// `securityContext.appArmorProfile` field, and fall back to the legacy annotation for older
// API servers.

import { profileName } from "../enforcer/model/profile-name.js";
import type { NodeView } from "./node-view.js";

export const ENFORCER_LABEL = "kubearmor.io/enforcer";
export const POLICY_ANNOTATION = "kubearmor-policy";
export const VISIBILITY_ANNOTATION = "kubearmor-visibility";
export const LEGACY_APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/";
export const DEFAULT_VISIBILITY = "process,file,network,capabilities";
export const POLICY_STATES = ["enabled", "audited", "disabled"] as const;
/** Namespaces whose pods are never given a profile (Pepr also never sends kube-system/pepr-system). */
export const SKIPPED_NAMESPACES = ["kube-system", "pepr-system", "rampart-system", "kubearmor"];
/** Labels that mark infrastructure pods KubeArmor forces to `audited`; the last one marks Rampart's own. */
export const AUDITED_POD_LABELS = ["kubearmor-app", "io.cilium/app", "rampart.dev/component"];
export const RAMPART_POD_LABEL = "rampart.dev/component";

export interface PodLike {
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind?: string; name?: string; controller?: boolean }>;
  };
  spec?: {
    nodeName?: string;
    nodeSelector?: Record<string, string>;
    affinity?: {
      nodeAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
      };
    };
    securityContext?: { appArmorProfile?: { type?: string; localhostProfile?: string } };
    containers?: Array<{
      name: string;
      securityContext?: {
        appArmorProfile?: { type?: string; localhostProfile?: string };
        [k: string]: unknown;
      };
      [k: string]: unknown;
    }>;
  };
}

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface PodMutationEnv {
  nodes: NodeView;
  /** Minor version of the API server (e.g. 34); undefined when unknown. */
  serverMinor?: number;
}

export interface ContainerProfile {
  index: number;
  container: string;
  profile: string;
}

export type NodeChoice = { apparmor: true; why: string } | { apparmor: false; why: string };

export interface PodPlan {
  /** Annotations to add (never overwrites an existing valid value). */
  annotations: Record<string, string>;
  /** Containers that get `securityContext.appArmorProfile` (API server >= 1.30). */
  fieldProfiles: ContainerProfile[];
  /** Containers that get the legacy annotation instead (API server < 1.30 or version unknown). */
  legacyProfiles: ContainerProfile[];
  /** Why profiles were (not) applied; for logs. */
  notes: string[];
}

/** The workload name used in profile names: controlling owner (ReplicaSet → Deployment), else the pod. */
export function ownerName(pod: PodLike): string {
  const md = pod.metadata ?? {};
  const ctl = (md.ownerReferences ?? []).find(o => o.controller && o.name);
  if (ctl?.name) {
    if (ctl.kind === "ReplicaSet") {
      const hash = md.labels?.["pod-template-hash"];
      if (hash && ctl.name.endsWith(`-${hash}`)) return ctl.name.slice(0, -hash.length - 1);
      const cut = ctl.name.lastIndexOf("-");
      if (cut > 0) return ctl.name.slice(0, cut);
    }
    return ctl.name;
  }
  if (md.name) return md.name;
  // A bare pod created with generateName has no name yet at admission time.
  return (md.generateName ?? "pod").replace(/-+$/, "") || "pod";
}

/**
 * Is the pod going to run on an AppArmor node? With spec.nodeName (set by the scheduler's
 * binding or by the user) we know the node. Without it we cannot know at CREATE, so we only
 * apply a profile when every node the pod's nodeSelector and required node affinity admit is an
 * AppArmor node: a Localhost profile on a node that does not have it loaded keeps the pod from
 * starting. Taints are not evaluated (more candidates ⇒ errs toward "not confined").
 */
export function nodeChoice(pod: PodLike, nodes: NodeView): NodeChoice {
  if (!nodes.synced()) return { apparmor: false, why: "node view not synced yet" };
  const nodeName = pod.spec?.nodeName;
  if (nodeName) {
    const n = nodes.get(nodeName);
    if (!n) return { apparmor: false, why: `node ${nodeName} unknown` };
    const e = n.labels[ENFORCER_LABEL];
    return e === "apparmor"
      ? { apparmor: true, why: `node ${nodeName} has ${ENFORCER_LABEL}=apparmor` }
      : { apparmor: false, why: `node ${nodeName} enforcer is ${e ?? "unset"}` };
  }
  const sel = pod.spec?.nodeSelector ?? {};
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const candidates = nodes
    .list()
    .filter(n => Object.entries(sel).every(([k, v]) => n.labels[k] === v))
    .filter(n => !terms?.length || terms.some(t => termMatches(t, n)));
  if (candidates.length === 0)
    return { apparmor: false, why: "unscheduled and no node matches its nodeSelector" };
  const other = candidates.filter(n => n.labels[ENFORCER_LABEL] !== "apparmor");
  return other.length === 0
    ? { apparmor: true, why: `unscheduled; all ${candidates.length} candidate nodes are AppArmor nodes` }
    : { apparmor: false, why: `unscheduled; ${other.length} candidate node(s) are not AppArmor nodes` };
}

/** One requirement against one value (undefined = label absent), as the scheduler reads it. */
function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const vals = r.values ?? [];
  switch (r.operator) {
    case "In":
      return value !== undefined && vals.includes(value);
    case "NotIn":
      return value === undefined || !vals.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt": {
      const a = Number(value);
      const b = Number(vals[0]);
      if (value === undefined || !Number.isInteger(a) || !Number.isInteger(b)) return false;
      return r.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false; // unknown operator: the scheduler rejects the pod; never a candidate
  }
}

/** A required node-affinity term: expressions on labels and fields (metadata.name), ANDed. An empty term matches nothing. */
export function termMatches(
  t: NodeSelectorTerm,
  n: { name: string; labels: Record<string, string> },
): boolean {
  const exprs = t.matchExpressions ?? [];
  const fields = t.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return (
    exprs.every(r => requirementMatches(r, n.labels[r.key])) &&
    fields.every(r => requirementMatches(r, r.key === "metadata.name" ? n.name : undefined))
  );
}

function hasAuditedLabel(labels: Record<string, string>): boolean {
  return AUDITED_POD_LABELS.some(l => l in labels);
}

export function isRampartPod(pod: PodLike): boolean {
  return RAMPART_POD_LABEL in (pod.metadata?.labels ?? {});
}

/** Compute everything the mutator changes on a new Pod. Pure: reads only its arguments. */
export function planPodMutation(pod: PodLike, env: PodMutationEnv): PodPlan {
  const md = pod.metadata ?? {};
  const ns = md.namespace ?? "default";
  const labels = md.labels ?? {};
  const ann = md.annotations ?? {};
  const plan: PodPlan = { annotations: {}, fieldProfiles: [], legacyProfiles: [], notes: [] };

  // kubearmor-policy: missing or invalid ⇒ enabled; infrastructure pods ⇒ audited.
  const state = ann[POLICY_ANNOTATION];
  if (hasAuditedLabel(labels)) {
    if (state !== "audited") plan.annotations[POLICY_ANNOTATION] = "audited";
  } else if (!(POLICY_STATES as readonly string[]).includes(state ?? "")) {
    plan.annotations[POLICY_ANNOTATION] = "enabled";
  }
  if (ann[VISIBILITY_ANNOTATION] === undefined) plan.annotations[VISIBILITY_ANNOTATION] = DEFAULT_VISIBILITY;

  if (SKIPPED_NAMESPACES.includes(ns)) {
    plan.notes.push(`namespace ${ns} is never given AppArmor profiles`);
    return plan;
  }
  if (isRampartPod(pod)) {
    plan.notes.push("Rampart's own pod");
    return plan;
  }
  const choice = nodeChoice(pod, env.nodes);
  plan.notes.push(choice.why);
  if (!choice.apparmor) return plan;

  const podLevel = pod.spec?.securityContext?.appArmorProfile;
  if (podLevel?.type) {
    plan.notes.push(`pod-level appArmorProfile ${podLevel.type} kept`);
    return plan;
  }
  const owner = ownerName(pod);
  const useField = env.serverMinor !== undefined && env.serverMinor >= 30;
  (pod.spec?.containers ?? []).forEach((c, index) => {
    if (c.securityContext?.appArmorProfile?.type || ann[LEGACY_APPARMOR_PREFIX + c.name] !== undefined) {
      plan.notes.push(`container ${c.name}: existing AppArmor profile kept`);
      return;
    }
    const entry = { index, container: c.name, profile: profileName(ns, owner, c.name) };
    (useField ? plan.fieldProfiles : plan.legacyProfiles).push(entry);
  });
  return plan;
}

/** Apply a plan to a plain Pod object in place (used on Pepr's request copy). */
export function applyPodPlan(pod: PodLike, plan: PodPlan): void {
  const md = (pod.metadata ??= {});
  const add = { ...plan.annotations };
  for (const p of plan.legacyProfiles) add[LEGACY_APPARMOR_PREFIX + p.container] = `localhost/${p.profile}`;
  if (Object.keys(add).length) md.annotations = { ...(md.annotations ?? {}), ...add };
  for (const p of plan.fieldProfiles) {
    const c = pod.spec!.containers![p.index]!;
    c.securityContext = {
      ...(c.securityContext ?? {}),
      appArmorProfile: { type: "Localhost", localhostProfile: p.profile },
    };
  }
}
