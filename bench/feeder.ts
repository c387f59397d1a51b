// SPDX-License-Identifier: Apache-2.0
//
// Feeder throughput bench: alerts/s from one daemon-like process to 4 subscribers (separate
// processes), plus the publisher's RSS idle and under load. Prints figures; asserts nothing.
// Usage: node --import tsx bench/feeder.ts [--alerts N] [--clients K] [--queue Q] [--decode] [--pipeline]
// As shipped (no tsx in the publisher): esbuild bench/feeder.ts --bundle --platform=node
//   --outfile=/var/cache/rampart/bench/feeder.cjs, then RAMPART_BENCH_DIR=$PWD/bench node that file.
//   --pipeline: label a SecurityEvent for every alert (labeller + throttle in the loop).

import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { Feeder } from "../enforcer/feeder/feeder.js";
import { labelEvent } from "../enforcer/events/labeller.js";
import { AlertThrottle } from "../enforcer/events/throttle.js";
import { containerEvent, processRule, ruleDecision } from "../enforcer/events/fixtures.js";
import { encodeAlert, type Alert } from "../enforcer/feeder/wire.js";

const { values } = parseArgs({
  options: {
    alerts: { type: "string", default: "400000" },
    clients: { type: "string", default: "4" },
    decode: { type: "boolean", default: false },
    pipeline: { type: "boolean", default: false },
    queue: { type: "string", default: "65536" },
  },
});
const N = Number(values.alerts);
const K = Number(values.clients);
const mib = (b: number) => (b / 1048576).toFixed(1);

async function main(): Promise<void> {
  const feeder = new Feeder({ address: "127.0.0.1:0", queueSize: Number(values.queue) });
  const { address } = await feeder.start();
  if (global.gc) global.gc();
  await new Promise(r => setTimeout(r, 500));
  const idleRss = process.memoryUsage().rss;

  const rule = processRule("block-sleep", "Block", {
    tags: ["NIST", "CM-7"],
    message: "sleep is not allowed",
  });
  const ctx = { activeEnforcer: "BPFLSM" as const, version: "rampart-bench" };
  const throttle = new AlertThrottle({ enabled: false });
  const template = (() => {
    const l = labelEvent(containerEvent({ decision: ruleDecision(rule) }), ctx);
    if (l.kind !== "alert") throw new Error("fixture");
    return l.alert;
  })();
  console.log(
    `alert: ${encodeAlert(template).length} B on the wire (${Buffer.byteLength(JSON.stringify(template))} B as JSON)`,
  );

  // Daemon-side cost per alert without any client: label + throttle + encode.
  {
    const M = 100_000;
    const t = performance.now();
    for (let i = 0; i < M; i++) {
      const l = labelEvent(containerEvent({ decision: ruleDecision(rule), timeMs: Date.now() }), ctx);
      if (l.kind === "alert") for (const a of throttle.admit(l.alert, l.key)) encodeAlert(a);
    }
    console.log(
      `label+throttle+encode: ${Math.round(M / ((performance.now() - t) / 1000))} alerts/s on one core`,
    );
  }

  // RAMPART_BENCH_DIR: where feeder-client.ts lives when this file runs as an esbuild bundle.
  const here = process.env.RAMPART_BENCH_DIR ?? dirname(__filename);
  const children: ChildProcess[] = [];
  const results: Promise<{ normal: number; dropped: number; at: number }>[] = [];
  for (let i = 0; i < K; i++) {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(here, "feeder-client.ts"), address, String(N), values.decode ? "decode" : ""],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    children.push(child);
    let buf = "";
    results.push(
      new Promise((resolve, reject) => {
        child.stdout!.on("data", d => {
          buf += d;
          const m = /done (\d+) (\d+)/.exec(buf);
          if (m) resolve({ normal: Number(m[1]), dropped: Number(m[2]), at: performance.now() });
        });
        child.on("exit", code => (code ? reject(new Error(`client ${i} exited ${code}`)) : undefined));
      }),
    );
  }
  while (feeder.stats().clients.alerts < K) await new Promise(r => setTimeout(r, 10));

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const BATCH = 500;
  for (let i = 0; i < N; i++) {
    if (values.pipeline) {
      const l = labelEvent(containerEvent({ decision: ruleDecision(rule), timeMs: Date.now() }), ctx);
      if (l.kind === "alert") for (const a of throttle.admit(l.alert, l.key)) feeder.publishAlert(a);
    } else {
      const a: Alert = { ...template, HostPID: i };
      feeder.publishAlert(a);
    }
    if (i % BATCH === BATCH - 1) await new Promise(r => setImmediate(r));
  }
  const tPublished = performance.now();
  const got = await Promise.all(results);
  const tDone = Math.max(...got.map(g => g.at));
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  const delivered = got.reduce((s, g) => s + g.normal, 0);
  const dropped = got.reduce((s, g) => s + g.dropped, 0);
  const secs = (tDone - t0) / 1000;
  console.log(
    `mode: ${values.pipeline ? "label+throttle+publish" : "publish pre-labelled alerts"}, clients ${K} (${values.decode ? "full decode" : "frame count"}), queue ${values.queue}`,
  );
  console.log(
    `published ${N} alerts in ${((tPublished - t0) / 1000).toFixed(2)} s; all clients done after ${secs.toFixed(2)} s`,
  );
  console.log(
    `throughput: ${Math.round(N / secs)} alerts/s to each of ${K} clients (${Math.round(delivered / secs)} deliveries/s)`,
  );
  console.log(
    `publisher CPU: ${cpuSecs.toFixed(2)} s for ${delivered} deliveries = ${Math.round(delivered / cpuSecs)} deliveries per CPU-second (${Math.round(N / cpuSecs)} alerts/s to ${K} clients per core)`,
  );
  console.log(
    `dropped (reported to clients by markers): ${dropped}; server counter: ${feeder.stats().queueDrops.alerts}`,
  );
  console.log(`publisher RSS: idle ${mib(idleRss)} MiB, peak under load ${mib(peakRss)} MiB`);
  for (const c of children) c.kill();
  await feeder.stop();
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
