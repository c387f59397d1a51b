// SPDX-License-Identifier: Apache-2.0
// The probe on the real machine (no fixtures): every reported fact must agree with an independent
// read of the same kernel interface, and the CLI must print the same report as JSON.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { it } from "node:test";
import { checkBpfLsmLoad } from "./bpf-lsm.js";
import { rootedFsReader } from "./fs-reader.js";
import { probeNode } from "./probe.js";
import type { ProbeReport } from "./types.js";

const read = (p: string): string | undefined => {
  try {
    return fs.readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
};

it("reports this machine's kernel as the kernel itself does", async () => {
  const r = await probeNode({ fs: rootedFsReader("/"), bpfLsmLoad: () => checkBpfLsmLoad() });
  assert.equal(r.kernel.release, os.release());
  const lsm = read("/sys/kernel/security/lsm");
  assert.deepEqual(r.lsm.active, lsm === undefined ? null : lsm.trim().split(","));
  assert.equal(r.btf.state === "supported", fs.existsSync("/sys/kernel/btf/vmlinux"));
  const aa = read("/sys/module/apparmor/parameters/enabled");
  if (aa === undefined) assert.equal(r.apparmor.state === "unsupported" && r.apparmor.reason, "not-built");
  if (aa?.trim() === "N") assert.equal(r.apparmor.state, "unsupported");
  const mounts = read("/proc/self/mountinfo") ?? "";
  assert.equal(r.bpffs.mounts.length > 0, / - bpf /.test(mounts));
  assert.equal(r.cgroup2.mounts.length > 0, / - cgroup2 /.test(mounts));
  // BPF-LSM can only be usable where bpf is an active LSM and a program loaded
  if (r.backends.bpfLsm)
    assert.ok(r.lsm.active?.includes("bpf") && r.bpfLsm.load.result.state === "supported");
  assert.ok(["native", "bpftool", "none"].includes(r.bpfLsm.load.method));
  // with the addon, a refusal is typed with the kernel's errno (the team host: EPERM)
  const load = r.bpfLsm.load.result;
  if (r.bpfLsm.load.method === "native" && load.state === "unsupported")
    assert.match(load.reason, /^E[A-Z0-9]+$/);
});

it("`rampart probe --output json` prints the report", () => {
  const root = path.resolve(import.meta.dirname, "../..");
  const res = spawnSync(
    process.execPath,
    ["--import", "tsx", "enforcer/cli/main.ts", "probe", "--output", "json"],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  assert.equal(res.status, 0, res.stderr);
  const report = JSON.parse(res.stdout) as ProbeReport;
  assert.equal(report.kernel.release, os.release());
  assert.ok(report.bpfLsm.load.method);
  const bad = spawnSync(
    process.execPath,
    ["--import", "tsx", "enforcer/cli/main.ts", "probe", "--output", "yaml"],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--output must be text or json/);
});
