// SPDX-License-Identifier: Apache-2.0
//
// Kubernetes desired state (kubernetes-fluent-client watches): the three KubeArmor policy kinds,
// the Pods scheduled on this node (fieldSelector spec.nodeName), all Namespaces, and this Node.
// Watches keep in-memory caches; kfc relists after a disconnect and re-synthesises the events it
// missed. While the API server is unreachable the caches keep their last content, so the loop
// keeps enforcing the last known state (nothing is removed because the API went away).
// Container identity still comes from the runtime (CRI), joined to pods by namespace/pod/container.
//
// The daemon writes two things: its own RampartNodeReport (per-policy Applied/Failed, workload
// counts, no pod names) and the `kubearmor.io/enforcer` label on its own Node.

import { K8s, kind, GenericKind, WatchEvent } from "kubernetes-fluent-client";

/** ADDED | MODIFIED | DELETED (kfc's WatchPhase values). */
type WatchPhase = string;
import { validatePolicyObject, formatProblem } from "../model/index.js";
import type { NamespaceInfo, NodeInfo, NormalizedPolicy, PodInfo, PolicyKind } from "../model/types.js";
import type { Logger } from "../daemon/log.js";
import type { ContainerRuntime } from "../identity/containers.js";
import type { Source } from "../reconcile/loop.js";
import type { ContainerIdentity, PolicyResult, World, WorkloadInput } from "../reconcile/types.js";

export const POLICY_KINDS: Array<{ kind: PolicyKind; plural: string; namespaced: boolean }> = [
  { kind: "KubeArmorPolicy", plural: "kubearmorpolicies", namespaced: true },
  { kind: "KubeArmorClusterPolicy", plural: "kubearmorclusterpolicies", namespaced: false },
  { kind: "KubeArmorHostPolicy", plural: "kubearmorhostpolicies", namespaced: false },
];
export const ENFORCER_LABEL = "kubearmor.io/enforcer";

/** kfc throws raw HTTP results ({status, statusText, data}), not Errors. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === "object" && "status" in err) {
    const e = err as { status: unknown; statusText?: unknown; data?: { message?: unknown } };
    return `HTTP ${String(e.status)} ${String(e.statusText ?? "")} ${String(e.data?.message ?? "")}`.trim();
  }
  return String(err);
}

type Obj = {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    generation?: number;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
  };
  spec?: Record<string, unknown>;
  kind?: string;
  apiVersion?: string;
};

/** A Pod object → the model's PodInfo (ReplicaSet owners collapse to their Deployment). */
export function podInfo(
  p: Obj & { spec?: { containers?: Array<{ name: string; image?: string }>; nodeName?: string } },
): PodInfo {
  const md = p.metadata ?? {};
  const labels = md.labels ?? {};
  const ctl = (md.ownerReferences ?? []).find(o => o.controller) ?? md.ownerReferences?.[0];
  let owner: PodInfo["owner"];
  if (ctl) {
    owner = { kind: ctl.kind, name: ctl.name };
    const hash = labels["pod-template-hash"];
    if (ctl.kind === "ReplicaSet" && hash && ctl.name.endsWith(`-${hash}`))
      owner = { kind: "Deployment", name: ctl.name.slice(0, -hash.length - 1) };
  }
  return {
    namespace: md.namespace ?? "default",
    name: md.name ?? "",
    labels,
    annotations: md.annotations ?? {},
    ...(owner ? { owner } : {}),
    containers: (p.spec?.containers ?? []).map(c => ({
      name: c.name,
      ...(c.image ? { image: c.image } : {}),
    })),
    ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
  };
}

/** Aggregate per-(policy, workload) results into the node report's entries. */
export function reportEntries(
  results: PolicyResult[],
  generations: Map<string, number>,
): Array<Record<string, unknown>> {
  const by = new Map<
    string,
    { kind: PolicyKind; namespace?: string; name: string; failed: string[]; workloads: number }
  >();
  for (const r of results) {
    const key = `${r.policy.kind}/${r.policy.namespace ?? ""}/${r.policy.name}`;
    let e = by.get(key);
    if (!e) by.set(key, (e = { ...r.policy, failed: [], workloads: 0 }));
    e.workloads++;
    if (r.status === "Failed") e.failed.push(r.reason);
  }
  return [...by.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, e]) => {
      const gen = generations.get(key);
      const reason = e.failed.length
        ? `${e.failed.length}/${e.workloads} workloads failed: ${e.failed[0]}`
        : undefined;
      return {
        kind: e.kind,
        ...(e.namespace ? { namespace: e.namespace } : {}),
        name: e.name,
        ...(gen !== undefined ? { generation: gen } : {}),
        state: e.failed.length ? "Failed" : "Applied",
        ...(reason ? { reason: reason.slice(0, 500) } : {}),
        workloads: e.workloads,
      };
    });
}

