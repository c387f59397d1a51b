// SPDX-License-Identifier: Apache-2.0
//
// Ring buffer → Rust → JS throughput. The emitter object (bpf/emitter.bpf.c) writes `perCall`
// monitor-shaped records (128-byte header + a 38-byte path) to the shared ring on every
// getppid() of a generator child process; the addon's event thread drains the ring, batches
// records and hands them to JS through the bounded threadsafe-function queue.
//
//   node --import tsx bench/ring-throughput.ts [--seconds 5] [--per-call 64] [--decode]
//
// Prints records/s written by the kernel, read by Rust, delivered to JS (and decoded in JS with
// --decode), and every drop counter. Needs root.
import { spawn } from "node:child_process";
import { Enforcer } from "../native/index.js";
import { countEvents, decodeEvents } from "../native/events.js";

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

async function main(): Promise<void> {
  const seconds = arg("seconds", 5);
  const perCall = arg("per-call", 64);
  const decode = process.argv.includes("--decode");
  const pinDir = `/sys/fs/bpf/rampart-bench-ring-${process.pid}`;
  let jsRecords = 0;
  let jsBatches = 0;
  let jsDropped = 0;
  const e = Enforcer.start({ emitter: true, pinDir, ringBytes: 1 << 26, maxBatch: 8192 }, b => {
    jsBatches++;
    jsDropped += b.droppedBefore;
    jsRecords += decode ? decodeEvents(b.records).length : countEvents(b.records);
  });
  // Generator: a child process calling getppid() in a tight loop.
  const child = spawn("python3", ["-c", "import os\nwhile True:\n  os.getppid()"], { stdio: "ignore" });
  await new Promise(r => setTimeout(r, 300));
  e.setEmitter(child.pid!, perCall);
  const s0 = e.stats();
  const t0 = process.hrtime.bigint();
  const js0 = jsRecords;
  await new Promise(r => setTimeout(r, seconds * 1000));
  e.setEmitter(0, 0);
  const t1 = process.hrtime.bigint();
  const s1 = e.stats();
  const js1 = jsRecords;
  child.kill("SIGKILL");
  await new Promise(r => setTimeout(r, 500));
  const s2 = e.stats();
  e.stop(true);
  const dt = Number(t1 - t0) / 1e9;
  const rate = (n: number): string => `${(n / dt / 1e6).toFixed(2)} M/s`;
  console.log(
    `ring-throughput: ${seconds}s, ${perCall} records per getppid, 64 MiB ring${decode ? ", JS decodes every record" : ""}`,
  );
  console.log(`  kernel wrote      ${rate(s1.kernel.events - s0.kernel.events)}`);
  console.log(`  Rust received     ${rate(s1.pipeline.received - s0.pipeline.received)}`);
  console.log(`  JS received       ${rate(js1 - js0)} (${jsBatches} batches total)`);
  console.log(
    `  totals: kernel ${s2.kernel.events}, Rust ${s2.pipeline.received}, to JS ${s2.pipeline.delivered}, JS counted ${jsRecords}`,
  );
  console.log(
    `  drops: ring full ${s2.kernel.ringbufFull}, JS queue full ${s2.pipeline.queueFull} (reported to JS: ${jsDropped}), malformed ${s2.pipeline.malformed}`,
  );
}

void main();
