// SPDX-License-Identifier: Apache-2.0
//
// Data that flows through the reconcile loop. The loop is level-triggered: every pass starts
// from a full snapshot of the desired world (policies + workloads) and a full listing of what the
// backend has applied, and converges the second onto the first. Nothing here does I/O.

import type {
  EffectivePolicy,
  NamespaceInfo,
  NodeInfo,
  NormalizedPolicy,
  PodInfo,
  PolicyKind,
} from "../model/types.js";

/** What the node knows about one running container (from containerd and /proc). */
export interface ContainerIdentity {
  containerId: string;
  /** Container name (CRI metadata name, or the containerd id for non-CRI containers). */
  name: string;
  image?: string;
  /** Pod sandbox id (CRI) when the container belongs to a pod. */
  sandboxId?: string;
  podName?: string;
  podNamespace?: string;
  podUid?: string;
  /** Pod labels (from the sandbox) — the selector input in standalone mode. */
  labels: Record<string, string>;
  /** Init pid of the container (host pid namespace). */
  pid?: number;
  /** Inode of the container's cgroup v2 directory: what bpf_get_current_cgroup_id() returns. */
  cgroupId?: bigint;
  /** cgroup v2 path relative to the cgroup2 mount, e.g. /kubepods/besteffort/pod…/<id>. */
  cgroupPath?: string;
  pidNs?: number;
  mntNs?: number;
}

/** One thing policies are enforced on: the host, or one container of a pod. */
export type WorkloadInput =
  | { kind: "host"; id: string; node: NodeInfo }
  | {
      kind: "container";
      /** Stable id: `container:<namespace>/<pod>/<container>`. */
      id: string;
      pod: PodInfo;
      container: string;
      namespace: NamespaceInfo;
      /** Unknown until the container runs (a pod seen in the API before containerd started it). */
      identity?: ContainerIdentity;
    };

/** A full snapshot of desired state from a source. */
export interface World {
  policies: NormalizedPolicy[];
  workloads: WorkloadInput[];
  /** The node this daemon runs on. */
  node: NodeInfo;
}

/** Pure policy resolution (the model): effective policy for one workload. */
export interface PolicyModel {
  forContainer(
    policies: NormalizedPolicy[],
    pod: PodInfo,
    container: string,
    ns: NamespaceInfo,
  ): EffectivePolicy;
  forHost(policies: NormalizedPolicy[], node: NodeInfo): EffectivePolicy;
}

/** What a backend loads for one key (AppArmor profile, BPF rule set for one cgroup, …). */
export interface Artifact {
  /** Backend key: AppArmor profile name, BPF workload key (cgroup id as decimal), … */
  key: string;
  /** Content hash (hex sha256) — the diff is done on this, never on content. */
  hash: string;
  /** Backend-specific payload (profile text, map entries, …). */
  content: unknown;
  /** Human description for logs: which workload(s) this artifact is for. */
  description: string;
}

/** One artifact as the backend reports it applied (re-adopted after a restart). */
export interface Applied {
  key: string;
  hash: string;
}

export interface ApplyOutcome {
  ok: boolean;
  /** Why it failed (one line), or a note on success. */
  reason?: string;
}

export type ResultStatus = "Applied" | "Failed";

/** Outcome per (policy, workload): the admission side turns these into policy status. */
export interface PolicyResult {
  policy: { kind: PolicyKind; name: string; namespace?: string };
  workload: string;
  node: string;
  backend: string;
  status: ResultStatus;
  reason: string;
}
