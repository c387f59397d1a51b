// SPDX-License-Identifier: Apache-2.0
//
// The one narrow interface between the reconcile loop and the kernel. A backend turns an
// effective policy into an artifact (pure), and lists / applies / removes artifacts (I/O).
// Backends only ever touch artifacts they own (their own directory, their own pinned maps).

import type { EffectivePolicy } from "../model/types.js";
import type { Applied, ApplyOutcome, Artifact, WorkloadInput } from "../reconcile/types.js";

export type BackendName = "none" | "bpf" | "apparmor" | "selinux";

/** Thrown by `compile` when a policy cannot be expressed by this backend (becomes a Failed result). */
export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompileError";
  }
}

export interface Backend {
  readonly name: BackendName;
  /**
   * Pure: what this backend would load for `workload`. `null` = nothing to load for it (yet),
   * e.g. a BPF workload whose container has not started, so it has no cgroup id.
   */
  compile(effective: EffectivePolicy, workload: WorkloadInput): Artifact | null;
  /** What is applied now (after a restart: what a previous daemon left behind). */
  list(): Promise<Applied[]>;
  apply(artifact: Artifact): Promise<ApplyOutcome>;
  remove(applied: Applied): Promise<void>;
  /** Optional clean shutdown. Kernel state stays enforced. */
  close?(): Promise<void>;
}
