// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProbeReport } from "../probe/types.js";
import { selectBackend } from "./select.js";

const no = { state: "unsupported" as const, reason: "not-active" };
const yes = { state: "supported" as const };
function report(b: { bpf?: boolean; apparmor?: boolean; selinux?: boolean }): ProbeReport {
  return {
    kernel: { release: "6.1" },
    lsm: { active: ["capability"], result: yes },
    apparmor: b.apparmor ? yes : no,
    selinux: b.selinux ? yes : no,
    btf: yes,
    bpffs: { mounts: [], result: yes },
    cgroup2: { mounts: [], result: yes, hybrid: false },
    bpfLsm: {
      active: b.bpf ? yes : no,
      load: { method: "none", result: b.bpf ? yes : { state: "unsupported", reason: "EPERM" } },
    },
    backends: { apparmor: !!b.apparmor, bpfLsm: !!b.bpf, selinux: !!b.selinux },
  };
}

test("auto follows bpf, apparmor, selinux order and explains each skip", () => {
  assert.equal(
    selectBackend("auto", report({ bpf: true, apparmor: true }), { containers: true }).backend,
    "bpf",
  );
  const s = selectBackend("auto", report({ apparmor: true }), { containers: true });
  assert.equal(s.backend, "apparmor");
  assert.match(s.reasons[0]!, /^bpf: skipped — BPF-LSM not usable: .*EPERM/);
  const n = selectBackend("auto", report({}), { containers: false });
  assert.equal(n.backend, "none");
  assert.equal(n.reasons.length, 4);
  assert.match(n.reasons[3]!, /falling back to monitor \+ audit only/);
});

test("an explicit enforcer the node cannot run is an error, not a downgrade", () => {
  assert.throws(
    () => selectBackend("apparmor", report({ bpf: true }), { containers: false }),
    /--enforcer apparmor: AppArmor not usable/,
  );
  assert.equal(selectBackend("none", report({}), { containers: true }).backend, "none");
  assert.throws(
    () => selectBackend("selinux", report({ selinux: true }), { containers: true }),
    /host policies only/,
  );
});

test("selinux: chosen for a host without containers once a policy is loaded", () => {
  assert.equal(selectBackend("auto", report({ selinux: true }), { containers: false }).backend, "selinux");
  assert.equal(selectBackend("selinux", report({ selinux: true }), { containers: false }).backend, "selinux");
  const noPolicy = { ...report({}), selinux: { state: "supported" as const, policyLoaded: false } };
  assert.throws(() => selectBackend("selinux", noPolicy, { containers: false }), /no policy is loaded/);
  // With containers, auto moves on (to none here) instead of leaving them unprotected.
  assert.equal(selectBackend("auto", report({ selinux: true }), { containers: true }).backend, "none");
});
