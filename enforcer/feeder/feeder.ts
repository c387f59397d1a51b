// SPDX-License-Identifier: Apache-2.0
//
// The alert stream server: KubeArmor's feeder.LogService (kubearmor-compat §12) plus the
// standard grpc.health.v1.Health, on one gRPC server.
//
// Fan-out: every event is encoded once and the same bytes are queued to every client of the
// matching RPC. Each client has its own bounded queue; when it is full the event is dropped for
// that client only, counted, and the client later receives an explicit SystemEvent
// `QueueOverflow` record saying how many it missed (KubeArmor drops silently: §21.16).
// Publishing never blocks and never waits for a client, so enforcement is never slowed.

import * as grpc from "@grpc/grpc-js";
import { hostname } from "node:os";
import { formatUpdatedTime, epochSeconds } from "../events/labeller.js";
import {
  ALERT_FILTERS,
  HEALTH_SERVICE,
  LOG_FILTERS,
  LOG_SERVICE,
  encodeAlert,
  encodeLog,
  encodeMessage,
  serverDefinition,
  type Alert,
  type DaemonMessage,
  type Log,
} from "./wire.js";

export const DEFAULT_FEEDER_ADDRESS = "127.0.0.1:32767";
export const DEFAULT_QUEUE_SIZE = 4096;

export interface FeederTls {
  /** PEM server certificate chain and private key. */
  cert: Buffer | string;
  key: Buffer | string;
  /** PEM CA bundle used to verify client certificates (mTLS). Required when requireClientCert. */
  ca?: Buffer | string;
  /** mTLS: reject clients without a certificate signed by `ca`. */
  requireClientCert?: boolean;
}

export interface FeederOptions {
  /** host:port to listen on; port 0 picks a free port. Default 127.0.0.1:32767. */
  address?: string;
  /** Per-client queue bound (events). Default 4096. */
  queueSize?: number;
  tls?: FeederTls;
  /** Identity filled into drop markers. */
  clusterName?: string;
  hostName?: string;
  /** Called on notable conditions (client overflow starts, server errors). */
  onWarning?: (message: string) => void;
  /** Injectable clock for marker timestamps (ms). */
  now?: () => number;
  /**
   * Coalesce queued messages into one HTTP/2 write per client (default true). Needs the
   * pinned grpc-js internals (see attach()); without them, or when false, each message is one write.
   */
  coalesce?: boolean;
}

export type StreamKind = "alerts" | "logs" | "messages";

export interface FeederStats {
  address: string;
  /** Connected streaming clients per RPC. */
  clients: Record<StreamKind, number>;
  /** Events handed to publish*(). */
  published: Record<StreamKind, number>;
  /** Events dropped from full client queues (summed over clients). */
  queueDrops: Record<StreamKind, number>;
  /** Drop markers delivered. */
  markers: number;
  /** Events that failed to encode (a bug upstream; they are counted, never sent). */
  encodeErrors: number;
  /** Streaming clients served with coalesced writes (the rest get one write per message). */
  coalescedClients: number;
}

interface Client {
  kind: StreamKind;
  call: grpc.ServerWritableStream<unknown, unknown>;
  /** True when writes may carry several pre-framed gRPC messages (see attach()). */
  coalesce: boolean;
  /** gRPC-framed messages (5-byte prefix + protobuf), shared between clients. */
  queue: Buffer[];
  head: number;
  blocked: boolean;
  closed: boolean;
  /** Drops not yet reported to this client, and since when. */
  pendingDrops: number;
  pendingSince: number;
  done: () => void;
}

type HealthStatus = "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";

