// SPDX-License-Identifier: Apache-2.0
//
// Container identity against a REAL containerd + runc (test/containerd/harness.ts): run a pod
// sandbox and a busybox container through CRI, then prove that Rampart's identity layer links
// container id ↔ pod/namespace/labels/name/image ↔ init pid ↔ cgroup id ↔ namespaces, the same
// way the daemon resolves events.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CriClient } from "../../enforcer/identity/cri.js";
import { CriRuntime, IdentityIndex } from "../../enforcer/identity/containers.js";
import { cgroupV2Mount, procIdentity } from "../../enforcer/identity/proc.js";
import { BUSYBOX_IMAGE, startContainerd, unavailableReason, type Containerd } from "./harness.js";

const why = unavailableReason();
let ctrd: Containerd | undefined;
let cri: CriClient | undefined;
let sandboxId = "";
let containerId = "";

const sandboxConfig = {
  metadata: { name: "web-0", uid: "uid-web-0", namespace: "shop", attempt: 0 },
  log_directory: "",
  labels: {
    app: "web",
    tier: "front",
    "io.kubernetes.pod.name": "web-0",
    "io.kubernetes.pod.namespace": "shop",
    "io.kubernetes.pod.uid": "uid-web-0",
  },
  annotations: {},
  linux: {
    cgroup_parent: "", // set from the harness in before()
    security_context: { namespace_options: { network: "NODE", pid: "CONTAINER", ipc: "POD" } },
  },
};

before(async () => {
  if (why) return;
  ctrd = await startContainerd();
  sandboxConfig.linux.cgroup_parent = `${ctrd.cgroupParent}/podweb0`;
  cri = new CriClient(ctrd.socket);
  try {
    sandboxId = (await cri.call<{ pod_sandbox_id: string }>("RunPodSandbox", { config: sandboxConfig }))
      .pod_sandbox_id;
    containerId = (
      await cri.call<{ container_id: string }>("CreateContainer", {
        pod_sandbox_id: sandboxId,
        sandbox_config: sandboxConfig,
        config: {
          metadata: { name: "app", attempt: 0 },
          image: { image: BUSYBOX_IMAGE },
          command: ["/bin/sleep", "600"],
          labels: {
            "io.kubernetes.container.name": "app",
            "io.kubernetes.pod.name": "web-0",
            "io.kubernetes.pod.namespace": "shop",
            "io.kubernetes.pod.uid": "uid-web-0",
          },
          linux: {
            security_context: { namespace_options: { network: "NODE", pid: "CONTAINER", ipc: "POD" } },
          },
        },
      })
    ).container_id;
    await cri.call("StartContainer", { container_id: containerId });
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\ncontainerd log tail:\n${readFileSync(ctrd.log, "utf8").slice(-3000)}`,
    );
  }
});

after(async () => {
  if (cri && sandboxId) {
    await cri.call("StopPodSandbox", { pod_sandbox_id: sandboxId }).catch(() => undefined);
    await cri.call("RemovePodSandbox", { pod_sandbox_id: sandboxId }).catch(() => undefined);
  }
  cri?.close();
  await ctrd?.stop();
});

test("CRI client talks to the real containerd", { skip: why ?? false }, async () => {
  const v = await cri!.version();
  assert.equal(v.runtime_name, "containerd");
  assert.equal(v.runtime_api_version, "v1");
});

test(
  "container identity: id ↔ pod/labels/name/image ↔ pid ↔ cgroup id ↔ namespaces",
  { skip: why ?? false },
  async () => {
    const runtime = new CriRuntime(cri!);
    const list = await runtime.list();
    const c = list.find(x => x.containerId === containerId);
    assert.ok(c, `container ${containerId} listed (got ${list.map(x => x.containerId).join(",")})`);
    assert.equal(c.name, "app");
    assert.equal(c.podName, "web-0");
    assert.equal(c.podNamespace, "shop");
    assert.equal(c.podUid, "uid-web-0");
    assert.deepEqual(c.labels, { app: "web", tier: "front" });
    assert.match(c.image ?? "", /busybox:1\.35|sha256:/);
    assert.equal(c.sandboxId, sandboxId);

    // pid: the container's init process is our sleep, in its own pid namespace.
    assert.ok(c.pid && c.pid > 1, "pid from verbose ContainerStatus");
    const cmd = readFileSync(`/proc/${c.pid}/cmdline`, "utf8").split("\0");
    assert.deepEqual(cmd.slice(0, 2), ["/bin/sleep", "600"]);
    assert.notEqual(c.pidNs, Number(statSync("/proc/self/ns/pid").ino));
    assert.notEqual(c.mntNs, Number(statSync("/proc/self/ns/mnt").ino));

    // cgroup: the path names the container id under the pod's cgroup parent, and the cgroup id is
    // the inode of that cgroup v2 directory (what bpf_get_current_cgroup_id() reports).
    const mount = cgroupV2Mount()!;
    assert.ok(c.cgroupPath?.includes(containerId), `cgroup path ${c.cgroupPath} names the container`);
    assert.ok(
      c.cgroupPath?.startsWith(`${ctrd!.cgroupParent}/podweb0`),
      `cgroup path ${c.cgroupPath} under the pod's cgroup parent`,
    );
    assert.equal(c.cgroupId, statSync(join(mount, c.cgroupPath!), { bigint: true }).ino);
    assert.equal(procIdentity(c.pid!)!.containerId, containerId);

    // Event resolution: by cgroup id, and by pid alone.
    const index = new IdentityIndex();
    index.update(list);
    assert.equal(index.resolve(c.cgroupId, undefined)?.containerId, containerId);
    assert.equal(index.resolve(undefined, c.pid)?.containerId, containerId);
    assert.equal(index.resolve(undefined, process.pid), undefined, "a host process is not a container");
  },
);
