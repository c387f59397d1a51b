// SPDX-License-Identifier: Apache-2.0
//
// Container identity: joins what the runtime says (CRI: names, pod, labels, image, init pid) with
// what the kernel says (/proc: cgroup id, namespaces), and answers "who is this event from?"
// by cgroup id (the key the BPF programs report) or, failing that, by pid.

import type { ContainerIdentity } from "../reconcile/types.js";
import { CriClient, pidFromStatus, type CriContainer, type CriPodSandbox } from "./cri.js";
import { procIdentity } from "./proc.js";

/** CRI label keys kubelet puts on every container (and sandbox). */
export const LABEL_POD_NAME = "io.kubernetes.pod.name";
export const LABEL_POD_NAMESPACE = "io.kubernetes.pod.namespace";
export const LABEL_POD_UID = "io.kubernetes.pod.uid";
export const LABEL_CONTAINER_NAME = "io.kubernetes.container.name";

/** The narrow runtime interface the daemon uses (real implementation: CriRuntime). */
export interface ContainerRuntime {
  /** Running containers with their identity. */
  list(): Promise<ContainerIdentity[]>;
  close(): void;
}

/** Pod labels as the user wrote them: the sandbox labels minus kubelet's io.kubernetes.* keys. */
export function podLabelsFromSandbox(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!k.startsWith("io.kubernetes.")) out[k] = v;
  return out;
}

export function identityFromCri(c: CriContainer, sandbox: CriPodSandbox | undefined): ContainerIdentity {
  const podName = c.labels[LABEL_POD_NAME] ?? sandbox?.metadata?.name;
  const podNamespace = c.labels[LABEL_POD_NAMESPACE] ?? sandbox?.metadata?.namespace;
  const id: ContainerIdentity = {
    containerId: c.id,
    name: c.labels[LABEL_CONTAINER_NAME] ?? c.metadata?.name ?? c.id.slice(0, 12),
    image: c.image?.image || c.image_ref || undefined,
    sandboxId: c.pod_sandbox_id || undefined,
    labels: sandbox ? podLabelsFromSandbox(sandbox.labels) : {},
  };
  if (podName) id.podName = podName;
  if (podNamespace) id.podNamespace = podNamespace;
  const uid = c.labels[LABEL_POD_UID] ?? sandbox?.metadata?.uid;
  if (uid) id.podUid = uid;
  return id;
}

export class CriRuntime implements ContainerRuntime {
  /** Init pids never change for a container id: ask the runtime once. */
  private readonly pids = new Map<string, number>();

  constructor(readonly client: CriClient) {}

  async list(): Promise<ContainerIdentity[]> {
    const [sandboxes, containers] = await Promise.all([
      this.client.listPodSandboxes(),
      this.client.listContainers(),
    ]);
    const byId = new Map(sandboxes.map(s => [s.id, s]));
    const out: ContainerIdentity[] = [];
    const live = new Set<string>();
    for (const c of containers) {
      if (c.state !== "CONTAINER_RUNNING") continue;
      live.add(c.id);
      const ident = identityFromCri(c, byId.get(c.pod_sandbox_id));
      let pid = this.pids.get(c.id);
      if (pid === undefined) {
        try {
          pid = pidFromStatus(await this.client.containerStatus(c.id, true));
          if (pid) this.pids.set(c.id, pid);
        } catch {
          continue; // gone between list and status
        }
      }
      if (pid) {
        ident.pid = pid;
        const p = procIdentity(pid);
        if (p) {
          ident.cgroupId = p.cgroupId;
          ident.cgroupPath = p.cgroups.v2;
          ident.pidNs = p.pidNs;
          ident.mntNs = p.mntNs;
        }
      }
      out.push(ident);
    }
    for (const id of this.pids.keys()) if (!live.has(id)) this.pids.delete(id);
    return out;
  }

  close(): void {
    this.client.close();
  }
}

/** Lookup tables over the last container listing. */
export class IdentityIndex {
  private byCgroup = new Map<bigint, ContainerIdentity>();
  private byContainer = new Map<string, ContainerIdentity>();

  update(containers: ContainerIdentity[]): void {
    this.byCgroup = new Map();
    this.byContainer = new Map();
    for (const c of containers) {
      this.byContainer.set(c.containerId, c);
      if (c.cgroupId !== undefined) this.byCgroup.set(c.cgroupId, c);
    }
  }

  all(): ContainerIdentity[] {
    return [...this.byContainer.values()];
  }

  /**
   * The container an event came from: by cgroup id first (what the kernel reports), then by the
   * process's cgroup path (a child cgroup inside the container, or a stale cgroup id). undefined =
   * the host (or a container the runtime does not know).
   */
  resolve(cgroupId: bigint | undefined, pid: number | undefined): ContainerIdentity | undefined {
    if (cgroupId !== undefined) {
      const c = this.byCgroup.get(cgroupId);
      if (c) return c;
    }
    if (pid) {
      const p = procIdentity(pid);
      if (p?.containerId) return this.byContainer.get(p.containerId);
    }
    return undefined;
  }
}
