// SPDX-License-Identifier: Apache-2.0
//
// The shell around core.ts: when to reconcile and how to execute a plan.
// - Level-triggered: every pass takes a full snapshot of the source and a full `list()` of the
//   backend, so a missed event or an out-of-band change is repaired on the next pass.
// - Triggers (source change events, the periodic resync) are coalesced: a burst runs one pass,
//   and a trigger arriving during a pass schedules exactly one more.
// - Source unavailable (API server down, directory gone): the pass is skipped, nothing is
//   removed, the kernel keeps the last applied state.
// - Start-up re-adopts what a previous daemon applied (list()) and removes only what is stale.

import type { Backend } from "../backends/types.js";
import type { EffectivePolicy } from "../model/types.js";
import type { Logger } from "../daemon/log.js";
import { collectResults, computeDesired, plan, type Desired, type PathResolvers } from "./core.js";
import type { ApplyOutcome, PolicyModel, PolicyResult, World, WorkloadInput } from "./types.js";

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === "object" && "status" in err)
    return `HTTP ${String((err as { status: unknown }).status)}`;
  return String(err);
}

export interface Source {
  /** Full desired state now. Throws when the source is unavailable. */
  snapshot(): Promise<World>;
  /** Register a change listener (called on every observed change; may be bursty). */
  onChange(listener: (reason: string) => void): void;
}

export interface PassStats {
  pass: number;
  applied: number;
  removed: number;
  unchanged: number;
  failed: number;
  skipped?: string;
  durationMs: number;
}

export interface ReconcilerOptions {
  source: Source;
  backend: Backend;
  model: PolicyModel;
  /** Path resolution per workload (rule aliases for symlinks); none = rules used as written. */
  paths?: PathResolvers;
  log: Logger;
  /** Periodic resync interval; 0 disables it. */
  resyncMs?: number;
  /** Quiet period that coalesces a burst of triggers into one pass. */
  debounceMs?: number;
  /** Called after each pass whose results differ from the previous pass (Kubernetes: policy status). */
  reportStatus?: (results: PolicyResult[]) => void | Promise<void>;
  /** Called after every pass (metrics). */
  onPass?: (stats: PassStats) => void;
}

export class Reconciler {
  private readonly o: Required<Omit<ReconcilerOptions, "reportStatus" | "onPass" | "paths">> &
    ReconcilerOptions;
  private running: Promise<void> | null = null;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private passes = 0;
  private lastResultsKey = "";
  private current: Desired | null = null;
  private lastResults: PolicyResult[] = [];
  private readonly lastAliases = new Map<string, string>();
  private idleWaiters: Array<() => void> = [];

  constructor(options: ReconcilerOptions) {
    this.o = { resyncMs: 30_000, debounceMs: 50, ...options };
    options.source.onChange(reason => this.trigger(reason));
  }

  /** First pass (re-adopts and cleans up), then periodic resync. Resolves after the first pass. */
  async start(): Promise<void> {
    const adopted = await this.o.backend.list().catch(() => []);
    this.o.log.info("reconcile: starting", { backend: this.o.backend.name, adopted: adopted.length });
    await this.runNow("start");
    if (this.o.resyncMs > 0) {
      this.resyncTimer = setInterval(() => this.trigger("resync"), this.o.resyncMs);
      this.resyncTimer.unref();
    }
  }

