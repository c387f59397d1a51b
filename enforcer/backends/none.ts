// SPDX-License-Identifier: Apache-2.0
//
// `--enforcer none`: monitor and audit only. Nothing is loaded into the kernel; the daemon keeps
// the effective policies and the event path matches monitor events against them with the oracle,
// so Audit rules (and, as "would block", Block rules) still produce alerts. The "applied" set is
// kept in memory so the reconcile plan is stable and logs show when a workload's policy changed.

import type { EffectivePolicy } from "../model/types.js";
import { contentHash } from "../reconcile/hash.js";
import type { Applied, ApplyOutcome, Artifact, WorkloadInput } from "../reconcile/types.js";
import type { Backend } from "./types.js";

export class NoneBackend implements Backend {
  readonly name = "none" as const;
  private readonly applied = new Map<string, string>();

  compile(effective: EffectivePolicy, workload: WorkloadInput): Artifact | null {
    if (effective.policies.length === 0) return null;
    return {
      key: workload.id,
      hash: contentHash({ rules: effective.rules, postures: effective.postures, state: effective.state }),
      content: null,
      description: workload.id,
    };
  }

  async list(): Promise<Applied[]> {
    return [...this.applied].map(([key, hash]) => ({ key, hash }));
  }

  async apply(artifact: Artifact): Promise<ApplyOutcome> {
    this.applied.set(artifact.key, artifact.hash);
    return {
      ok: true,
      reason: "monitor only (--enforcer none): matched in user space, reported as alerts, not enforced",
    };
  }

  async remove(applied: Applied): Promise<void> {
    this.applied.delete(applied.key);
  }
}
