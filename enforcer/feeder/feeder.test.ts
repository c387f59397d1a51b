// SPDX-License-Identifier: Apache-2.0
//
// Feeder integration over real loopback gRPC: filters, routing, health, slow-client drop
// accounting, TLS and mTLS, and a client built ONLY from proto/kubearmor.proto.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Feeder } from "./feeder.js";
import { connectHealth, connectLogService, nonceCheck, watch } from "./client.js";
import { makePki, waitFor, type TestPki } from "./testing.js";
import { labelEvent } from "../events/labeller.js";
import {
  containerEvent,
  fileRule,
  hostEvent,
  postureDecision,
  processRule,
  ruleDecision,
} from "../events/fixtures.js";
import type { Alert, Log } from "./wire.js";

type Obj = Record<string, unknown>;

function sampleAlerts(): Alert[] {
  const ctx = { activeEnforcer: "BPFLSM" as const, version: "rampart-test" };
  const out: Alert[] = [];
  for (const ev of [
    containerEvent({
      decision: ruleDecision(
        processRule("block-sleep", "Block", { tags: ["NIST", "CM-7"], message: "no sleep" }),
      ),
    }),
    containerEvent({
      operation: "File",
      resource: "/etc/hostname",
      source: "/bin/cat",
      decision: postureDecision("file", "block"),
    }),
    hostEvent({
      result: "Passed",
      decision: ruleDecision(fileRule("hsp-audit-hosts", "Audit", { severity: 7 })),
    }),
  ]) {
    const l = labelEvent(ev, ctx);
    assert.equal(l.kind, "alert");
    if (l.kind === "alert") out.push(l.alert);
  }
  return out;
}

function sampleLog(): Log {
  const l = labelEvent(containerEvent({ result: "Passed", enforcer: "eBPF Monitor" }), {
    activeEnforcer: "BPFLSM",
  });
  if (l.kind !== "log") throw new Error("fixture must be a log");
  return l.log;
}

/** Collect `n` events from a stream (or until it ends). */
function collect(
  stream: grpc.ClientReadableStream<Obj>,
  n: number,
): Promise<{ events: Obj[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const events: Obj[] = [];
    stream.on("data", (e: Obj) => {
      events.push(e);
      if (events.length === n) {
        stream.cancel();
        resolve({ events, ended: false });
      }
    });
    stream.on("end", () => resolve({ events, ended: true }));
    stream.on("error", (err: grpc.ServiceError) =>
      err.code === grpc.status.CANCELLED ? undefined : reject(err),
    );
  });
}

/** The published alert as it must look after a round trip (proto3 defaults for absent fields). */
function subset(actual: Obj, expected: Obj): void {
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(actual[k], v, `field ${k}`);
}

describe("feeder over loopback gRPC (insecure)", () => {
  const feeder = new Feeder({ address: "127.0.0.1:0", clusterName: "test-cluster", hostName: "test-host" });
  let address = "";
  let client: grpc.Client;

  before(async () => {
    address = (await feeder.start()).address;
    client = await connectLogService({ address });
  });
  after(async () => {
    client.close();
    await feeder.stop();
  });

  test("HealthCheck echoes the nonce", async () => {
    assert.equal(await nonceCheck(client, 424242), 424242);
    assert.equal(await nonceCheck(client, -7), -7);
  });

  test("WatchAlerts serves only all/policy; WatchLogs only all/system; others end at once, empty", async () => {
    for (const [rpc, filter] of [
      ["WatchAlerts", "system"],
      ["WatchAlerts", ""],
      ["WatchAlerts", "POLICY"],
      ["WatchLogs", "policy"],
      ["WatchLogs", "x"],
    ] as const) {
      const r = await collect(watch(client, rpc, filter), 1);
      assert.deepEqual(r, { events: [], ended: true }, `${rpc}(${JSON.stringify(filter)})`);
    }
  });

  test("alerts go to WatchAlerts(all|policy), logs to WatchLogs(all|system), messages to WatchMessages", async () => {
    const alerts = sampleAlerts();
    const log = sampleLog();
    const streams = {
      policy: collect(watch(client, "WatchAlerts", "policy"), alerts.length),
      allA: collect(watch(client, "WatchAlerts", "all"), alerts.length),
      system: collect(watch(client, "WatchLogs", "system"), 1),
      allL: collect(watch(client, "WatchLogs", "all"), 1),
      msgs: collect(watch(client, "WatchMessages", ""), 1),
    };
    await waitFor("5 subscribers", () => {
      const c = feeder.stats().clients;
      return c.alerts === 2 && c.logs === 2 && c.messages === 1;
    });
    feeder.publishLog(log);
    for (const a of alerts) feeder.publishAlert(a);
    feeder.publishMessage({ Timestamp: 1, UpdatedTime: "x", Type: "Info", Level: "INFO", Message: "hello" });
    for (const key of ["policy", "allA"] as const) {
      const r = await streams[key];
      assert.equal(r.events.length, alerts.length);
      r.events.forEach((e, i) => subset(e, alerts[i] as Obj));
    }
    for (const key of ["system", "allL"] as const) {
      const r = await streams[key];
      assert.equal(r.events.length, 1);
      subset(r.events[0]!, log as Obj);
      assert.equal(r.events[0]!.Type, "ContainerLog");
    }
    const m = await streams.msgs;
    subset(m.events[0]!, { Level: "INFO", Message: "hello", Type: "Info" });
  });

  test("grpc.health.v1: Check SERVING for '' and feeder.LogService, NOT_FOUND for unknown", async () => {
    const health = await connectHealth({ address });
    const check = (service: string) =>
      new Promise<{ status?: string; code?: number }>(resolve =>
        (
          health as unknown as {
            Check: (r: unknown, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void) => void;
          }
        ).Check({ service }, (err, res) => resolve(err ? { code: err.code } : { status: res!.status })),
      );
    assert.deepEqual(await check(""), { status: "SERVING" });
    assert.deepEqual(await check("feeder.LogService"), { status: "SERVING" });
    assert.deepEqual(await check("nope.Service"), { code: grpc.status.NOT_FOUND });
    health.close();
  });
});

