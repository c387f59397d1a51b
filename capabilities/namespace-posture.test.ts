// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { test } from "node:test";
import { postureRewrites, postureWarning } from "./namespace-posture.js";

test("only invalid posture values are rewritten, to the configured default of their category", () => {
  assert.deepEqual(postureRewrites(undefined), []);
  assert.deepEqual(
    postureRewrites({ "kubearmor-file-posture": "block", "kubearmor-network-posture": "audit" }),
    [],
  );
  assert.deepEqual(
    postureRewrites(
      {
        "kubearmor-file-posture": "Block",
        "kubearmor-network-posture": "",
        "kubearmor-capabilities-posture": "allow",
        other: "x",
      },
      { file: "block", network: "audit", capabilities: "audit" },
    ),
    [
      { key: "kubearmor-file-posture", from: "Block", to: "block" },
      { key: "kubearmor-network-posture", from: "", to: "audit" },
      { key: "kubearmor-capabilities-posture", from: "allow", to: "audit" },
    ],
  );
});

test("the warning is one line and bounded", () => {
  const w = postureWarning("ns", { key: "kubearmor-file-posture", from: "a\nb".repeat(100), to: "audit" });
  assert.ok(!w.includes("\n") && w.length < 300, w);
  assert.match(w, /rewritten to the global default "audit"/);
});