export interface KubernetesSourceOptions {
  nodeName: string;
  log: Logger;
  runtime?: ContainerRuntime;
  onContainers?: (containers: ContainerIdentity[]) => void;
}

interface Closable {
  close(): void;
}

export class KubernetesSource implements Source {
  private readonly policies = new Map<string, { raw: Obj; policy?: NormalizedPolicy }>();
  private readonly pods = new Map<string, PodInfo>();
  private readonly namespaces = new Map<string, NamespaceInfo>();
  private node: NodeInfo | undefined;
  private listeners: Array<(reason: string) => void> = [];
  private watchers: Closable[] = [];
  private synced = false;
  private stopped = false;
  private containers: ContainerIdentity[] = [];
  private runtimeDown = false;

  constructor(private readonly o: KubernetesSourceOptions) {}

  onChange(l: (reason: string) => void): void {
    this.listeners.push(l);
  }

  private emit(reason: string): void {
    for (const l of this.listeners) l(reason);
  }

  private policyModel(k: (typeof POLICY_KINDS)[number]) {
    return K8s(GenericKind, {
      kindOverride: { group: "security.kubearmor.com", version: "v1", kind: k.kind, plural: k.plural },
    });
  }

  /**
   * Initial LIST of everything, then the watches. The LIST is retried with backoff (API server
   * starting, CRD storage initialising, network down): until it succeeds no pass runs, so nothing
   * applied by an earlier daemon is removed.
   */
  async start(): Promise<void> {
    for (let attempt = 1, delay = 500; ; attempt++, delay = Math.min(delay * 2, 10_000)) {
      if (this.stopped) return;
      try {
        await this.listAll();
        break;
      } catch (err) {
        this.o.log.warn("kubernetes: initial list failed; retrying", {
          attempt,
          retryInMs: delay,
          error: errorText(err),
        });
        await new Promise(r => setTimeout(r, delay));
      }
    }
    this.startWatches();
  }

  private async listAll(): Promise<void> {
    for (const k of POLICY_KINDS) {
      const list = await this.policyModel(k).Get();
      for (const item of list.items) this.onPolicy(k.kind, item as Obj, "ADDED" as WatchPhase);
    }
    for (const n of (await K8s(kind.Namespace).Get()).items)
      this.onNamespace(n as Obj, "ADDED" as WatchPhase);
    for (const p of (await K8s(kind.Pod).WithField("spec.nodeName", this.o.nodeName).Get()).items)
      this.onPod(p as Obj, "ADDED" as WatchPhase);
    const node = await K8s(kind.Node).Get(this.o.nodeName);
    this.onNode(node as Obj, "ADDED" as WatchPhase);
    this.synced = true;
  }

  private startWatches(): void {
    const watch = <T extends Closable & { start(): Promise<unknown>; events: NodeJS.EventEmitter }>(
      what: string,
      w: T,
    ): void => {
      w.events.on(WatchEvent.NETWORK_ERROR, (e: Error) =>
        this.o.log.warn(`kubernetes: ${what} watch disconnected; will relist`, { error: e?.message }),
      );
      w.events.on(WatchEvent.GIVE_UP, (e: Error) =>
        this.o.log.error(`kubernetes: ${what} watch gave up`, { error: e?.message }),
      );
      w.events.on(WatchEvent.RECONNECT, () => this.o.log.info(`kubernetes: ${what} watch reconnecting`));
      void w.start();
      this.watchers.push(w);
    };
    for (const k of POLICY_KINDS)
      watch(
        k.plural,
        this.policyModel(k).Watch((o, ph) => this.onPolicy(k.kind, o as Obj, ph)),
      );
    watch(
      "namespaces",
      K8s(kind.Namespace).Watch((o, ph) => this.onNamespace(o as Obj, ph)),
    );
    watch(
      "pods",
      K8s(kind.Pod)
        .WithField("spec.nodeName", this.o.nodeName)
        .Watch((o, ph) => this.onPod(o as Obj, ph)),
    );
    watch(
      "node",
      K8s(kind.Node, { name: this.o.nodeName }).Watch((o, ph) => this.onNode(o as Obj, ph)),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private onPolicy(k: PolicyKind, raw: Obj, phase: WatchPhase): void {
    const md = raw.metadata ?? {};
    const key = `${k}/${md.namespace ?? ""}/${md.name ?? ""}`;
    if (phase === "DELETED") {
      this.policies.delete(key);
    } else {
      const clean = {
        apiVersion: raw.apiVersion ?? "security.kubearmor.com/v1",
        kind: k,
        metadata: {
          name: md.name,
          ...(md.namespace ? { namespace: md.namespace } : {}),
          ...(md.labels ? { labels: md.labels } : {}),
          ...(md.annotations ? { annotations: md.annotations } : {}),
        },
        spec: raw.spec,
      };
      const { policy, problems } = validatePolicyObject(clean, {
        file: `${k}/${md.namespace ? md.namespace + "/" : ""}${md.name}`,
        document: 1,
      });
      for (const p of problems.filter(x => x.level === "error"))
        this.o.log.error(`kubernetes: policy rejected: ${formatProblem(p)}`);
      const prev = this.policies.get(key);
      // An invalid update (admission normally prevents it) keeps the last valid version.
      this.policies.set(key, { raw, policy: policy ?? prev?.policy });
    }
    this.emit(`policy ${key} ${phase}`);
  }

  private onNamespace(n: Obj, phase: WatchPhase): void {
    const name = n.metadata?.name ?? "";
    if (phase === "DELETED") this.namespaces.delete(name);
    else
      this.namespaces.set(name, {
        name,
        labels: n.metadata?.labels ?? {},
        annotations: n.metadata?.annotations ?? {},
      });
    this.emit(`namespace ${name} ${phase}`);
  }

  private onPod(p: Obj, phase: WatchPhase): void {
    const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
    if (phase === "DELETED") this.pods.delete(key);
    else this.pods.set(key, podInfo(p));
    this.emit(`pod ${key} ${phase}`);
  }

  private onNode(n: Obj, phase: WatchPhase): void {
    if (phase === "DELETED") return; // keep the last known labels; a node without its Node object keeps enforcing
    this.node = {
      name: n.metadata?.name ?? this.o.nodeName,
      labels: n.metadata?.labels ?? {},
      annotations: n.metadata?.annotations ?? {},
    };
    this.emit(`node ${phase}`);
  }

  /** metadata.generation per policy key (`kind/ns/name`), for the node report. */
  generations(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, v] of this.policies)
      if (v.raw.metadata?.generation !== undefined) out.set(k, v.raw.metadata.generation);
    return out;
  }

