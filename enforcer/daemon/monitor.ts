// SPDX-License-Identifier: Apache-2.0
//
// The monitor: kernel telemetry (tracepoints → ring buffer, via the native addon) as
// MonitorEvents. One narrow interface so the daemon runs (and says why) without it.
import type { MonitorEvent } from "./pipeline.js";

export interface Monitor {
  readonly name: string;
  start(onEvents: (events: MonitorEvent[]) => void): Promise<void>;
  stop(): Promise<void>;
  stats(): Record<string, unknown>;
}

export interface MonitorOptions {
  /** Only observe tasks in this cgroup v2 directory (tests; absolute path or relative to the cgroup2 mount). */
  scopeCgroup?: string;
  pinDir?: string;
}

export type MonitorFactory = (opts: MonitorOptions) => Monitor | { unavailable: string };
