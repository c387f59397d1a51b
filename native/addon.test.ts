// SPDX-License-Identifier: Apache-2.0
//
// The addon through its generated loader: conversions, typed errors, start/stop, process
// exit. Needs root (BPF). LSM-dependent parts check probe() and assert the typed refusal
// where BPF-LSM cannot load (the team's host), and real loading where it can (the VM).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { Enforcer, probe, removePins } from "./index.js";

const PIN = `/sys/fs/bpf/rampart-native-test-${process.pid}`;
const caps = probe();

function rejectsWith(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => (e as { code?: string }).code === code);
}

test("probe reports typed results for every program type", () => {
  assert.match(caps.kernel, /^\d+\.\d+/);
  for (const k of ["tracepoint", "ringbuf", "testRun", "cgroupSkb", "lsm"] as const) {
    assert.equal(typeof caps[k].supported, "boolean", k);
    if (!caps[k].supported) {
      assert.match(caps[k].reason ?? "", /unsupported|never|of 2/, k);
      assert.match(caps[k].code ?? "", /^ERR_/, k);
    }
  }
  assert.equal(caps.tracepoint.supported, true, "tracepoints load on every kernel Rampart supports");
  if (!caps.lsm.supported) assert.equal(caps.lsm.code, "ERR_LSM_UNAVAILABLE");
});

test("start validates options with stable codes", () => {
  rejectsWith(() => Enforcer.start({ pinDir: PIN }, () => {}), "ERR_INVALID_ARG");
  rejectsWith(
    () => Enforcer.start({ monitor: true, pinDir: PIN, ringBytes: 5000 }, () => {}),
    "ERR_INVALID_ARG",
  );
});

test("enforcer object: typed refusal without BPF-LSM, real load with it", async () => {
  if (!caps.lsm.supported) {
    rejectsWith(() => Enforcer.start({ enforcer: true, pinDir: PIN }, () => {}), "ERR_LSM_UNAVAILABLE");
    removePins(PIN);
    return;
  }
  const e = Enforcer.start({ enforcer: true, pinDir: PIN }, () => {});
  try {
    assert.deepEqual(e.loaded.objects, ["rp_enforcer"]);
    await assert.rejects(
      e.apply(1n, { workload: Buffer.alloc(3) }),
      (x: { code?: string }) => x.code === "ERR_INVALID_ARG",
    );
    rejectsWith(() => e.apply(-1n, { workload: Buffer.alloc(32) }), "ERR_INVALID_ARG");
    const r = await e.apply(77n, { workload: Buffer.alloc(32) }, "tag-1");
    assert.equal(r.generation, 1);
    assert.deepEqual(
      e.list().map(w => [w.workload, w.tag]),
      [[77n, "tag-1"]],
    );
    assert.equal(await e.remove(77n), true);
    assert.equal(e.list().length, 0);
  } finally {
    e.stop(true);
  }
});

test("monitor: start, stats, stop; calls after stop fail with ERR_NOT_RUNNING", () => {
  const e = Enforcer.start({ monitor: true, pinDir: PIN, ringBytes: 1 << 16 }, () => {});
  assert.deepEqual(e.loaded.objects, ["rp_monitor"]);
  assert.ok(existsSync(`${PIN}/maps/rp_events`), "ring pinned");
  e.setMonitorScope(123n, 15);
  const s = e.stats();
  assert.equal(s.kernel.ringbufFull, 0);
  assert.deepEqual(s.maps.find(m => m.name === "rp_monitor_scope")?.entries, 1);
  rejectsWith(() => e.setMonitorScope(-5n, 1), "ERR_INVALID_ARG");
  rejectsWith(() => e.list(), "ERR_NOT_RUNNING");
  e.stop(true);
  assert.ok(!existsSync(PIN), "stop(true) removes the pins");
  rejectsWith(() => e.setMonitorScope(1n, 1), "ERR_NOT_RUNNING");
});

test("a stopped enforcer lets the process exit (no live TSFN or thread)", () => {
  const script = `
    const { Enforcer } = require(${JSON.stringify(`${__dirname}/index.js`)});
    const e = Enforcer.start({ monitor: true, pinDir: ${JSON.stringify(PIN + "-child")} }, () => {});
    setTimeout(() => { e.stop(true); console.log("stopped"); }, 50);
  `;
  const r = spawnSync(process.execPath, ["-e", script], { timeout: 20000, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /stopped/);
});
