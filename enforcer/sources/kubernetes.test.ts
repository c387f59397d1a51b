// SPDX-License-Identifier: Apache-2.0
// Pure parts of the Kubernetes source (the watches themselves run against a real API server in
// test/host-daemon/kubernetes.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { podInfo, reportEntries } from "./kubernetes.js";
import type { PolicyResult } from "../reconcile/types.js";

test("pods: ReplicaSet owners collapse to their Deployment; containers and node carried over", () => {
  const p = podInfo({
    metadata: {
      name: "web-7c9d-x",
      namespace: "shop",
      labels: { app: "web", "pod-template-hash": "7c9d" },
      annotations: { a: "b" },
      ownerReferences: [{ kind: "ReplicaSet", name: "web-7c9d", controller: true }],
    },
    spec: { nodeName: "n1", containers: [{ name: "app", image: "busybox:1.35" }, { name: "side" }] },
  });
  assert.deepEqual(p.owner, { kind: "Deployment", name: "web" });
  assert.deepEqual(p.containers, [{ name: "app", image: "busybox:1.35" }, { name: "side" }]);
  assert.equal(p.nodeName, "n1");
  assert.deepEqual(
    podInfo({
      metadata: {
        name: "j",
        namespace: "x",
        ownerReferences: [{ kind: "Job", name: "j1", controller: true }],
      },
    }).owner,
    { kind: "Job", name: "j1" },
  );
  assert.equal(podInfo({ metadata: { name: "bare", namespace: "x" } }).owner, undefined);
});

test("node report: one entry per policy, Failed when any workload failed, counts not names", () => {
  const r = (name: string, workload: string, status: PolicyResult["status"], reason = ""): PolicyResult => ({
    policy: { kind: "KubeArmorPolicy", name, namespace: "shop" },
    workload,
    node: "n1",
    backend: "bpf",
    status,
    reason,
  });
  const entries = reportEntries(
    [
      r("a", "container:shop/p1/c", "Applied"),
      r("a", "container:shop/p2/c", "Failed", "map full"),
      r("b", "container:shop/p1/c", "Applied"),
    ],
    new Map([["KubeArmorPolicy/shop/a", 3]]),
  );
  assert.deepEqual(entries, [
    {
      kind: "KubeArmorPolicy",
      namespace: "shop",
      name: "a",
      generation: 3,
      state: "Failed",
      reason: "1/2 workloads failed: map full",
      workloads: 2,
    },
    { kind: "KubeArmorPolicy", namespace: "shop", name: "b", state: "Applied", workloads: 1 },
  ]);
});