  /** Ask for a pass soon. Cheap; coalesces. */
  trigger(reason: string): void {
    if (this.stopped) return;
    this.o.log.debug("reconcile: triggered", { reason });
    if (this.running) {
      this.dirty = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runNow(reason);
    }, this.o.debounceMs);
  }

  /** Run a pass now (or join the one running) and wait for the loop to be idle. */
  async runNow(reason: string): Promise<void> {
    if (this.running) {
      this.dirty = true;
      return this.idle();
    }
    this.running = this.loop(reason);
    await this.running;
  }

  /** Resolves when no pass is running or pending. */
  idle(): Promise<void> {
    if (!this.running && !this.timer) return Promise.resolve();
    return new Promise(resolve => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.timer = this.resyncTimer = null;
    if (this.running) await this.running;
  }

  /** Effective policy per workload id from the last successful pass. */
  effective(): Map<string, { workload: WorkloadInput; effective: EffectivePolicy }> {
    const out = new Map<string, { workload: WorkloadInput; effective: EffectivePolicy }>();
    for (const [id, st] of this.current?.workloads ?? []) {
      if (st.effective) out.set(id, { workload: st.workload, effective: st.effective });
    }
    return out;
  }

  results(): PolicyResult[] {
    return this.lastResults;
  }

  private async loop(reason: string): Promise<void> {
    try {
      do {
        this.dirty = false;
        await this.pass(reason);
        reason = "coalesced";
      } while (this.dirty && !this.stopped);
    } finally {
      this.running = null;
      if (!this.timer) {
        const w = this.idleWaiters;
        this.idleWaiters = [];
        for (const f of w) f();
      }
    }
  }

  private async pass(reason: string): Promise<void> {
    const n = ++this.passes;
    const t0 = performance.now();
    const { backend, log } = this.o;
    const done = (s: Omit<PassStats, "pass" | "durationMs">): void => {
      const stats = { pass: n, durationMs: performance.now() - t0, ...s };
      this.o.onPass?.(stats);
    };
    let world: World;
    try {
      world = await this.o.source.snapshot();
    } catch (err) {
      log.warn("reconcile: source unavailable; keeping the last applied state", {
        reason,
        error: err instanceof Error ? err.message : String(err),
      });
      return done({ applied: 0, removed: 0, unchanged: 0, failed: 0, skipped: "source unavailable" });
    }
    let applied;
    try {
      applied = await backend.list();
    } catch (err) {
      log.error("reconcile: cannot list applied state; skipping this pass", {
        backend: backend.name,
        error: err instanceof Error ? err.message : String(err),
      });
      return done({ applied: 0, removed: 0, unchanged: 0, failed: 0, skipped: "backend list failed" });
    }
    const desired = computeDesired(world, this.o.model, backend, this.o.paths?.());
    const p = plan(desired.artifacts, applied);
    const outcomes = new Map<string, ApplyOutcome>();
    let failed = 0;
    let removeFailed = 0;
    for (const artifact of p.apply) {
      let outcome: ApplyOutcome;
      try {
        outcome = await backend.apply(artifact);
      } catch (err) {
        outcome = { ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
      outcomes.set(artifact.key, outcome);
      if (outcome.ok)
        log.info("reconcile: applied", {
          backend: backend.name,
          key: artifact.key,
          for: artifact.description,
        });
      else {
        failed++;
        log.error("reconcile: apply failed", {
          backend: backend.name,
          key: artifact.key,
          for: artifact.description,
          reason: outcome.reason,
        });
      }
    }
    for (const stale of p.remove) {
      try {
        await backend.remove(stale);
        log.info("reconcile: removed stale artifact", { backend: backend.name, key: stale.key });
      } catch (err) {
        removeFailed++;
        log.error("reconcile: remove failed", {
          backend: backend.name,
          key: stale.key,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    for (const st of desired.workloads.values()) {
      if (st.error)
        log.warn("reconcile: workload not applied", { workload: st.workload.id, reason: st.error });
      // Symlinked rule paths, logged when they change (not on every resync).
      const aliasKey = (st.aliases ?? []).join("\n");
      if (aliasKey !== (this.lastAliases.get(st.workload.id) ?? "")) {
        if (aliasKey)
          log.info("reconcile: rule paths are symlinks; the rules also cover their targets", {
            workload: st.workload.id,
            aliases: st.aliases,
          });
        this.lastAliases.set(st.workload.id, aliasKey);
      }
    }
    for (const id of this.lastAliases.keys()) if (!desired.workloads.has(id)) this.lastAliases.delete(id);
    // A key whose apply failed still differs from what is applied, so the next pass retries it.
    this.current = desired;
    const results = collectResults(desired, outcomes, backend.name, world.node.name);
    this.lastResults = results;
    const key = JSON.stringify(results);
    if (key !== this.lastResultsKey) {
      try {
        await this.o.reportStatus?.(results);
        this.lastResultsKey = key; // a failed report is retried on the next pass
      } catch (err) {
        log.warn("reconcile: status report failed; retrying on the next pass", { error: errorText(err) });
      }
    }
    log.debug("reconcile: pass done", {
      pass: n,
      reason,
      apply: p.apply.length,
      remove: p.remove.length,
      unchanged: p.unchanged.length,
    });
    done({
      applied: p.apply.length - failed,
      removed: p.remove.length - removeFailed,
      unchanged: p.unchanged.length,
      failed: failed + removeFailed,
    });
  }
}
