// SPDX-License-Identifier: Apache-2.0
// The assembled daemon on this host: real policy files, the real AppArmor compiler and
// apparmor_parser (compile-only: this kernel has no AppArmor), the real feeder on a free port.
// Restart behaviour: a second daemon re-adopts what the first applied and removes what is stale.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { memoryLogger } from "./log.js";
import { startDaemon, type DaemonOptions } from "./daemon.js";

let parserOk = true;
try {
  execFileSync("apparmor_parser", ["--version"], { stdio: "ignore" });
} catch {
  parserOk = false;
}

const root = mkdtempSync(join(tmpdir(), "rampart-daemon-"));
after(() => rmSync(root, { recursive: true, force: true }));

const opts = (policies: string, apparmorDir: string): DaemonOptions => ({
  policies,
  nodeName: "node-t",
  nodeLabels: {},
  enforcer: "apparmor",
  grpc: "127.0.0.1:0",
  resyncSec: 0,
  containerdSocket: join(root, "no-such.sock"),
  pinDir: join(root, "pins"),
  apparmorDir,
  apparmorCompileOnly: true,
  throttle: {},
  clusterName: "default",
  monitor: false, // never an unscoped monitor on the test host
});

test(
  "apparmor (compile-only): apply, restart re-adopts without reloading, stale profiles removed",
  { skip: parserOk ? false : "apparmor_parser not installed" },
  async () => {
    const policies = mkdtempSync(join(root, "p-"));
    const aa = mkdtempSync(join(root, "aa-"));
    copyFileSync(
      join(__dirname, "..", "..", "examples", "host", "demo-host-policies.yaml"),
      join(policies, "host.yaml"),
    );
    writeFileSync(join(aa, "not-ours"), "profile not-ours {}\n");

    const log1 = memoryLogger();
    const d1 = await startDaemon(opts(policies, aa), log1);
    assert.equal(d1.backend, "apparmor");
    assert.match(d1.feederAddress, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(readdirSync(aa).sort(), ["not-ours", "rampart.host"]);
    const res = d1.reconciler.results();
    assert.deepEqual(res.map(r => [r.policy.name, r.status]).sort(), [
      ["audit-passwd", "Applied"],
      ["block-demo-binaries", "Applied"],
    ]);
    await d1.stop();
    assert.deepEqual(
      readdirSync(aa).sort(),
      ["not-ours", "rampart.host"],
      "shutdown leaves applied profiles in place",
    );

    // Same policies: the new daemon adopts rampart.host and applies nothing.
    const log2 = memoryLogger();
    const d2 = await startDaemon(opts(policies, aa), log2);
    assert.ok(log2.records.some(r => r.msg === "reconcile: starting" && r.meta?.["adopted"] === 1));
    assert.ok(!log2.records.some(r => r.msg === "reconcile: applied"), "nothing re-applied after restart");
    await d2.stop();

    // Policies gone while no daemon ran: the next one removes the stale profile, never the foreign one.
    unlinkSync(join(policies, "host.yaml"));
    const log3 = memoryLogger();
    const d3 = await startDaemon(opts(policies, aa), log3);
    assert.deepEqual(readdirSync(aa), ["not-ours"]);
    assert.ok(
      log3.records.some(
        r => r.msg === "reconcile: removed stale artifact" && r.meta?.["key"] === "rampart.host",
      ),
    );
    await d3.stop();
  },
);

test("an explicitly requested enforcer this node cannot run fails with the reason", async () => {
  const policies = mkdtempSync(join(root, "q-"));
  const o = {
    ...opts(policies, join(root, "aa-x")),
    enforcer: "selinux" as const,
    apparmorCompileOnly: false,
  };
  await assert.rejects(startDaemon(o, memoryLogger()), /--enforcer selinux: SELinux/);
});
