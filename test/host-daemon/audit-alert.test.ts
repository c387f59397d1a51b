// SPDX-License-Identifier: Apache-2.0
//
// Done-when (host, no VM): `rampart run --policies DIR --enforcer none` turns an Audit host policy
// into an Audit alert from the monitor, received by `rampart logs --json --limit 1`.
// Everything is real: the CLI processes, the native monitor on this kernel (tracepoints + ring
// buffer), the feeder over gRPC. For host safety the monitor is scoped to a cgroup the test
// creates (--scope-cgroup); the pins live in a private bpffs directory removed at the end.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cgroupV2Mount } from "../../enforcer/identity/proc.js";

const ROOT = join(__dirname, "..", "..");
const CLI = ["--import", "tsx", join(ROOT, "enforcer", "cli", "main.ts")];
const work = mkdtempSync(join(tmpdir(), "rampart-host-daemon-"));
const mount = cgroupV2Mount();
const cgroup = mount ? join(mount, `rampart-test-${process.pid}`) : "";
const pinDir = `/sys/fs/bpf/rampart-test-${process.pid}`;
const children: ChildProcess[] = [];

function why(): string | null {
  if (process.getuid?.() !== 0) return "needs root (BPF + cgroups)";
  if (!mount) return "no cgroup2 mount";
  if (!existsSync(join(ROOT, "native", "index.js"))) return "native addon not built (native/build.sh)";
  return null;
}
const skip = why();

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  try {
    rmdirSync(cgroup);
  } catch {
    /* not created or still busy */
  }
  rmSync(pinDir, { recursive: true, force: true });
  if (failed)
    process.stderr.write(
      `host-daemon: logs kept in ${work}\n${
        existsSync(join(work, "daemon.log"))
          ? readFileSync(join(work, "daemon.log"), "utf8")
              .split("\n")
              .filter(l => !l.includes('"debug"'))
              .slice(-30)
              .join("\n")
          : ""
      }\n`,
    );
  else rmSync(work, { recursive: true, force: true });
});
let failed = true;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

function start(args: string[], out: string): ChildProcess {
  const fd = openSync(out, "a");
  const c = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  children.push(c);
  return c;
}

async function until(what: string, f: () => boolean, ms = 60_000): Promise<void> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise(r => setTimeout(r, 100)))
    if (f()) return;
  throw new Error(`timed out waiting for ${what}`);
}

test(
  "monitor + Audit host policy → Audit alert through rampart logs",
  { skip: skip ?? false, timeout: 120_000 },
  async () => {
    const policies = join(work, "policies");
    mkdirSync(policies);
    writeFileSync(
      join(policies, "audit.yaml"),
      `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata: {name: audit-true-exec}
spec:
  nodeSelector: {matchLabels: {kubearmor.io/hostname: "*"}}
  severity: 3
  tags: [host-daemon-test]
  message: true was run
  process: {matchPaths: [{path: /usr/bin/true}]}
  action: Audit
`,
    );
    mkdirSync(cgroup);
    const port = await freePort();
    const dlog = join(work, "daemon.log");
    const daemon = start(
      [
        "run",
        "--policies",
        policies,
        "--enforcer",
        "none",
        "--grpc",
        `127.0.0.1:${port}`,
        "--scope-cgroup",
        cgroup,
        "--pin-dir",
        pinDir,
        "--containerd-socket",
        join(work, "none.sock"),
        "--node-name",
        "host-daemon-test",
        "--log-level",
        "debug",
      ],
      dlog,
    );
    await until("daemon running", () => /rampart: running/.test(readFileSync(dlog, "utf8")), 30_000);
    assert.match(readFileSync(dlog, "utf8"), /monitor: started/, "the native monitor started");

    const alog = join(work, "alert.json");
    const logs = start(["logs", "--grpc", `127.0.0.1:${port}`, "--json", "--limit", "1"], alog);
    const logsDone = new Promise<number>(resolve => logs.on("exit", code => resolve(code ?? -1)));
    // The audited exec, inside the test cgroup (the only one the monitor reports). The feeder does
    // not replay, so the exec repeats until the client (subscribing meanwhile) printed its alert.
    let exited: number | undefined;
    void logsDone.then(c => (exited = c));
    let pid = 0;
    for (let i = 0; i < 60 && exited === undefined; i++) {
      const r = spawnSync("/bin/sh", ["-c", `echo $$ > ${cgroup}/cgroup.procs && exec /usr/bin/true`]);
      assert.equal(r.status, 0, String(r.stderr));
      pid = r.pid ?? 0;
      await new Promise(res => setTimeout(res, 500));
    }
    assert.equal(exited, 0, `rampart logs did not print one alert: ${readFileSync(alog, "utf8")}`);
    const alert = JSON.parse(readFileSync(alog, "utf8").trim().split("\n")[0]!);
    assert.equal(alert.Type, "MatchedHostPolicy");
    assert.equal(alert.PolicyName, "audit-true-exec");
    assert.equal(alert.Action, "Audit");
    assert.equal(alert.Result, "Passed");
    assert.equal(alert.Operation, "Process");
    assert.equal(alert.Resource, "/usr/bin/true");
    assert.equal(alert.ProcessName, "/usr/bin/true");
    assert.equal(alert.Enforcer, "eBPF Monitor");
    assert.equal(alert.HostName, "host-daemon-test");
    assert.equal(alert.Severity, "3");
    assert.equal(alert.Tags, "host-daemon-test");
    assert.equal(alert.Message, "true was run");
    assert.ok(
      alert.HostPID > 0 && alert.HostPID <= pid,
      `HostPID ${alert.HostPID} is one of the audited execs`,
    );
    assert.ok(alert.Timestamp > 0 && alert.UpdatedTime);

    daemon.kill("SIGTERM");
    const code = await new Promise<number>(resolve => daemon.on("exit", c => resolve(c ?? -1)));
    assert.equal(code, 0, "graceful shutdown");
    failed = false;
  },
);
