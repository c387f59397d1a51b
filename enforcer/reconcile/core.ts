// SPDX-License-Identifier: Apache-2.0
//
// The pure core of the reconcile loop: world → effective policy per workload → artifact per
// backend key → plan (diff by content hash against what is applied) → per-(policy, workload)
// results. No I/O of its own, no clocks: the shell (loop.ts) feeds it snapshots and executes the
// plan. The one question it asks the node, how a rule path resolves inside a workload
// (symlinks), goes through the injected path resolvers; without them rules are used as written.

import type { EffectivePolicy } from "../model/types.js";
import { expandAliases, type ResolvePath } from "../model/aliases.js";
import type { Backend } from "../backends/types.js";
import { CompileError } from "../backends/types.js";
import type {
  Applied,
  ApplyOutcome,
  Artifact,
  PolicyModel,
  PolicyResult,
  World,
  WorkloadInput,
} from "./types.js";

export interface WorkloadState {
  workload: WorkloadInput;
  effective?: EffectivePolicy;
  /** Backend key of its artifact (several workloads may share one, e.g. one AppArmor profile per owner). */
  key?: string;
  /** Set when resolution or compilation failed; the workload then keeps what is applied. */
  error?: string;
  /** Symlinked rule paths and what they resolved to on this node (`/bin/x → /usr/bin/x`). */
  aliases?: string[];
}

export interface Desired {
  workloads: Map<string, WorkloadState>;
  artifacts: Map<string, Artifact>;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * How this node resolves paths inside a workload (symlinks followed within its root), or
 * undefined when it cannot look (a container not running yet). Called once per pass.
 */
export type PathResolvers = () => (w: WorkloadInput) => ResolvePath | undefined;

/** Resolve and compile every workload. Never throws: failures are recorded per workload. */
export function computeDesired(
  world: World,
  model: PolicyModel,
  backend: Backend,
  paths?: (w: WorkloadInput) => ResolvePath | undefined,
): Desired {
  const workloads = new Map<string, WorkloadState>();
  const artifacts = new Map<string, Artifact>();
  const sorted = [...world.workloads].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const w of sorted) {
    const state: WorkloadState = { workload: w };
    workloads.set(w.id, state);
    try {
      state.effective =
        w.kind === "host"
          ? model.forHost(world.policies, w.node)
          : model.forContainer(world.policies, w.pod, w.container, w.namespace);
      // Rules on symlinked paths also cover what the kernel will report (the resolved path).
      const resolve = paths?.(w);
      if (resolve) {
        const x = expandAliases(state.effective, resolve);
        state.effective = x.effective;
        if (x.aliases.length) state.aliases = x.aliases;
      }
    } catch (err) {
      state.error = `policy resolution failed: ${errorText(err)}`;
      continue;
    }
    let artifact: Artifact | null;
    try {
      artifact = backend.compile(state.effective, w);
    } catch (err) {
      state.error = err instanceof CompileError ? err.message : `compile failed: ${errorText(err)}`;
      continue;
    }
    if (!artifact) continue;
    state.key = artifact.key;
    const existing = artifacts.get(artifact.key);
    if (existing && existing.hash !== artifact.hash) {
      // Two workloads share a key (same AppArmor profile name) but need different content:
      // the first (by id) wins deterministically; the other is reported, not silently merged.
      state.error = `${backend.name} artifact ${artifact.key} is shared with ${existing.description} but their effective policies differ; kept the first`;
      continue;
    }
    if (!existing) artifacts.set(artifact.key, artifact);
  }
  return { workloads, artifacts };
}

export interface Plan {
  apply: Artifact[];
  remove: Applied[];
  unchanged: string[];
}

/** Diff desired artifacts against applied ones by content hash. Deterministic order. */
export function plan(desired: Map<string, Artifact>, applied: Applied[]): Plan {
  const have = new Map(applied.map(a => [a.key, a]));
  const out: Plan = { apply: [], remove: [], unchanged: [] };
  for (const key of [...desired.keys()].sort()) {
    const want = desired.get(key)!;
    if (have.get(key)?.hash === want.hash) out.unchanged.push(key);
    else out.apply.push(want);
  }
  for (const a of [...have.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))) {
    if (!desired.has(a.key)) out.remove.push(a);
  }
  return out;
}

/**
 * One result per (policy, workload) for every workload some policy selects. `outcomes` holds the
 * apply outcome of each key touched in this pass; keys not touched were already applied.
 */
export function collectResults(
  desired: Desired,
  outcomes: Map<string, ApplyOutcome>,
  backend: string,
  node: string,
): PolicyResult[] {
  const results: PolicyResult[] = [];
  for (const [id, st] of desired.workloads) {
    const policies = st.effective?.policies ?? [];
    for (const p of policies) {
      let status: PolicyResult["status"] = "Applied";
      let reason = "";
      if (st.error) {
        status = "Failed";
        reason = st.error;
      } else if (st.key) {
        const o = outcomes.get(st.key);
        if (o && !o.ok) {
          status = "Failed";
          reason = o.reason ?? "apply failed";
        } else reason = o?.reason ?? `applied by ${backend} as ${st.key}`;
      } else {
        reason = `nothing to load on ${backend} for this workload yet`;
      }
      if (status === "Applied" && st.effective && st.effective.state !== "enabled") {
        reason = `${reason}; workload is ${st.effective.state}: rules are audited, not enforced`;
      }
      results.push({
        policy: p.namespace
          ? { kind: p.kind, name: p.name, namespace: p.namespace }
          : { kind: p.kind, name: p.name },
        workload: id,
        node,
        backend,
        status,
        reason,
      });
    }
  }
  return results;
}
