// SPDX-License-Identifier: Apache-2.0

import { test } from "node:test";
import assert from "node:assert/strict";
import { RampartMetrics, parseListenAddress, startMetricsServer } from "./metrics.js";
import { Feeder } from "../feeder/feeder.js";
import { AlertThrottle } from "../events/throttle.js";

test("metrics over a real HTTP fetch: daemon counters, mirrored feeder and throttle counters, process metrics", async () => {
  const m = new RampartMetrics();
  const feeder = new Feeder({ address: "127.0.0.1:0" });
  await feeder.start();
  const throttle = new AlertThrottle({ maxAlertPerSec: 1 });
  m.attachFeeder(() => feeder.stats());
  m.attachThrottle(() => throttle.stats());

  m.events.inc({ operation: "Process", enforcer: "BPFLSM" }, 3);
  m.alerts.inc({ type: "MatchedPolicy", action: "Block" });
  m.reconcileDuration.observe({ result: "ok" }, 0.02);
  m.reconcileErrors.inc({ stage: "apply" });
  m.mapEntries.set({ map: "rampart_rules" }, 12);
  m.mapCapacity.set({ map: "rampart_rules" }, 65536);
  m.enforcerErrors.inc({ enforcer: "apparmor" });
  m.countDrop("ringbuf", 4);
  feeder.publishAlert({ Type: "MatchedPolicy" });
  const a = { Type: "MatchedPolicy", ContainerID: "c1" };
  for (let i = 0; i < 4; i++) throttle.admit(a, { container: "c1", rule: "r" }); // 1 passes, 1 threshold, 2 dropped

  const server = await startMetricsServer("127.0.0.1:0", m);
  try {
    const res = await fetch(`http://${server.address}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    const body = await res.text();
    for (const line of [
      'rampart_events_total{operation="Process",enforcer="BPFLSM"} 3',
      'rampart_alerts_total{type="MatchedPolicy",action="Block"} 1',
      'rampart_reconcile_duration_seconds_count{result="ok"} 1',
      'rampart_reconcile_errors_total{stage="apply"} 1',
      'rampart_bpf_map_entries{map="rampart_rules"} 12',
      'rampart_bpf_map_capacity{map="rampart_rules"} 65536',
      'rampart_enforcer_errors_total{enforcer="apparmor"} 1',
      'rampart_drops_total{cause="ringbuf"} 4',
      'rampart_drops_total{cause="throttle"} 2',
      'rampart_drops_total{cause="feeder_queue"} 0',
      'rampart_feeder_clients{stream="alerts"} 0',
      'rampart_feeder_published_total{stream="alerts"} 1',
      'rampart_feeder_queue_drops_total{stream="alerts"} 0',
      "rampart_alert_throttling 1",
      "rampart_alert_thresholds_total 1",
    ]) {
      assert.ok(body.includes(`\n${line}\n`), `missing: ${line}`);
    }
    assert.match(body, /\nrampart_process_resident_memory_bytes \d+/);
    // Scraping twice does not double mirrored counters.
    const again = await (await fetch(`http://${server.address}/metrics`)).text();
    assert.ok(again.includes('\nrampart_drops_total{cause="throttle"} 2\n'));
    assert.equal((await fetch(`http://${server.address}/healthz`)).status, 200);
    assert.equal((await fetch(`http://${server.address}/nope`)).status, 404);
  } finally {
    await server.close();
    await feeder.stop();
  }
});

test("listen addresses: HOST:PORT, :PORT, [v6]:PORT; bad ones are one-line errors", async () => {
  assert.deepEqual(parseListenAddress("127.0.0.1:9090"), { host: "127.0.0.1", port: 9090 });
  assert.deepEqual(parseListenAddress(":9090"), { host: "0.0.0.0", port: 9090 });
  assert.deepEqual(parseListenAddress("[::1]:9090"), { host: "::1", port: 9090 });
  assert.throws(() => parseListenAddress("9090"), /--metrics: expected HOST:PORT or :PORT, got "9090"/);
  assert.throws(() => parseListenAddress("h:70000"), /--metrics: expected/);
  const a = await startMetricsServer("127.0.0.1:0", new RampartMetrics({ processMetrics: false }));
  const port = a.address.split(":").at(-1);
  await assert.rejects(
    startMetricsServer(`127.0.0.1:${port}`, new RampartMetrics({ processMetrics: false })),
    /--metrics: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/,
  );
  await a.close();
});