  async snapshot(): Promise<World> {
    if (!this.synced || !this.node) throw new Error("kubernetes: initial list not complete");
    if (this.o.runtime) {
      try {
        this.containers = await this.o.runtime.list();
        this.runtimeDown = false;
      } catch (err) {
        if (!this.runtimeDown)
          this.o.log.warn("containers: runtime unreachable; keeping the last container list", {
            error: (err as Error).message,
          });
        this.runtimeDown = true;
      }
      this.o.onContainers?.(this.containers);
    }
    const byName = new Map(this.containers.map(c => [`${c.podNamespace}/${c.podName}/${c.name}`, c]));
    const workloads: WorkloadInput[] = [{ kind: "host", id: `host:${this.node.name}`, node: this.node }];
    for (const pod of [...this.pods.values()].sort((a, b) =>
      a.namespace + a.name < b.namespace + b.name ? -1 : 1,
    )) {
      const ns = this.namespaces.get(pod.namespace) ?? { name: pod.namespace, labels: {}, annotations: {} };
      for (const c of pod.containers) {
        const id = `container:${pod.namespace}/${pod.name}/${c.name}`;
        const identity = byName.get(`${pod.namespace}/${pod.name}/${c.name}`);
        workloads.push({
          kind: "container",
          id,
          pod,
          container: c.name,
          namespace: ns,
          ...(identity ? { identity } : {}),
        });
      }
    }
    const policies = [...this.policies.values()]
      .map(v => v.policy)
      .filter((p): p is NormalizedPolicy => p !== undefined);
    return { policies, workloads, node: this.node };
  }
}

/** Write this node's RampartNodeReport (server-side apply; the policy status controller aggregates it). */
export async function writeNodeReport(
  node: string,
  enforcer: string,
  results: PolicyResult[],
  generations: Map<string, number>,
): Promise<void> {
  const entries = reportEntries(results, generations);
  await K8s(GenericKind, {
    kindOverride: {
      group: "rampart.dev",
      version: "v1alpha1",
      kind: "RampartNodeReport",
      plural: "rampartnodereports",
    },
  }).Apply(
    {
      apiVersion: "rampart.dev/v1alpha1",
      kind: "RampartNodeReport",
      metadata: { name: node },
      spec: {
        nodeName: node,
        enforcer,
        summary: { policies: entries.length, failed: entries.filter(e => e["state"] === "Failed").length },
        policies: entries,
      },
    },
    { force: true },
  );
}

/** Label this Node with the enforcer (admission mutates pods for AppArmor nodes only); none/selinux remove it. */
export async function labelNode(node: string, enforcer: string): Promise<void> {
  const path = `/metadata/labels/${ENFORCER_LABEL.replace(/~/g, "~0").replace(/\//g, "~1")}`;
  const current = (await K8s(kind.Node).Get(node)).metadata?.labels?.[ENFORCER_LABEL];
  if (enforcer === "bpf" || enforcer === "apparmor") {
    if (current !== enforcer)
      await K8s(kind.Node, { name: node }).Patch([{ op: "add", path, value: enforcer }]);
  } else if (current !== undefined) {
    await K8s(kind.Node, { name: node }).Patch([{ op: "remove", path }]);
  }
}
