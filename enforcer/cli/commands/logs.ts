// SPDX-License-Identifier: Apache-2.0
//
// `rampart logs`: watch the alert stream of a Rampart (or KubeArmor) feeder, like `karmor logs`
// and `kubectl logs -f`. Speaks only the feeder.LogService wire contract, so it works against
// KubeArmor's relay too.

import { parseArgs } from "node:util";
import type * as grpc from "@grpc/grpc-js";
import { connectLogService, readPem, watch, type ClientTls, type RpcName } from "../../feeder/client.js";
import { karmorJson, daemonObject, messageLine, textBlock, type Kind } from "../../feeder/format.js";
import { DEFAULT_FEEDER_ADDRESS } from "../../feeder/feeder.js";

export const help = `Usage: rampart logs [flags]

Stream alerts (and optionally system logs) from a feeder.LogService endpoint.
Runs until interrupted (Ctrl-C), or until --limit events have been printed.

Connection:
  --grpc HOST:PORT        feeder address (default: $KUBEARMOR_SERVICE, else ${DEFAULT_FEEDER_ADDRESS})
  --timeout SECONDS       give up connecting after this long (default 5)
  --tls-ca FILE           PEM CA bundle: connect with TLS and verify the server against it
  --tls-cert FILE         PEM client certificate for mTLS (with --tls-key)
  --tls-key FILE          PEM client private key for mTLS (with --tls-cert)
  --tls-server-name NAME  name to verify in the server certificate (default: the host of --grpc)

Streams:
  --filter policy|system|all
                          policy = alerts (WatchAlerts), system = telemetry logs (WatchLogs),
                          all = both (default policy; --logFilter is an alias)
  --messages              also print daemon messages (WatchMessages)

Output:
  -f, --follow            stream until interrupted (the default when --limit is not given)
  --limit N               exit after printing N events (0 = no limit)
  --json                  one JSON object per line, KubeArmor's proto field names
                          (exactly what \`karmor logs --json\` prints; empty fields omitted)
  -o, --output FORMAT     text (default) | json | pretty-json | daemon-json
                          (daemon-json: KubeArmor's stdout/file field names, e.g. namespaceName)

Client-side filters (regular expressions; the first five match case-insensitively, like karmor):
  -n, --namespace RE      NamespaceName
  --pod RE                PodName
  --container RE          ContainerName
  --operation RE          Operation (Process, File, Network, Capabilities, Syscall, AlertThreshold ...)
  --type RE               Type (MatchedPolicy, MatchedHostPolicy, SystemEvent, ContainerLog, HostLog;
                          --logType is an alias)
  --resource RE           Resource (case-sensitive)
  --source RE             Source (case-sensitive)

Exit status: 0 when the limit is reached, the stream ends or on Ctrl-C; 1 when the feeder is
unreachable or the stream fails; 2 on a usage error.`;

/** Field name → client-side regex. */
type Filters = Record<string, RegExp>;
type Output = "text" | "json" | "pretty-json" | "daemon-json";

interface LogsOptions {
  address: string;
  filter: "policy" | "system" | "all";
  messages: boolean;
  limit: number;
  timeoutSec: number;
  output: Output;
  filters: Filters;
  tlsFiles?: { ca?: string; cert?: string; key?: string };
  serverName?: string;
}

class UsageError extends Error {}

function usage(message: string): number {
  process.stderr.write(`rampart logs: ${message}\nRun \`rampart logs --help\` for the flags.\n`);
  return 2;
}

