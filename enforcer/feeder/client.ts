// SPDX-License-Identifier: Apache-2.0
//
// A small client for feeder.LogService (used by `rampart logs`, tests and the bench):
// connect with a bounded timeout, then open WatchAlerts / WatchLogs / WatchMessages streams.

import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { logServiceClient, healthClient } from "./wire.js";

export interface ClientTls {
  /** PEM CA bundle to verify the server; with none, the system roots are used. */
  ca?: Buffer | string;
  /** Client certificate and key for mTLS. */
  cert?: Buffer | string;
  key?: Buffer | string;
}

export interface ConnectOptions {
  address: string;
  tls?: ClientTls;
  /** Give up connecting after this long (ms). Default 5000. */
  connectTimeoutMs?: number;
  /** Override the TLS server name checked against the certificate. */
  serverName?: string;
}

export type RpcName = "WatchAlerts" | "WatchLogs" | "WatchMessages";

/** Reads a PEM file given as path, with a one-line error naming the flag. */
export function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(
      `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function credentials(tls: ClientTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const buf = (v: Buffer | string | undefined) =>
    v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);
  return grpc.credentials.createSsl(buf(tls.ca), buf(tls.key), buf(tls.cert));
}

function channelOptions(o: ConnectOptions): grpc.ChannelOptions {
  const opts: grpc.ChannelOptions = { "grpc.max_receive_message_length": 16 * 1024 * 1024 };
  if (o.serverName) opts["grpc.ssl_target_name_override"] = o.serverName;
  return opts;
}

async function ready(client: grpc.Client, o: ConnectOptions): Promise<void> {
  const timeout = o.connectTimeoutMs ?? 5000;
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + timeout, err => {
      if (!err) return resolve();
      client.close();
      reject(
        new Error(
          `cannot reach the feeder at ${o.address} within ${timeout / 1000}s${o.tls ? " (TLS)" : ""}: ${err.message}`,
        ),
      );
    }),
  );
}

/** Connect to feeder.LogService; rejects with a one-line error when unreachable in time. */
export async function connectLogService(o: ConnectOptions): Promise<grpc.Client> {
  const Ctor = logServiceClient();
  const client = new Ctor(o.address, credentials(o.tls), channelOptions(o));
  await ready(client, o);
  return client;
}

/** Connect to grpc.health.v1.Health on the same server. */
export async function connectHealth(o: ConnectOptions): Promise<grpc.Client> {
  const Ctor = healthClient();
  const client = new Ctor(o.address, credentials(o.tls), channelOptions(o));
  await ready(client, o);
  return client;
}

/** Open one server stream. Events arrive as decoded objects with KubeArmor's field names. */
export function watch(
  client: grpc.Client,
  rpc: RpcName,
  filter: string,
): grpc.ClientReadableStream<Record<string, unknown>> {
  const fn = (
    client as unknown as Record<string, (req: unknown) => grpc.ClientReadableStream<Record<string, unknown>>>
  )[rpc]!;
  return fn.call(client, { Filter: filter });
}

/** The deprecated nonce echo (LogService.HealthCheck). */
export function nonceCheck(client: grpc.Client, nonce: number): Promise<number> {
  const fn = (
    client as unknown as Record<
      string,
      (req: unknown, cb: (e: grpc.ServiceError | null, r?: { Retval: number }) => void) => void
    >
  ).HealthCheck!;
  return new Promise((resolve, reject) =>
    fn.call(client, { nonce }, (err, res) => (err ? reject(err) : resolve(res!.Retval))),
  );
}
