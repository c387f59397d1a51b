// SPDX-License-Identifier: Apache-2.0
//
// Policy status (KubeArmor #2053: "did my policy apply?"). Each node daemon owns one
// cluster-scoped RampartNodeReport (name = node name, written with server-side apply under the
// field manager `rampart-node-<node>`) listing, per policy it knows, Applied or Failed with a
// reason and a workload COUNT (never pod names). The watcher aggregates all reports into each
// policy's `.status` (this file: pure; status-controller.ts: the I/O). The size is bounded: at
// most MAX_NODE_ENTRIES nodes are listed (failures first), the rest are counted.

import type { PolicyKind } from "../enforcer/model/types.js";

export const REPORT_GROUP = "rampart.dev";
export const REPORT_VERSION = "v1alpha1";
export const REPORT_KIND = "RampartNodeReport";
export const REPORT_PLURAL = "rampartnodereports";
export const POLICY_PLURALS: Record<PolicyKind, string> = {
  KubeArmorPolicy: "kubearmorpolicies",
  KubeArmorClusterPolicy: "kubearmorclusterpolicies",
  KubeArmorHostPolicy: "kubearmorhostpolicies",
};
export const MAX_NODE_ENTRIES = 20;
export const MAX_REASON = 240;
export const MAX_STATUS_TEXT = 1024;

export type NodeState = "Applied" | "Failed";

/** One line of a node's report. */
export interface NodeReportEntry {
  kind: PolicyKind;
  namespace?: string;
  name: string;
  /** metadata.generation of the policy the daemon applied. */
  generation?: number;
  state: NodeState;
  reason?: string;
  /** How many containers (or 1 for the host) the policy currently applies to on this node. */
  workloads?: number;
}

export interface NodeReport {
  node: string;
  enforcer?: string;
  policies: NodeReportEntry[];
}

export interface PolicyNodeStatus {
  node: string;
  state: NodeState;
  reason?: string;
  generation?: number;
  workloads?: number;
}

export interface PolicyStatus {
  /** KubeArmor's own status field: a bounded, human-readable summary with the per-node outcome. */
  status: string;
  /** Structured copy (kept when the CRD's status schema has these fields). */
  applied: number;
  failed: number;
  nodes: PolicyNodeStatus[];
  /** Nodes not listed in `nodes` because of the size bound. */
  omittedNodes: number;
}

export function policyKey(kind: string, namespace: string | undefined, name: string): string {
  return kind === "KubeArmorPolicy" ? `${kind}/${namespace ?? "default"}/${name}` : `${kind}//${name}`;
}

export function parseKey(key: string): { kind: PolicyKind; namespace?: string; name: string } {
  const [kind, ns, name] = key.split("/") as [PolicyKind, string, string];
  return ns ? { kind, namespace: ns, name } : { kind, name };
}

function clip(s: string, n: number): string {
  const flat = s.replace(/[\r\n\t]+/g, " ");
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
}

/** Read a RampartNodeReport object (as stored) into a NodeReport; ignores malformed entries. */
export function reportFromObject(obj: unknown): NodeReport | undefined {
  if (!obj || typeof obj !== "object") return undefined;
  const o = obj as {
    metadata?: { name?: string };
    spec?: { nodeName?: string; enforcer?: string; policies?: unknown };
  };
  const node = o.spec?.nodeName ?? o.metadata?.name;
  if (!node) return undefined;
  const entries: NodeReportEntry[] = [];
  for (const e of Array.isArray(o.spec?.policies) ? (o.spec!.policies as unknown[]) : []) {
    if (!e || typeof e !== "object") continue;
    const r = e as Record<string, unknown>;
    if (typeof r.kind !== "string" || !(r.kind in POLICY_PLURALS) || typeof r.name !== "string") continue;
    if (r.state !== "Applied" && r.state !== "Failed") continue;
    entries.push({
      kind: r.kind as PolicyKind,
      ...(typeof r.namespace === "string" ? { namespace: r.namespace } : {}),
      name: r.name,
      state: r.state,
      ...(typeof r.reason === "string" ? { reason: r.reason } : {}),
      ...(typeof r.generation === "number" ? { generation: r.generation } : {}),
      ...(typeof r.workloads === "number" ? { workloads: r.workloads } : {}),
    });
  }
  return { node, ...(o.spec?.enforcer ? { enforcer: o.spec.enforcer } : {}), policies: entries };
}

