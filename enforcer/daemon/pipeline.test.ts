// SPDX-License-Identifier: Apache-2.0
// The event path with the real model, oracle, labeller and throttle; the feeder (tested on its
// own over gRPC) is replaced by recording publish functions.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AlertThrottle } from "../events/throttle.js";
import type { Alert, Log } from "../feeder/wire.js";
import { IdentityIndex } from "../identity/containers.js";
import { validateText } from "../model/index.js";
import { computeDesired } from "../reconcile/core.js";
import { modelPort } from "../reconcile/model-port.js";
import { NoneBackend } from "../backends/none.js";
import type { World } from "../reconcile/types.js";
import { containerWorkload } from "../sources/files.js";
import { localNode } from "../sources/node.js";
import { EventPipeline, type MonitorEvent } from "./pipeline.js";

const yaml = `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata: {name: audit-passwd}
spec:
  nodeSelector: {matchLabels: {kubearmor.io/hostname: "*"}}
  severity: 4
  tags: [demo]
  process: {matchPaths: [{path: /usr/bin/passwd}]}
  action: Audit
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata: {name: block-nc}
spec:
  nodeSelector: {matchLabels: {kubearmor.io/hostname: "*"}}
  process: {matchPaths: [{path: /usr/bin/nc}]}
  action: Block
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: no-sleep, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  severity: 7
  message: no sleeping
  process: {matchPaths: [{path: /bin/sleep}]}
  action: Block
`;

function setup(monitorOnly: boolean) {
  const { policies, problems } = validateText(yaml, "t.yaml");
  assert.deepEqual(
    problems.filter(p => p.level === "error"),
    [],
  );
  const node = localNode("node1");
  const ctr = {
    containerId: "a".repeat(64),
    name: "app",
    image: "docker.io/library/busybox:1.35",
    podName: "web-0",
    podNamespace: "shop",
    labels: { app: "web" },
    cgroupId: 4242n,
    pid: 999,
  };
  const world: World = {
    policies,
    node,
    workloads: [{ kind: "host", id: "host:node1", node }, containerWorkload(ctr)],
  };
  const desired = computeDesired(world, modelPort(), new NoneBackend());
  const index = new IdentityIndex();
  index.update([ctr]);
  const alerts: Alert[] = [];
  const logs: Log[] = [];
  const p = new EventPipeline({
    clusterName: "default",
    hostName: "node1",
    index,
    hostWorkloadId: "host:node1",
    effective: () =>
      new Map(
        [...desired.workloads].map(([id, st]) => [id, { workload: st.workload, effective: st.effective! }]),
      ),
    label: { activeEnforcer: monitorOnly ? "none" : "AppArmor" },
    monitorOnly,
    throttle: new AlertThrottle(),
    publishAlert: a => alerts.push(a),
    publishLog: l => logs.push(l),
  });
  return { p, alerts, logs };
}

const exec = (path: string, extra: Partial<MonitorEvent> = {}): MonitorEvent => ({
  timeMs: 1_700_000_000_000,
  hostPid: process.pid,
  hostPpid: process.ppid,
  uid: 0,
  processName: path,
  parentProcessName: "/usr/bin/bash",
  operation: "process",
  path,
  retval: 0,
  reporter: "eBPF Monitor",
  syscall: "SYS_EXECVE",
  ...extra,
});

test("an Audit host policy turns a monitored exec into an Audit MatchedHostPolicy alert", () => {
  const { p, alerts } = setup(true);
  const out = p.handle(exec("/usr/bin/passwd"));
  assert.equal(out.kind, "alert");
  assert.equal(alerts.length, 1);
  const a = alerts[0]!;
  assert.equal(a.Type, "MatchedHostPolicy");
  assert.equal(a.PolicyName, "audit-passwd");
  assert.equal(a.Action, "Audit");
  assert.equal(a.Operation, "Process");
  assert.equal(a.Resource, "/usr/bin/passwd");
  assert.equal(a.Source, "/usr/bin/bash");
  assert.equal(a.Result, "Passed");
  assert.equal(a.HostName, "node1");
  assert.equal(a.Severity, "4");
  assert.equal(a.Tags, "demo");
});

test("--enforcer none: a Block rule is reported as Audit (Block), nothing else matched is silent", () => {
  const { p, alerts, logs } = setup(true);
  p.handle(exec("/usr/bin/nc"));
  assert.equal(alerts.at(-1)!.Action, "Audit (Block)");
  assert.equal(alerts.at(-1)!.PolicyName, "block-nc");
  p.handle(exec("/usr/bin/true"));
  assert.equal(alerts.length, 1);
  assert.equal(logs.length, 0, "host visibility is off by default");
});

test("an enforcing backend: a Block rule whose syscall succeeded is reported as Audit (Block)", () => {
  const { p, alerts } = setup(false);
  p.handle(exec("/usr/bin/nc", { retval: -13 }));
  assert.equal(alerts.at(-1)!.Action, "Block");
  assert.equal(alerts.at(-1)!.Result, "Permission denied");
  p.handle(exec("/usr/bin/nc", { retval: 0 }));
  assert.equal(alerts.at(-1)!.Action, "Audit (Block)", "the kernel let it through: not a Block");
  assert.equal(alerts.at(-1)!.Result, "Passed");
});

test("a container event (by cgroup id) carries the container identity", () => {
  const { p, alerts } = setup(false);
  p.handle(exec("/bin/sleep", { cgroupId: 4242n, pid: 7, ppid: 1, retval: -13, reporter: "eBPF Monitor" }));
  const a = alerts.at(-1)!;
  assert.equal(a.Type, "MatchedPolicy");
  assert.equal(a.Action, "Block");
  assert.equal(a.Enforcer, "AppArmor");
  assert.equal(a.Result, "Permission denied");
  assert.equal(a.NamespaceName, "shop");
  assert.equal(a.PodName, "web-0");
  assert.equal(a.ContainerName, "app");
  assert.equal(a.ContainerID, "a".repeat(64));
  assert.equal(a.ContainerImage, "docker.io/library/busybox:1.35");
  assert.equal(a.Labels, "app=web");
  assert.deepEqual(a.Owner, { Ref: "Pod", Name: "web-0", Namespace: "shop" });
  assert.equal(a.PID, 7);
  assert.equal(a.HostPID, process.pid);
  assert.equal(a.Message, "no sleeping");
});
