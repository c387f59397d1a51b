// SPDX-License-Identifier: Apache-2.0
//
// Test doubles for the reconcile loop's two edges (the source and the backend). They record
// every call. The real sources and backends have their own tests against real files,
// apparmor_parser, containerd and the kernel.

import type { EffectivePolicy } from "../model/types.js";
import type { Backend } from "../backends/types.js";
import { CompileError } from "../backends/types.js";
import { contentHash } from "./hash.js";
import type { Source } from "./loop.js";
import type { Applied, ApplyOutcome, Artifact, World, WorkloadInput } from "./types.js";

export class RecordingBackend implements Backend {
  readonly name = "none" as const;
  readonly state = new Map<string, string>();
  readonly calls: string[] = [];
  failKeys = new Set<string>();
  uncompilable = new Set<string>();
  listFails = false;

  compile(effective: EffectivePolicy, workload: WorkloadInput): Artifact | null {
    if (this.uncompilable.has(workload.id))
      throw new CompileError(`cannot express policy for ${workload.id}`);
    if (effective.policies.length === 0) return null;
    const key =
      workload.kind === "host"
        ? "host"
        : `${workload.pod.namespace}-${workload.pod.owner?.name ?? workload.pod.name}-${workload.container}`;
    const content = effective.rules.map(
      r =>
        r.origin.path +
        ":" +
        ("action" in r ? r.action : "") +
        ":" +
        JSON.stringify("match" in r ? r.match : ""),
    );
    return { key, hash: contentHash(content), content, description: workload.id };
  }
  async list(): Promise<Applied[]> {
    this.calls.push("list");
    if (this.listFails) throw new Error("list failed");
    return [...this.state].map(([key, hash]) => ({ key, hash }));
  }
  async apply(a: Artifact): Promise<ApplyOutcome> {
    this.calls.push(`apply ${a.key}`);
    if (this.failKeys.has(a.key)) return { ok: false, reason: `kernel said no to ${a.key}` };
    this.state.set(a.key, a.hash);
    return { ok: true };
  }
  async remove(a: Applied): Promise<void> {
    this.calls.push(`remove ${a.key}`);
    this.state.delete(a.key);
  }
  mutations(): string[] {
    return this.calls.filter(c => c !== "list");
  }
}

export class ScriptedSource implements Source {
  world: World | null;
  snapshots = 0;
  private listeners: Array<(reason: string) => void> = [];
  constructor(world: World) {
    this.world = world;
  }
  async snapshot(): Promise<World> {
    this.snapshots++;
    if (!this.world) throw new Error("API server unreachable");
    return structuredClone(this.world);
  }
  onChange(l: (reason: string) => void): void {
    this.listeners.push(l);
  }
  emit(reason = "change"): void {
    for (const l of this.listeners) l(reason);
  }
}