describe("health Watch follows the serving state", () => {
  test("SERVING, then NOT_SERVING when the feeder stops", async () => {
    const feeder = new Feeder({ address: "127.0.0.1:0" });
    const { address } = await feeder.start();
    const health = await connectHealth({ address });
    const stream = (health as unknown as { Watch: (r: unknown) => grpc.ClientReadableStream<Obj> }).Watch({
      service: "",
    });
    const seen: string[] = [];
    const done = new Promise<void>(resolve => {
      stream.on("data", (r: Obj) => seen.push(String(r.status)));
      stream.on("end", () => resolve());
      stream.on("error", () => resolve());
    });
    await waitFor("first status", () => seen.length === 1);
    await feeder.stop();
    await done;
    health.close();
    assert.deepEqual(seen, ["SERVING", "NOT_SERVING"]);
  });
});

describe("slow clients: bounded queues, counted drops, explicit marker", () => {
  for (const coalesce of [true, false])
    test(`a paused client misses events, is told exactly how many; exact accounting for every client (coalesce=${coalesce})`, async () => {
      const feeder = new Feeder({ address: "127.0.0.1:0", queueSize: 64, coalesce });
      const { address } = await feeder.start();
      const client = await connectLogService({ address });
      const big: Alert = { ...sampleAlerts()[0]!, Resource: "/bin/sleep " + "x".repeat(4000) };
      const N = 3000;

      const tally = (stream: grpc.ClientReadableStream<Obj>) => {
        const t = { normal: 0, dropped: 0, markers: 0 };
        stream.on("data", (e: Obj) => {
          if (e.Operation === "QueueOverflow") {
            t.markers++;
            t.dropped += Number((e.EventData as Record<string, string>).Dropped);
            assert.equal(e.Type, "SystemEvent");
            assert.match(String(e.Message), /^this client missed \d+ alerts since /);
          } else t.normal++;
        });
        stream.on("error", () => undefined);
        return t;
      };
      const fastStream = watch(client, "WatchAlerts", "policy");
      const fast = tally(fastStream);
      const slowStream = watch(client, "WatchAlerts", "policy");
      const slow = tally(slowStream);
      await waitFor("2 subscribers", () => feeder.stats().clients.alerts === 2);
      assert.equal(feeder.stats().coalescedClients, coalesce ? 2 : 0);
      slowStream.pause();

      for (let i = 0; i < N; i++) {
        feeder.publishAlert(big);
        if (i % 20 === 19) await new Promise(r => setImmediate(r)); // let the fast client drain
      }
      slowStream.resume();
      await waitFor(
        "every event accounted for",
        () => fast.normal + fast.dropped === N && slow.normal + slow.dropped === N,
      );
      const st = feeder.stats();
      assert.ok(slow.dropped > 0, "the paused client must have overflowed");
      assert.ok(slow.markers >= 1);
      assert.equal(
        st.queueDrops.alerts,
        fast.dropped + slow.dropped,
        "server drop counter = sum of drops reported to clients",
      );
      assert.equal(st.markers, fast.markers + slow.markers);
      assert.equal(st.published.alerts, N);
      fastStream.cancel();
      slowStream.cancel();
      client.close();
      await feeder.stop();
    });
});

