// SPDX-License-Identifier: Apache-2.0
// probeNode against fixture nodes (testdata/<node>/proc, /sys) with a stubbed BPF-LSM load check.

import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { formatProbeReport } from "./format.js";
import { rootedFsReader, type FsReader } from "./fs-reader.js";
import { probeNode } from "./probe.js";
import type { BpfLsmLoadCheck } from "./types.js";

const fixture = (name: string): FsReader => rootedFsReader(path.join(import.meta.dirname, "testdata", name));
const eperm: BpfLsmLoadCheck = { method: "native", result: { state: "unsupported", reason: "EPERM" } };
const loads: BpfLsmLoadCheck = { method: "bpftool", result: { state: "supported" } };

describe("probeNode", () => {
  it("reports the team host: no AppArmor, bpf LSM active but BPF-LSM loads fail with EPERM", async () => {
    const r = await probeNode({ fs: fixture("host-6.18"), bpfLsmLoad: async () => eperm });
    assert.equal(r.kernel.release, "6.18.44-fc-v657");
    assert.deepEqual(r.lsm.active, ["lockdown", "capability", "landlock", "bpf"]);
    assert.deepEqual(r.apparmor, {
      state: "unsupported",
      reason: "not-built",
      detail: "AppArmor is not built into this kernel",
    });
    assert.equal(r.selinux.state, "unsupported");
    assert.equal(r.btf.state, "supported");
    assert.deepEqual(
      r.bpffs.mounts.map(m => m.mountPoint),
      ["/sys/fs/bpf"],
    );
    assert.deepEqual(
      r.cgroup2.mounts.map(m => m.mountPoint),
      ["/sys/fs/cgroup/unified"],
    );
    assert.equal(r.cgroup2.hybrid, true);
    assert.equal(r.bpfLsm.active.state, "supported");
    assert.deepEqual(r.bpfLsm.load, eperm);
    assert.deepEqual(r.backends, { apparmor: false, bpfLsm: false, selinux: false });
  });

  it("reports the AppArmor test VM: apparmor and bpf active, both backends usable", async () => {
    const r = await probeNode({ fs: fixture("vm-apparmor"), bpfLsmLoad: async () => loads });
    assert.equal(r.kernel.release, "6.1.0-56-amd64");
    assert.ok(r.lsm.active?.includes("apparmor") && r.lsm.active.includes("bpf"));
    assert.equal(r.apparmor.state, "supported");
    assert.equal(r.cgroup2.hybrid, false);
    assert.deepEqual(
      r.cgroup2.mounts.map(m => m.mountPoint),
      ["/sys/fs/cgroup"],
    );
    assert.deepEqual(r.backends, { apparmor: true, bpfLsm: true, selinux: false });
  });

  it("reports the SELinux boot: selinuxfs permissive without policy, AppArmor built but disabled", async () => {
    const r = await probeNode({ fs: fixture("vm-selinux"), bpfLsmLoad: async () => loads });
    assert.equal(r.selinux.state, "supported");
    assert.equal(r.selinux.mode, "permissive");
    assert.equal(r.selinux.policyLoaded, false);
    assert.equal(r.apparmor.state, "unsupported");
    assert.equal(r.apparmor.state === "unsupported" && r.apparmor.reason, "disabled");
    assert.equal(r.bpffs.result.state, "unsupported");
    assert.deepEqual(r.backends, { apparmor: false, bpfLsm: true, selinux: false });
  });

  it("turns missing facts into typed results on a bare node", async () => {
    const r = await probeNode({
      fs: fixture("bare"),
      bpfLsmLoad: async () => ({ method: "none", result: { state: "unknown", reason: "no-probe-method" } }),
    });
    assert.equal(r.lsm.active, null);
    assert.deepEqual(
      { state: r.lsm.result.state, reason: r.lsm.result.state !== "supported" && r.lsm.result.reason },
      { state: "unknown", reason: "not-mounted" },
    );
    assert.equal(r.btf.state === "unsupported" && r.btf.reason, "no-btf");
    assert.equal(r.bpfLsm.active.state, "unknown");
    assert.equal(r.cgroup2.result.state, "unsupported");
    assert.deepEqual(
      r.bpffs.mounts.map(m => m.mountPoint),
      ["/sys/fs/bpf pins"],
    );
    assert.deepEqual(r.backends, { apparmor: false, bpfLsm: false, selinux: false });
  });

  it("survives a node where nothing is readable", async () => {
    const r = await probeNode({ fs: fixture("does-not-exist"), bpfLsmLoad: async () => eperm });
    assert.equal(r.kernel.release, null);
    assert.equal(r.bpffs.result.state, "unknown");
    assert.equal(r.cgroup2.result.state, "unknown");
    assert.match(formatProbeReport(r), /kernel +unknown/);
  });

  it("renders text with the method and the typed reason", async () => {
    const r = await probeNode({ fs: fixture("host-6.18"), bpfLsmLoad: async () => eperm });
    const text = formatProbeReport(r);
    assert.match(text, /^LSMs active +lockdown,capability,landlock,bpf$/m);
    assert.match(text, /^BPF-LSM load +unsupported: EPERM \[method: native\]$/m);
    assert.match(text, /^AppArmor +unsupported: not-built/m);
    assert.match(text, /^backends +apparmor=no bpf-lsm=no selinux=no$/m);
  });
});
