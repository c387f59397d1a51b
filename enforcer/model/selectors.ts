// SPDX-License-Identifier: Apache-2.0
//
// Which policy applies to which container or host (kubearmor-compat §5.5, §6).
//   KSP: same namespace; every matchLabels entry (except kubearmor.io/container.name) is a pod
//        label; label In: the pod carries at least one listed k=v; label NotIn: it carries none;
//        kubearmor.io/container.name "[a,b]" restricts to those containers ("[]" = all).
//   CSP: namespace In ⇒ only those namespaces, else all namespaces except namespace NotIn;
//        label In ⇒ at least one listed k=v, else no label NotIn value. A NotIn is ignored once
//        an In of the same key kind exists (KubeArmor's behaviour).
//   HSP: every nodeSelector label must match; a value may be a comma list; kubearmor.io/hostname
//        "*" selects every node; kubearmor.io/hostnamereg / kubernetes.io/hostnamereg is a
//        wildcard on the hostname.
// Untracked namespaces (Defaults.untrackedNamespaces) are never selected.

import { CONTAINER_NAME_LABEL } from "./semantic.js";
import { DEFAULTS, type NamespaceInfo, type NodeInfo, type NormalizedPolicy, type PodInfo } from "./types.js";

export const HOSTNAME_LABEL = "kubearmor.io/hostname";
export const HOSTNAME_REG_LABELS = ["kubearmor.io/hostnamereg", "kubernetes.io/hostnamereg"];
export const K8S_HOSTNAME_LABEL = "kubernetes.io/hostname";

/** `"[c1, c2,,]"` → ["c1","c2"]; brackets optional, empty items ignored; [] = every container. */
export function parseContainerList(v: string): string[] {
  let s = v.trim();
  if (s.startsWith("[")) s = s.slice(1);
  if (s.endsWith("]")) s = s.slice(0, -1);
  return s
    .split(",")
    .map(x => x.trim())
    .filter(x => x !== "");
}

function podIdentities(pod: PodInfo): Set<string> {
  const ids = new Set<string>([`namespaceName=${pod.namespace}`]);
  for (const [k, v] of Object.entries(pod.labels)) ids.add(`${k}=${v}`);
  return ids;
}

function isTracked(namespace: string, untracked: string[]): boolean {
  return !untracked.includes(namespace);
}

export function selectsContainer(
  policy: NormalizedPolicy,
  pod: PodInfo,
  container: string,
  _ns?: NamespaceInfo,
  untracked: string[] = DEFAULTS.untrackedNamespaces,
): boolean {
  if (policy.kind === "KubeArmorHostPolicy") return false;
  if (!isTracked(pod.namespace, untracked)) return false;
  if (!pod.containers.some(c => c.name === container)) return false;
  const ids = podIdentities(pod);
  if (policy.kind === "KubeArmorPolicy") {
    if ((policy.namespace ?? "default") !== pod.namespace) return false;
    for (const [k, v] of Object.entries(policy.selector.matchLabels)) {
      if (k === CONTAINER_NAME_LABEL) continue;
      if (!ids.has(`${k}=${v}`)) return false;
    }
    const inValues = policy.selector.matchExpressions
      .filter(e => e.key === "label" && e.operator === "In")
      .flatMap(e => e.values);
    const notIn = policy.selector.matchExpressions
      .filter(e => e.key === "label" && e.operator === "NotIn")
      .flatMap(e => e.values);
    const hasIn = policy.selector.matchExpressions.some(e => e.key === "label" && e.operator === "In");
    if (hasIn && !inValues.some(v => ids.has(v))) return false;
    if (notIn.some(v => ids.has(v))) return false;
    const cn = policy.selector.matchLabels[CONTAINER_NAME_LABEL];
    if (cn !== undefined) {
      const names = parseContainerList(cn);
      if (names.length > 0 && !names.includes(container)) return false;
    }
    return true;
  }
  // KubeArmorClusterPolicy
  const exprs = policy.selector.matchExpressions;
  const of = (key: string, op: "In" | "NotIn"): string[] =>
    exprs.filter(e => e.key === key && e.operator === op).flatMap(e => e.values);
  const hasNsIn = exprs.some(e => e.key === "namespace" && e.operator === "In");
  if (hasNsIn) {
    if (!of("namespace", "In").includes(pod.namespace)) return false;
  } else if (of("namespace", "NotIn").includes(pod.namespace)) return false;
  const hasLabelIn = exprs.some(e => e.key === "label" && e.operator === "In");
  if (hasLabelIn) {
    if (!of("label", "In").some(v => ids.has(v))) return false;
  } else if (of("label", "NotIn").some(v => ids.has(v))) return false;
  return true;
}

/** Anchored wildcard: `*` any run of characters, `?` one character, everything else literal. */
export function wildcardMatch(pattern: string, text: string): boolean {
  // Iterative glob match (no regex: no ReDoS on hostile patterns).
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

export function nodeHostname(node: NodeInfo): string {
  return node.labels[K8S_HOSTNAME_LABEL] ?? node.name;
}

export function selectsHost(policy: NormalizedPolicy, node: NodeInfo): boolean {
  if (policy.kind !== "KubeArmorHostPolicy") return false;
  const labels = policy.nodeSelector?.matchLabels ?? {};
  const entries = Object.entries(labels);
  if (entries.length === 0) return false;
  const hostname = nodeHostname(node);
  for (const [k, v] of entries) {
    const values = v
      .split(",")
      .map(x => x.trim())
      .filter(x => x !== "");
    if (k === HOSTNAME_LABEL) {
      if (values.includes("*")) continue;
      if (
        values.includes(hostname) ||
        values.includes(node.name) ||
        values.includes(node.labels[k] ?? "\u0000")
      )
        continue;
      return false;
    }
    if (HOSTNAME_REG_LABELS.includes(k)) {
      if (values.some(pat => wildcardMatch(pat, hostname) || wildcardMatch(pat, node.name))) continue;
      return false;
    }
    const actual = node.labels[k];
    if (actual === undefined || !values.includes(actual)) return false;
  }
  return true;
}
