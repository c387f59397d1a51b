// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { renderCriProtoModule } from "./gen-cri-proto.js";
import { cgroupV2Mount, containerIdFromCgroupPath, parseProcCgroup, procIdentity } from "./proc.js";

const ID = "3f1c2b0a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b";

test("container ids from the cgroup path layouts of cgroupfs, systemd, docker", () => {
  assert.equal(containerIdFromCgroupPath(`/kubepods/besteffort/pod1234/${ID}`), ID);
  assert.equal(
    containerIdFromCgroupPath(`/kubepods.slice/kubepods-pod1.slice/cri-containerd-${ID}.scope`),
    ID,
  );
  assert.equal(containerIdFromCgroupPath(`/system.slice/docker-${ID}.scope`), ID);
  assert.equal(containerIdFromCgroupPath("/user.slice/session-1.scope"), undefined);
  assert.equal(containerIdFromCgroupPath("/"), undefined);
});

test("/proc/<pid>/cgroup on a hybrid host: v2 line and v1 controllers", () => {
  const cg = parseProcCgroup(`9:name=systemd:/\n4:memory:/k/${ID}\n1:cpu,cpuacct:/\n0::/k/${ID}\n`);
  assert.equal(cg.v2, `/k/${ID}`);
  assert.equal(cg.v1["memory"], `/k/${ID}`);
  assert.equal(cg.v1["cpu,cpuacct"], "/");
});

test("cgroup2 mount point from mountinfo (pure v2 and hybrid)", () => {
  assert.equal(
    cgroupV2Mount("30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"),
    "/sys/fs/cgroup",
  );
  assert.equal(
    cgroupV2Mount(
      "31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n32 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
    ),
    "/sys/fs/cgroup/unified",
  );
  assert.equal(cgroupV2Mount("31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"), null);
});

test("this process: cgroup id is the inode of its cgroup v2 directory; namespaces match /proc", t => {
  const mount = cgroupV2Mount();
  if (!mount) return t.skip("no cgroup2 mount on this machine");
  const me = procIdentity(process.pid)!;
  assert.ok(me.cgroups.v2 !== undefined);
  assert.equal(me.cgroupId, statSync(join(mount, me.cgroups.v2!), { bigint: true }).ino);
  assert.equal(me.mntNs, Number(statSync("/proc/self/ns/mnt").ino));
  assert.equal(me.pidNs, Number(statSync("/proc/self/ns/pid").ino));
  assert.equal(procIdentity(2 ** 22 + 12345), undefined);
});

test("the embedded CRI proto matches proto/cri/api.proto", () => {
  assert.equal(
    readFileSync(join(__dirname, "cri-proto.ts"), "utf8"),
    renderCriProtoModule(),
    "run: node --import tsx enforcer/identity/gen-cri-proto.ts",
  );
});