export class Feeder {
  private readonly opts: Required<Pick<FeederOptions, "address" | "queueSize" | "clusterName" | "hostName">> &
    FeederOptions;
  private server: grpc.Server | undefined;
  private boundAddress = "";
  private readonly clients = new Set<Client>();
  private readonly counters = {
    published: { alerts: 0, logs: 0, messages: 0 },
    queueDrops: { alerts: 0, logs: 0, messages: 0 },
    markers: 0,
    encodeErrors: 0,
  };
  private serving = false;
  private readonly healthWatchers = new Set<{
    service: string;
    call: grpc.ServerWritableStream<unknown, unknown>;
  }>();
  private readonly now: () => number;
  private flushScheduled = false;

  constructor(options: FeederOptions = {}) {
    this.opts = {
      ...options,
      address: options.address ?? DEFAULT_FEEDER_ADDRESS,
      queueSize: options.queueSize ?? DEFAULT_QUEUE_SIZE,
      clusterName: options.clusterName ?? "default",
      hostName: options.hostName ?? hostname(),
    };
    if (!Number.isInteger(this.opts.queueSize) || this.opts.queueSize < 1) {
      throw new Error(`feeder: queueSize must be a positive integer, got ${String(options.queueSize)}`);
    }
    if (options.tls?.requireClientCert && !options.tls.ca)
      throw new Error("feeder: mTLS (requireClientCert) needs a CA bundle (tls.ca)");
    this.now = options.now ?? Date.now;
  }

