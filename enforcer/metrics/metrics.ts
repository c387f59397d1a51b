// SPDX-License-Identifier: Apache-2.0
//
// Prometheus metrics of the node daemon (prom-client) and the `--metrics ADDR` HTTP endpoint.
// KubeArmor has none (#1902, compat §21.19). Counters owned by other components (feeder,
// throttle) are read from their stats() at scrape time, so those components stay free of
// metrics code and the numbers can never disagree.

import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { FeederStats } from "../feeder/feeder.js";
import type { ThrottleStats } from "../events/throttle.js";

/** Why an event or alert did not reach its consumers. */
export type DropCause =
  | "throttle" // alert throttling (mirrored from AlertThrottle)
  | "feeder_queue" // a slow gRPC client's queue was full (mirrored from Feeder)
  | "ringbuf" // kernel ring buffer full (reported by the BPF side)
  | "decode" // undecodable kernel record
  | "enrich" // identity could not be resolved
  | "encode"; // wire encoding failed (mirrored from Feeder)

export interface MetricsOptions {
  /** Also export Node process metrics (CPU, RSS, event-loop lag). Default true. */
  processMetrics?: boolean;
  prefix?: string;
}

export class RampartMetrics {
  readonly registry = new Registry();
  /** Decoded kernel events, by operation (Process, File ...) and observer (BPFLSM, eBPF Monitor ...). */
  readonly events: Counter<"operation" | "enforcer">;
  /** Alerts handed to the feeder, by Type and Action. */
  readonly alerts: Counter<"type" | "action">;
  /** Reconcile passes: duration by outcome (ok | error). */
  readonly reconcileDuration: Histogram<"result">;
  /** Reconcile failures by stage (compile | apply | identity | ...). */
  readonly reconcileErrors: Counter<"stage">;
  /** Entries and capacity of each BPF map (set by the daemon after each apply). */
  readonly mapEntries: Gauge<"map">;
  readonly mapCapacity: Gauge<"map">;
  /** Errors returned by an enforcer backend (bpf | apparmor | selinux). */
  readonly enforcerErrors: Counter<"enforcer">;
  /** Effective policies applied per target kind (container | host). */
  readonly policiesApplied: Gauge<"target">;

  private readonly drops = new Map<DropCause, number>();
  private feeder?: () => FeederStats;
  private throttle?: () => ThrottleStats;