describe("a client built only from proto/kubearmor.proto", () => {
  for (const coalesce of [true, false])
    test(`receives the same alerts, every field intact (coalesce=${coalesce})`, async () => {
      const feeder = new Feeder({ address: "127.0.0.1:0", coalesce });
      const { address } = await feeder.start();
      // Deliberately independent of Rampart's wire.ts/client.ts: load the .proto file from disk.
      const def = protoLoader.loadSync(join(__dirname, "..", "..", "proto", "kubearmor.proto"), {
        keepCase: true,
        longs: String,
        enums: String,
        defaults: false,
      });
      const pkg = grpc.loadPackageDefinition(def) as unknown as {
        feeder: { LogService: grpc.ServiceClientConstructor };
      };
      const raw = new pkg.feeder.LogService(address, grpc.credentials.createInsecure());
      const stream = (
        raw as unknown as { WatchAlerts: (r: unknown) => grpc.ClientReadableStream<Obj> }
      ).WatchAlerts({ Filter: "policy" });
      const alerts = sampleAlerts();
      const got = collect(stream, alerts.length);
      await waitFor("subscriber", () => feeder.stats().clients.alerts === 1);
      assert.equal(feeder.stats().coalescedClients, coalesce ? 1 : 0);
      for (const a of alerts) feeder.publishAlert(a);
      const { events } = await got;
      // proto3 cannot tell "absent" from "default", so compare with defaults stripped on both sides.
      const strip = (o: Obj): Obj => {
        const e: Obj = {};
        for (const [k, v] of Object.entries(o)) {
          if (v === "" || v === 0 || v === "0" || v === null || (Array.isArray(v) && v.length === 0))
            continue;
          e[k] =
            k === "Timestamp"
              ? String(v)
              : v && typeof v === "object" && !Array.isArray(v)
                ? { ...(v as Obj) }
                : v;
        }
        return e;
      };
      assert.deepEqual(
        events.map(strip),
        alerts.map(a => strip(a as Obj)),
      );
      assert.equal(events.length, 3);
      assert.equal(events[2]!.Type, "MatchedHostPolicy");
      raw.close();
      await feeder.stop();
    });
});

describe("TLS and mTLS", () => {
  let pki: TestPki;
  before(() => {
    pki = makePki();
  });

  test("TLS: a client trusting the CA gets alerts; a plaintext client and a client trusting another CA cannot connect", async () => {
    const feeder = new Feeder({ address: "127.0.0.1:0", tls: { cert: pki.serverCert, key: pki.serverKey } });
    const { address } = await feeder.start();
    const good = await connectLogService({ address, tls: { ca: pki.ca } });
    const got = collect(watch(good, "WatchAlerts", "all"), 1);
    await waitFor("subscriber", () => feeder.stats().clients.alerts === 1);
    feeder.publishAlert(sampleAlerts()[0]!);
    assert.equal((await got).events[0]!.PolicyName, "block-sleep");
    good.close();
    await assert.rejects(connectLogService({ address, connectTimeoutMs: 1500 }), /cannot reach the feeder/);
    await assert.rejects(
      connectLogService({ address, connectTimeoutMs: 1500, tls: { ca: readFileSync(pki.otherCaPath) } }),
      /cannot reach the feeder .* \(TLS\)/,
    );
    await feeder.stop();
  });

  test("mTLS: a client without a certificate is refused; with one signed by the CA it is served", async () => {
    const feeder = new Feeder({
      address: "127.0.0.1:0",
      tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requireClientCert: true },
    });
    const { address } = await feeder.start();
    await assert.rejects(
      connectLogService({ address, connectTimeoutMs: 1500, tls: { ca: pki.ca } }),
      /cannot reach the feeder/,
    );
    const good = await connectLogService({
      address,
      tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
    });
    assert.equal(await nonceCheck(good, 99), 99);
    good.close();
    await feeder.stop();
  });

  test("configuration errors are clear", () => {
    assert.throws(
      () => new Feeder({ tls: { cert: "x", key: "y", requireClientCert: true } }),
      /mTLS \(requireClientCert\) needs a CA bundle/,
    );
    assert.throws(() => new Feeder({ queueSize: 0 }), /queueSize must be a positive integer/);
  });
});