  /** Bind and serve. Resolves with the bound address (the real port when 0 was asked). */
  async start(): Promise<{ address: string; port: number }> {
    if (this.server) throw new Error("feeder: already started");
    const server = new grpc.Server({ "grpc.max_concurrent_streams": 1000 });
    server.addService(serverDefinition(LOG_SERVICE), {
      HealthCheck: (
        call: grpc.ServerUnaryCall<{ nonce: number }, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => cb(null, { Retval: call.request.nonce }),
      WatchMessages: (call: grpc.ServerWritableStream<{ Filter: string }, unknown>) =>
        this.attach("messages", call),
      WatchAlerts: (call: grpc.ServerWritableStream<{ Filter: string }, unknown>) =>
        ALERT_FILTERS.includes(call.request.Filter) ? this.attach("alerts", call) : call.end(),
      WatchLogs: (call: grpc.ServerWritableStream<{ Filter: string }, unknown>) =>
        LOG_FILTERS.includes(call.request.Filter) ? this.attach("logs", call) : call.end(),
    });
    server.addService(serverDefinition(HEALTH_SERVICE), {
      Check: (call: grpc.ServerUnaryCall<{ service: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const status = this.healthOf(call.request.service);
        if (status === "SERVICE_UNKNOWN")
          cb({ code: grpc.status.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        else cb(null, { status });
      },
      Watch: (call: grpc.ServerWritableStream<{ service: string }, unknown>) => {
        const watcher = { service: call.request.service, call };
        this.healthWatchers.add(watcher);
        const drop = () => this.healthWatchers.delete(watcher);
        call.on("cancelled", drop);
        call.on("close", drop);
        call.on("error", drop);
        call.write({ status: this.healthOf(call.request.service) });
      },
    });
    const creds = this.credentials();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.opts.address, creds, (err, p) =>
        err ? reject(new Error(`feeder: cannot listen on ${this.opts.address}: ${err.message}`)) : resolve(p),
      ),
    );
    this.server = server;
    const host = this.opts.address.slice(0, this.opts.address.lastIndexOf(":"));
    this.boundAddress = `${host}:${port}`;
    this.setServing(true);
    return { address: this.boundAddress, port };
  }

  /** Stop serving: health turns NOT_SERVING, every stream is ended, the server shuts down. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.setServing(false);
    for (const c of this.clients) this.detach(c, true);
    for (const w of this.healthWatchers) w.call.end();
    this.healthWatchers.clear();
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.server = undefined;
  }

  publishAlert(alert: Alert): void {
    this.counters.published.alerts++;
    if (!this.has("alerts")) return;
    const bytes = this.encode(() => encodeAlert(alert));
    if (bytes) this.fanOut("alerts", bytes);
  }

  publishLog(log: Log): void {
    this.counters.published.logs++;
    if (!this.has("logs")) return;
    const bytes = this.encode(() => encodeLog(log));
    if (bytes) this.fanOut("logs", bytes);
  }

  publishMessage(msg: DaemonMessage): void {
    this.counters.published.messages++;
    if (!this.has("messages")) return;
    const bytes = this.encode(() => encodeMessage(msg));
    if (bytes) this.fanOut("messages", bytes);
  }

  stats(): FeederStats {
    const clients = { alerts: 0, logs: 0, messages: 0 };
    for (const c of this.clients) clients[c.kind]++;
    return {
      address: this.boundAddress,
      clients,
      published: { ...this.counters.published },
      queueDrops: { ...this.counters.queueDrops },
      markers: this.counters.markers,
      encodeErrors: this.counters.encodeErrors,
      coalescedClients: [...this.clients].filter(c => c.coalesce).length,
    };
  }

  // --- internals ---

  private credentials(): grpc.ServerCredentials {
    const tls = this.opts.tls;
    if (!tls) return grpc.ServerCredentials.createInsecure();
    const buf = (v: Buffer | string) => (Buffer.isBuffer(v) ? v : Buffer.from(v));
    return grpc.ServerCredentials.createSsl(
      tls.ca ? buf(tls.ca) : null,
      [{ cert_chain: buf(tls.cert), private_key: buf(tls.key) }],
      Boolean(tls.requireClientCert),
    );
  }

  private healthOf(service: string): HealthStatus {
    if (service !== "" && service !== LOG_SERVICE && service !== HEALTH_SERVICE) return "SERVICE_UNKNOWN";
    return this.serving ? "SERVING" : "NOT_SERVING";
  }

  private setServing(serving: boolean): void {
    this.serving = serving;
    for (const w of this.healthWatchers) w.call.write({ status: this.healthOf(w.service) });
  }

  private has(kind: StreamKind): boolean {
    for (const c of this.clients) if (c.kind === kind) return true;
    return false;
  }

  /** Encode once and add the gRPC length prefix, so every client can share the framed bytes. */
  private encode(fn: () => Buffer): Buffer | undefined {
    try {
      return frame(fn());
    } catch (err) {
      this.counters.encodeErrors++;
      this.opts.onWarning?.(`feeder: event not sent: ${(err as Error).message}`);
      return undefined;
    }
  }

  private attach(kind: StreamKind, call: grpc.ServerWritableStream<unknown, unknown>): void {
    // Coalescing: grpc-js frames every write itself (BaseServerInterceptingCall.serializeMessage).
    // For this call only, let already-framed bytes through unchanged, so one write can carry many
    // messages: the client still sees a plain sequence of gRPC messages. Feature-checked against
    // the pinned @grpc/grpc-js; without the hook every message is written on its own.
    const inner = (call as unknown as { call?: { serializeMessage?: unknown } }).call;
    const coalesce = (this.opts.coalesce ?? true) && typeof inner?.serializeMessage === "function";
    if (coalesce)
      (inner as { serializeMessage: (framed: Buffer) => Buffer }).serializeMessage = framed => framed;
    const client: Client = {
      kind,
      call,
      coalesce,
      queue: [],
      head: 0,
      blocked: false,
      closed: false,
      pendingDrops: 0,
      pendingSince: 0,
      done: () => this.detach(client, false),
    };
    this.clients.add(client);
    call.on("cancelled", client.done);
    call.on("close", client.done);
    call.on("error", client.done);
  }

  private detach(c: Client, end: boolean): void {
    if (c.closed) return;
    c.closed = true;
    this.clients.delete(c);
    c.queue = [];
    c.head = 0;
    if (end) c.call.end();
  }

  private fanOut(kind: StreamKind, framed: Buffer): void {
    for (const c of this.clients) {
      if (c.kind !== kind) continue;
      const queued = c.queue.length - c.head;
      if (queued >= this.opts.queueSize) {
        if (c.pendingDrops === 0) {
          c.pendingSince = this.now();
          this.opts.onWarning?.(
            `feeder: ${kind} client ${c.call.getPeer()} is slow; dropping its events (queue ${this.opts.queueSize} full)`,
          );
        }
        c.pendingDrops++;
        this.counters.queueDrops[kind]++;
        continue;
      }
      if (c.pendingDrops > 0) this.enqueueMarker(c);
      c.queue.push(framed);
    }
    // Write on the next turn of the event loop: everything published in this turn goes out in
    // as few writes as possible, and publish*() stays O(clients) with no I/O.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        for (const c of this.clients) if (!c.blocked) this.pump(c);
      });
    }
  }

  private pump(c: Client): void {
    const call = c.call;
    while (c.head < c.queue.length && !c.closed) {
      let ok: boolean;
      if (c.coalesce) {
        // Up to 256 messages or 256 KiB per write.
        let end = c.head;
        let bytes = 0;
        while (end < c.queue.length && end - c.head < 256 && bytes < 262_144) bytes += c.queue[end++]!.length;
        const chunk =
          end - c.head === 1 ? c.queue[c.head]! : Buffer.concat(c.queue.slice(c.head, end), bytes);
        c.head = end;
        ok = call.write(chunk);
      } else {
        // grpc-js frames each write itself: hand it the protobuf bytes without our prefix.
        ok = call.write(c.queue[c.head++]!.subarray(5));
      }
      if (!ok) {
        c.blocked = true;
        call.once("drain", () => {
          c.blocked = false;
          this.pump(c);
        });
        break;
      }
    }
    if (c.head === c.queue.length) {
      c.queue = [];
      c.head = 0;
      // Caught up: report what this client missed without waiting for the next event.
      if (c.pendingDrops > 0 && !c.closed) {
        this.enqueueMarker(c);
        if (!c.blocked) this.pump(c);
      }
    } else if (c.head > 4096) {
      c.queue = c.queue.slice(c.head);
      c.head = 0;
    }
  }

  /** Queue the explicit "you missed N events" record (it may exceed the bound by one). */
  private enqueueMarker(c: Client): void {
    const n = c.pendingDrops;
    c.pendingDrops = 0;
    this.counters.markers++;
    const t = this.now();
    const since = formatUpdatedTime(c.pendingSince);
    const what = c.kind === "messages" ? "messages" : c.kind;
    const text = `this client missed ${n} ${what} since ${since}: its queue (${this.opts.queueSize}) was full`;
    const data = `dropped=${n} since=${since} queueSize=${this.opts.queueSize}`;
    const common = {
      Timestamp: epochSeconds(t),
      UpdatedTime: formatUpdatedTime(t),
      ClusterName: this.opts.clusterName,
      HostName: this.opts.hostName,
    };
    let bytes: Buffer;
    if (c.kind === "alerts") {
      bytes = encodeAlert({
        ...common,
        Type: "SystemEvent",
        Operation: "QueueOverflow",
        Message: text,
        Data: data,
        EventData: { Dropped: String(n), Since: since, QueueSize: String(this.opts.queueSize) },
      });
    } else if (c.kind === "logs") {
      bytes = encodeLog({
        ...common,
        Type: "SystemEvent",
        Operation: "QueueOverflow",
        Data: data,
        EventData: { Dropped: String(n), Since: since, QueueSize: String(this.opts.queueSize) },
      });
    } else {
      bytes = encodeMessage({ ...common, Type: "QueueOverflow", Level: "WARN", Message: text });
    }
    c.queue.push(frame(bytes));
  }
}

/** gRPC message framing: uncompressed flag, 32-bit big-endian length, protobuf bytes. */
function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(message.length + 5);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}