/** The keys of every policy a report mentions. */
export function reportKeys(r: NodeReport | undefined): string[] {
  return (r?.policies ?? []).map(e => policyKey(e.kind, e.namespace, e.name));
}

/** Aggregate all node reports into one policy's status. Pure and deterministic. */
export function aggregatePolicyStatus(key: string, reports: Iterable<NodeReport>): PolicyStatus {
  const all: PolicyNodeStatus[] = [];
  for (const r of reports) {
    for (const e of r.policies) {
      if (policyKey(e.kind, e.namespace, e.name) !== key) continue;
      all.push({
        node: r.node,
        state: e.state,
        ...(e.reason ? { reason: clip(e.reason, MAX_REASON) } : {}),
        ...(e.generation !== undefined ? { generation: e.generation } : {}),
        ...(e.workloads !== undefined ? { workloads: e.workloads } : {}),
      });
      break; // one entry per node and policy
    }
  }
  all.sort((a, b) => (a.state === b.state ? a.node.localeCompare(b.node) : a.state === "Failed" ? -1 : 1));
  const failed = all.filter(n => n.state === "Failed");
  const applied = all.length - failed.length;
  const nodes = all.slice(0, MAX_NODE_ENTRIES);
  return {
    status: summary(all, failed),
    applied,
    failed: failed.length,
    nodes,
    omittedNodes: all.length - nodes.length,
  };
}

/** Join pieces with `sep` until `budget` characters; the rest becomes "… and N more". */
function bounded(pieces: string[], sep: string, budget: number): string {
  const out: string[] = [];
  let len = 0;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (len + p.length + sep.length > budget - 16) {
      out.push(`… and ${pieces.length - i} more`);
      break;
    }
    out.push(p);
    len += p.length + sep.length;
  }
  return out.join(sep);
}

/**
 * One line, at most MAX_STATUS_TEXT characters, naming every node while it fits:
 *   `Applied on 2/2 nodes: a, b`
 *   `Failed on 1/3 nodes: b: <reason>; applied on 2: a, c`
 * Failures come first so they survive truncation.
 */
function summary(all: PolicyNodeStatus[], failed: PolicyNodeStatus[]): string {
  const total = all.length;
  if (total === 0) return "Pending: no node has reported this policy yet";
  const appliedNodes = all.filter(n => n.state === "Applied").map(n => n.node);
  if (failed.length === 0) {
    const head = `Applied on ${total}/${total} nodes: `;
    return head + bounded(appliedNodes, ", ", MAX_STATUS_TEXT - head.length);
  }
  const head = `Failed on ${failed.length}/${total} nodes: `;
  const failures = bounded(
    failed.map(f => `${f.node}: ${f.reason ?? "no reason given"}`),
    "; ",
    MAX_STATUS_TEXT - head.length - 40,
  );
  let text = head + failures;
  if (appliedNodes.length) {
    const tail = `; applied on ${appliedNodes.length}: `;
    text += tail + bounded(appliedNodes, ", ", Math.max(40, MAX_STATUS_TEXT - text.length - tail.length));
  }
  return clip(text, MAX_STATUS_TEXT);
}

/**
 * Incremental aggregation state: the latest report per node and the last status written per
 * policy, so the controller patches only policies whose status actually changed.
 */
export class StatusAggregator {
  readonly #reports = new Map<string, NodeReport>();
  readonly #written = new Map<string, string>();

  /** Record a new/changed report (or a deletion with `undefined`); returns the keys to recompute. */
  update(node: string, report: NodeReport | undefined): string[] {
    const before = reportKeys(this.#reports.get(node));
    if (report) this.#reports.set(node, report);
    else this.#reports.delete(node);
    return [...new Set([...before, ...reportKeys(report)])].sort();
  }

  /** Status for a key, or undefined when it equals what was last written. */
  pending(key: string): PolicyStatus | undefined {
    const s = aggregatePolicyStatus(key, this.#reports.values());
    const fp = JSON.stringify(s);
    return this.#written.get(key) === fp ? undefined : s;
  }

  markWritten(key: string, s: PolicyStatus): void {
    this.#written.set(key, JSON.stringify(s));
  }

  forget(key: string): void {
    this.#written.delete(key);
  }
}
