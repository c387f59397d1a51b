// SPDX-License-Identifier: Apache-2.0
//
// Which policy applies to which container or host (kubearmor-compat §5.5, §6).
//   KSP: same namespace; every matchLabels entry (except kubearmor.io/container.name) is a pod
//        label; label In / NotIn as in matchLabelExpressions (KubeArmor's exact, order-dependent
//        semantics); kubearmor.io/container.name "[a,b]" restricts to those containers ("[]" = all).
//   CSP: namespace In ⇒ only those namespaces, else all namespaces except namespace NotIn;
//        label expressions as for KSP.
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

/**
 * KubeArmor's `label` matchExpressions semantics (MatchExpIdentities), reproduced exactly,
 * quirks included, so a policy selects the same pods as under KubeArmor:
 *   - In values (all In expressions) are "identities", of which the pod needs at least one;
 *   - NotIn values count only when they come *before* the first In expression with values;
 *   - once any NotIn value counts, the result is "the pod has none of them", whatever the In.
 * semantic.ts warns about the two order-dependent cases.
 */
export function matchLabelExpressions(
  exprs: NormalizedPolicy["selector"]["matchExpressions"],
  ids: Set<string>,
): boolean {
  const inIds: string[] = [];
  const nonIds: string[] = [];
  let hasIn = false;
  for (const e of exprs) {
    if (e.key !== "label") continue;
    if (e.operator === "In") {
      for (const v of e.values) {
        hasIn = true;
        inIds.push(v);
      }
    } else if (e.operator === "NotIn" && !hasIn) nonIds.push(...e.values);
  }
  if (inIds.length === 0 && nonIds.length === 0) return true;
  if (nonIds.length > 0) return !nonIds.some(v => ids.has(v));
  return inIds.some(v => ids.has(v));
}

/** CSP namespace expressions: any `namespace In` ⇒ exactly those; else all but `namespace NotIn`. */
export function matchNamespaceExpressions(
  exprs: NormalizedPolicy["selector"]["matchExpressions"],
  namespace: string,
): boolean {
  const ns = exprs.filter(e => e.key === "namespace");
  const inList = ns.filter(e => e.operator === "In");
  if (inList.length > 0) return inList.some(e => e.values.includes(namespace));
  return !ns.some(e => e.operator === "NotIn" && e.values.includes(namespace));
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
  const exprs = policy.selector.matchExpressions;
  if (policy.kind === "KubeArmorPolicy") {
    if ((policy.namespace ?? "default") !== pod.namespace) return false;
    for (const [k, v] of Object.entries(policy.selector.matchLabels)) {
      if (k === CONTAINER_NAME_LABEL) continue;
      if (!ids.has(`${k}=${v}`)) return false;
    }
    if (!matchLabelExpressions(exprs, ids)) return false;
    const cn = policy.selector.matchLabels[CONTAINER_NAME_LABEL];
    if (cn !== undefined) {
      const names = parseContainerList(cn);
      if (names.length > 0 && !names.includes(container)) return false;
    }
    return true;
  }
  // KubeArmorClusterPolicy
  return matchNamespaceExpressions(exprs, pod.namespace) && matchLabelExpressions(exprs, ids);
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
