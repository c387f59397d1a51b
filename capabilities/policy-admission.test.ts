// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { test } from "node:test";
import { decidePolicyAdmission, denialMessage } from "./policy-admission.js";

const ksp = (spec: object, name = "p") => ({
  apiVersion: "security.kubearmor.com/v1",
  kind: "KubeArmorPolicy",
  metadata: { name, namespace: "ns" },
  spec: { selector: { matchLabels: { app: "x" } }, ...spec },
});

test("valid policy: allowed without warnings", () => {
  const v = decidePolicyAdmission(
    ksp({ process: { matchPaths: [{ path: "/usr/bin/sleep" }] }, action: "Block" }),
  );
  assert.equal(v.allowed, true);
  assert.deepEqual(v.warnings, []);
});

test("invalid policy: denied with one JSON-path reason per problem", () => {
  const v = decidePolicyAdmission(
    ksp({
      capabilities: { matchCapabilities: [{ capability: "bogus,net_raw" }] },
      apparmor: "include <x>",
      action: "Block",
    }),
  );
  assert.equal(v.allowed, false);
  assert.ok(
    v.reasons.some(r => r.startsWith("spec.capabilities.matchCapabilities[0].capability: ")),
    v.reasons.join("\n"),
  );
  assert.ok(
    v.reasons.some(r => r.startsWith("spec.apparmor: ")),
    v.reasons.join("\n"),
  );
  for (const r of v.reasons) assert.ok(!r.includes("\n"));
  assert.match(
    denialMessage("KubeArmorPolicy", "ns", "p", v.reasons),
    /^Rampart rejected KubeArmorPolicy ns\/p: spec\./,
  );
});

test("non-objects and wrong kinds are denied, never thrown", () => {
  for (const o of [null, 42, "x", [], { kind: "Pod" }]) {
    const v = decidePolicyAdmission(o);
    assert.equal(v.allowed, false);
    assert.ok(v.reasons.length > 0);
  }
});

test("process allow-list without library access: warning; with /lib and /usr/lib allowed: none", () => {
  const bare = decidePolicyAdmission(
    ksp({ process: { matchPaths: [{ path: "/usr/bin/sleep" }] }, action: "Allow" }),
  );
  assert.equal(bare.allowed, true);
  assert.ok(
    bare.warnings.some(w => w.includes("shared libraries")),
    bare.warnings.join("\n"),
  );
  const withLibs = decidePolicyAdmission(
    ksp({
      process: { matchPaths: [{ path: "/usr/bin/sleep" }] },
      file: {
        matchDirectories: [
          { dir: "/lib/", recursive: true, readOnly: true },
          { dir: "/usr/lib/", recursive: true, readOnly: true },
        ],
      },
      action: "Allow",
    }),
  );
  assert.ok(!withLibs.warnings.some(w => w.includes("shared libraries")), withLibs.warnings.join("\n"));
});

test("contradictory rules: warned (by the model) and still allowed", () => {
  const v = decidePolicyAdmission(
    ksp({
      process: {
        matchPaths: [
          { path: "/bin/ls", action: "Allow" },
          { path: "/bin/ls", action: "Block" },
        ],
      },
      file: { matchDirectories: [{ dir: "/", recursive: true }] },
      action: "Allow",
    }),
  );
  assert.equal(v.allowed, true);
  assert.ok(
    v.warnings.some(w => w.includes("contradicts")),
    v.warnings.join("\n"),
  );
});

test("host allow-lists are flagged", () => {
  const v = decidePolicyAdmission({
    apiVersion: "security.kubearmor.com/v1",
    kind: "KubeArmorHostPolicy",
    metadata: { name: "h" },
    spec: {
      nodeSelector: { matchLabels: { "kubernetes.io/hostname": "n1" } },
      process: { matchPaths: [{ path: "/usr/bin/sleep" }] },
      file: { matchDirectories: [{ dir: "/", recursive: true }] },
      action: "Allow",
    },
  });
  assert.equal(v.allowed, true, v.reasons.join("\n"));
  assert.ok(
    v.warnings.some(w => w.startsWith("spec: host policy with Allow rules")),
    v.warnings.join("\n"),
  );
});

test("huge bad policies give a bounded number of reasons", () => {
  const paths = Array.from({ length: 500 }, () => ({ path: "/bin/x", fromSource: [{ dir: "no-slash" }] }));
  const v = decidePolicyAdmission(ksp({ process: { matchPaths: paths }, action: "Block" }));
  assert.equal(v.allowed, false);
  assert.ok(v.reasons.length <= 51, String(v.reasons.length));
});