const OPTIONS = {
  grpc: { type: "string" },
  gRPC: { type: "string" },
  timeout: { type: "string" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-server-name": { type: "string" },
  filter: { type: "string" },
  logFilter: { type: "string" },
  messages: { type: "boolean" },
  follow: { type: "boolean", short: "f" },
  limit: { type: "string" },
  json: { type: "boolean" },
  output: { type: "string", short: "o" },
  namespace: { type: "string", short: "n" },
  pod: { type: "string" },
  container: { type: "string" },
  operation: { type: "string" },
  type: { type: "string" },
  logType: { type: "string" },
  resource: { type: "string" },
  source: { type: "string" },
} as const;

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${what} must be ${allowed.join(", ")}; got "${value}"`);
  return value as T;
}

function compileFilters(v: Record<string, string | boolean | undefined>): Filters {
  const filters: Filters = {};
  // karmor matches these case-insensitively ((?i)); resource and source are case-sensitive.
  const spec: Array<[unknown, string, boolean]> = [
    [v.namespace, "NamespaceName", true],
    [v.pod, "PodName", true],
    [v.container, "ContainerName", true],
    [v.operation, "Operation", true],
    [v.type ?? v.logType, "Type", true],
    [v.resource, "Resource", false],
    [v.source, "Source", false],
  ];
  for (const [re, field, icase] of spec) {
    if (typeof re !== "string") continue;
    try {
      filters[field] = new RegExp(re, icase ? "i" : "");
    } catch (err) {
      throw new UsageError(`invalid regular expression for ${field}: ${(err as Error).message}`);
    }
  }
  return filters;
}

/** argv → options; throws UsageError with a one-line message. */
function parseOptions(argv: string[]): LogsOptions {
  let v;
  try {
    v = parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS }).values;
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!);
  }
  const address = v.grpc ?? v.gRPC ?? (process.env.KUBEARMOR_SERVICE || DEFAULT_FEEDER_ADDRESS);
  if (!/^.+:\d{1,5}$/.test(address)) throw new UsageError(`--grpc must be HOST:PORT, got "${address}"`);
  const filterText = v.filter ?? v.logFilter ?? "policy";
  if (!["policy", "system", "all"].includes(filterText))
    throw new UsageError(`--filter must be policy, system or all, got "${filterText}"`);
  const limit = v.limit === undefined ? 0 : Number(v.limit);
  if (!Number.isInteger(limit) || limit < 0)
    throw new UsageError(`--limit must be a non-negative integer, got "${v.limit}"`);
  const timeoutSec = v.timeout === undefined ? 5 : Number(v.timeout);
  if (!(timeoutSec > 0))
    throw new UsageError(`--timeout must be a positive number of seconds, got "${v.timeout}"`);
  const output = oneOf<Output>(
    v.json ? "json" : (v.output ?? "text"),
    ["text", "json", "pretty-json", "daemon-json"],
    "--output",
  );
  if ((v["tls-cert"] === undefined) !== (v["tls-key"] === undefined))
    throw new UsageError("--tls-cert and --tls-key go together");
  const tls =
    v["tls-ca"] || v["tls-cert"] ? { ca: v["tls-ca"], cert: v["tls-cert"], key: v["tls-key"] } : undefined;
  return {
    address,
    filter: filterText as LogsOptions["filter"],
    messages: Boolean(v.messages),
    limit,
    timeoutSec,
    output,
    filters: compileFilters(v),
    tlsFiles: tls,
    serverName: v["tls-server-name"],
  };
}

function readTls(files: LogsOptions["tlsFiles"]): ClientTls | undefined {
  if (!files) return undefined;
  const tls: ClientTls = {};
  if (files.ca) tls.ca = readPem(files.ca, "--tls-ca");
  if (files.cert) tls.cert = readPem(files.cert, "--tls-cert");
  if (files.key) tls.key = readPem(files.key, "--tls-key");
  return tls;
}

function renderer(output: Output): (e: Record<string, unknown>, kind: Kind | "Message") => string {
  return (e, kind) => {
    if (kind === "Message") return output === "text" ? messageLine(e) : JSON.stringify(e) + "\n";
    if (output === "json") return karmorJson(e, kind) + "\n";
    if (output === "pretty-json") return karmorJson(e, kind, true) + "\n";
    if (output === "daemon-json") return JSON.stringify(daemonObject(e, kind)) + "\n";
    return textBlock(e, kind);
  };
}

export async function run(argv: string[]): Promise<number> {
  let opts: LogsOptions;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message);
    throw err;
  }
  let client: grpc.Client;
  try {
    const tls = readTls(opts.tlsFiles);
    client = await connectLogService({
      address: opts.address,
      tls,
      connectTimeoutMs: opts.timeoutSec * 1000,
      serverName: opts.serverName,
    });
  } catch (err) {
    process.stderr.write(`rampart logs: ${(err as Error).message}\n`);
    return 1;
  }
  return streamEvents(client, opts);
}

/** Open the selected streams and print until the limit, the end of the streams, or a signal. */
function streamEvents(client: grpc.Client, opts: LogsOptions): Promise<number> {
  const streams: Array<{ rpc: RpcName; kind: Kind | "Message" }> = [];
  if (opts.filter === "policy" || opts.filter === "all") streams.push({ rpc: "WatchAlerts", kind: "Alert" });
  if (opts.filter === "system" || opts.filter === "all") streams.push({ rpc: "WatchLogs", kind: "Log" });
  if (opts.messages) streams.push({ rpc: "WatchMessages", kind: "Message" });
  const render = renderer(opts.output);
  const matches = (e: Record<string, unknown>): boolean => {
    for (const [field, re] of Object.entries(opts.filters))
      if (!re.test(String(e[field] ?? ""))) return false;
    return true;
  };

  return new Promise<number>(resolve => {
    let printed = 0;
    let open = streams.length;
    let finished = false;
    const calls: grpc.ClientReadableStream<Record<string, unknown>>[] = [];
    const finish = (code: number, message?: string): void => {
      if (finished) return;
      finished = true;
      if (message) process.stderr.write(`rampart logs: ${message}\n`);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      for (const c of calls) c.cancel();
      client.close();
      // Let stdout flush before the caller sets the exit code.
      if (process.stdout.writableLength > 0) process.stdout.once("drain", () => resolve(code));
      else resolve(code);
    };
    const onSignal = (): void => finish(0);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.stdout.on("error", () => finish(0)); // reader went away (EPIPE)

    for (const s of streams) {
      const call = watch(client, s.rpc, s.rpc === "WatchMessages" ? "" : opts.filter);
      calls.push(call);
      call.on("data", (e: Record<string, unknown>) => {
        if (finished) return;
        if (s.kind !== "Message" && !matches(e)) return;
        process.stdout.write(render(e, s.kind));
        printed++;
        if (opts.limit > 0 && printed >= opts.limit) finish(0);
      });
      call.on("error", (err: grpc.ServiceError) => {
        if (!finished)
          finish(1, `${s.rpc} stream from ${opts.address} failed: ${err.details || err.message}`);
      });
      call.on("end", () => {
        open--;
        if (open === 0) finish(0);
      });
    }
  });
}
