// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  MAX_NODE_ENTRIES,
  MAX_STATUS_TEXT,
  StatusAggregator,
  aggregatePolicyStatus,
  policyKey,
  reportFromObject,
  type NodeReport,
} from "./policy-status.js";

const K = policyKey("KubeArmorPolicy", "ns", "p");
const entry = (state: "Applied" | "Failed", reason?: string) => ({
  kind: "KubeArmorPolicy" as const,
  namespace: "ns",
  name: "p",
  state,
  ...(reason ? { reason } : {}),
});

test("no reports: Pending; all applied; failures listed first with reasons", () => {
  assert.match(aggregatePolicyStatus(K, []).status, /^Pending/);
  const ok = aggregatePolicyStatus(K, [
    { node: "a", policies: [entry("Applied")] },
    { node: "b", policies: [entry("Applied")] },
  ]);
  assert.equal(ok.status, "Applied on 2/2 nodes: a, b");
  const mixed = aggregatePolicyStatus(K, [
    { node: "a", policies: [entry("Applied")] },
    { node: "b", policies: [entry("Failed", "parser\nerror")] },
  ]);
  assert.equal(mixed.status, "Failed on 1/2 nodes: b: parser error; applied on 1: a");
  assert.deepEqual(
    mixed.nodes.map(n => n.node),
    ["b", "a"],
  );
});

test("only entries for the policy count; other kinds/namespaces with the same name are separate", () => {
  const r: NodeReport = {
    node: "a",
    policies: [
      { kind: "KubeArmorPolicy", namespace: "other", name: "p", state: "Failed" },
      { kind: "KubeArmorClusterPolicy", name: "p", state: "Failed" },
    ],
  };
  assert.match(aggregatePolicyStatus(K, [r]).status, /^Pending/);
});

test("size stays bounded for any number of nodes and reasons (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 2000 })), { maxLength: 300 }),
      nodes => {
        const reports = nodes.map(([ok, reason], i) => ({
          node: `node-${i}`,
          policies: [entry(ok ? "Applied" : "Failed", reason)],
        }));
        const s = aggregatePolicyStatus(K, reports);
        assert.ok(s.status.length <= MAX_STATUS_TEXT);
        assert.ok(s.nodes.length <= MAX_NODE_ENTRIES);
        assert.equal(s.nodes.length + s.omittedNodes, nodes.length);
        assert.equal(s.applied + s.failed, nodes.length);
        assert.ok(!s.status.includes("\n"));
      },
    ),
    { numRuns: 100 },
  );
});

test("reportFromObject ignores malformed entries", () => {
  const r = reportFromObject({
    metadata: { name: "n1" },
    spec: {
      nodeName: "n1",
      policies: [
        entry("Applied"),
        { kind: "Pod", name: "x", state: "Applied" },
        { kind: "KubeArmorPolicy", name: "y", state: "Maybe" },
        null,
        3,
      ],
    },
  });
  assert.deepEqual(
    r?.policies.map(p => p.name),
    ["p"],
  );
  assert.equal(reportFromObject(null), undefined);
});

test("the aggregator recomputes affected keys and skips unchanged statuses", () => {
  const agg = new StatusAggregator();
  assert.deepEqual(agg.update("a", { node: "a", policies: [entry("Applied")] }), [K]);
  const s = agg.pending(K)!;
  assert.equal(s.status, "Applied on 1/1 nodes: a");
  agg.markWritten(K, s);
  assert.equal(agg.pending(K), undefined);
  assert.deepEqual(agg.update("a", undefined), [K], "deleting a report recomputes its policies");
  assert.match(agg.pending(K)!.status, /^Pending/);
});