  constructor(options: MetricsOptions = {}) {
    const p = options.prefix ?? "rampart_";
    const registers = [this.registry];
    this.events = new Counter({
      name: `${p}events_total`,
      help: "Kernel events decoded",
      labelNames: ["operation", "enforcer"],
      registers,
    });
    this.alerts = new Counter({
      name: `${p}alerts_total`,
      help: "Alerts published to the feeder",
      labelNames: ["type", "action"],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: `${p}reconcile_duration_seconds`,
      help: "Duration of reconcile passes",
      labelNames: ["result"],
      registers,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.reconcileErrors = new Counter({
      name: `${p}reconcile_errors_total`,
      help: "Reconcile failures by stage",
      labelNames: ["stage"],
      registers,
    });
    this.mapEntries = new Gauge({
      name: `${p}bpf_map_entries`,
      help: "Entries in each BPF map",
      labelNames: ["map"],
      registers,
    });
    this.mapCapacity = new Gauge({
      name: `${p}bpf_map_capacity`,
      help: "max_entries of each BPF map",
      labelNames: ["map"],
      registers,
    });
    this.enforcerErrors = new Counter({
      name: `${p}enforcer_errors_total`,
      help: "Errors returned by an enforcer backend",
      labelNames: ["enforcer"],
      registers,
    });
    this.policiesApplied = new Gauge({
      name: `${p}policies_applied`,
      help: "Effective policies applied",
      labelNames: ["target"],
      registers,
    });

    // collect() runs with `this` bound to the metric, so the sources are reached through closures.
    const readFeeder = (): FeederStats | undefined => this.feeder?.();
    const readThrottle = (): ThrottleStats | undefined => this.throttle?.();
    const ownDrops = (): Map<DropCause, number> => new Map(this.drops);
    new Counter({
      name: `${p}drops_total`,
      help: "Events or alerts that did not reach consumers, by cause",
      labelNames: ["cause"],
      registers,
      collect() {
        this.reset();
        const totals = ownDrops();
        const f = readFeeder();
        if (f) {
          totals.set("feeder_queue", f.queueDrops.alerts + f.queueDrops.logs + f.queueDrops.messages);
          totals.set("encode", f.encodeErrors);
        }
        const t = readThrottle();
        if (t) totals.set("throttle", t.dropped);
        for (const [cause, n] of totals) this.inc({ cause }, n);
      },
    });
    new Gauge({
      name: `${p}feeder_clients`,
      help: "Connected alert-stream clients per RPC",
      labelNames: ["stream"],
      registers,
      collect() {
        this.reset();
        const f = readFeeder();
        if (f) for (const [stream, n] of Object.entries(f.clients)) this.set({ stream }, n);
      },
    });
    new Counter({
      name: `${p}feeder_published_total`,
      help: "Events handed to the feeder per stream",
      labelNames: ["stream"],
      registers,
      collect() {
        this.reset();
        const f = readFeeder();
        if (f) for (const [stream, n] of Object.entries(f.published)) this.inc({ stream }, n);
      },
    });
    new Counter({
      name: `${p}feeder_queue_drops_total`,
      help: "Events dropped from full client queues per stream (each reported to the client)",
      labelNames: ["stream"],
      registers,
      collect() {
        this.reset();
        const f = readFeeder();
        if (f) for (const [stream, n] of Object.entries(f.queueDrops)) this.inc({ stream }, n);
      },
    });
    new Gauge({
      name: `${p}alert_throttling`,
      help: "Alert buckets throttled right now",
      registers,
      collect() {
        const t = readThrottle();
        this.set(t ? t.throttling : 0);
      },
    });
    new Counter({
      name: `${p}alert_thresholds_total`,
      help: "AlertThreshold events emitted",
      registers,
      collect() {
        this.reset();
        const t = readThrottle();
        if (t) this.inc(t.thresholds);
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  /** Count drops whose cause is not mirrored from a component (ringbuf, decode, enrich). */
  countDrop(cause: DropCause, n = 1): void {
    this.drops.set(cause, (this.drops.get(cause) ?? 0) + n);
  }

  /** Read feeder counters at scrape time. */
  attachFeeder(stats: () => FeederStats): void {
    this.feeder = stats;
  }

  /** Read throttle counters at scrape time. */
  attachThrottle(stats: () => ThrottleStats): void {
    this.throttle = stats;
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}

let shared: RampartMetrics | undefined;

/** The daemon's process-wide metrics. */
export function getMetrics(): RampartMetrics {
  shared ??= new RampartMetrics();
  return shared;
}

export interface MetricsServer {
  /** host:port actually bound. */
  address: string;
  close(): Promise<void>;
}

/** Parse `host:port`, `:port` (all interfaces) or `[v6]:port`. */
export function parseListenAddress(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`--metrics: expected HOST:PORT or :PORT, got "${addr}"`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/** Serve GET /metrics (Prometheus text format) and GET /healthz on `addr`. */
export async function startMetricsServer(
  addr: string,
  metrics: RampartMetrics = getMetrics(),
): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(addr);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
    } else if (path === "/metrics") {
      metrics.text().then(
        body => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body),
        (err: Error) =>
          res
            .writeHead(500, { "content-type": "text/plain" })
            .end(`metrics collection failed: ${err.message}\n`),
      );
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", err => reject(new Error(`--metrics: cannot listen on ${addr}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  const actual =
    typeof bound === "object" && bound
      ? `${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`
      : addr;
  return {
    address: actual,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
