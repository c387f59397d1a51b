// SPDX-License-Identifier: Apache-2.0
//
// Policy admission against the real kube-apiserver with the Rampart webhook registered:
// good policies are accepted (with warnings where risky), bad ones are denied with the JSON
// path of every problem, by the CRD schema or by the webhook.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { validateText } from "../../enforcer/model/index.js";
import { haveCluster, kubectl, kubectlOk } from "./kube.js";

const ROOT = join(import.meta.dirname, "..", "..");
const skip = haveCluster();
const WEBHOOK = 'admission webhook "pepr-rampart.pepr.dev" denied the request';

function yamlFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter(f => f.endsWith(".yaml"))
    .sort()
    .map(f => join(dir, f));
}

describe("policy admission", { skip }, () => {
  const applied: string[] = [];
  before(() => {
    // The examples live in KubeArmor's demo namespaces: create every namespace they name.
    const names = new Set(["policy-e2e"]);
    for (const f of [
      ...yamlFiles("examples/policies"),
      ...yamlFiles("examples/host"),
      ...yamlFiles("examples/invalid"),
    ]) {
      for (const m of readFileSync(join(ROOT, f), "utf8").matchAll(/^\s+namespace:\s*["']?([a-z0-9-]+)/gm))
        names.add(m[1]!);
    }
    for (const ns of names) {
      if (kubectl(["get", "namespace", ns]).code !== 0) kubectlOk(["create", "namespace", ns]);
    }
  });
  after(() => {
    for (const f of applied) kubectl(["delete", "--ignore-not-found", "--wait=false", "-f", join(ROOT, f)]);
  });

  for (const file of [...yamlFiles("examples/policies"), ...yamlFiles("examples/host")]) {
    test(`accepts ${file}`, () => {
      const r = kubectl(["apply", "-f", join(ROOT, file)]);
      assert.equal(r.code, 0, `apply ${file} failed: ${r.stderr}`);
      applied.push(file);
      // Whatever the model warns about, kubectl shows as "Warning: <path>: ...".
      const { problems } = validateText(readFileSync(join(ROOT, file), "utf8"), file);
      for (const p of problems.filter(x => x.level === "warning")) {
        assert.match(r.stderr, new RegExp(`Warning: ${escape(p.path)}`), `warning for ${p.path} not shown`);
      }
    });
  }

  for (const file of yamlFiles("examples/invalid")) {
    const text = readFileSync(join(ROOT, file), "utf8");
    const { problems } = validateText(text, file);
    const errors = problems.filter(p => p.level === "error");
    if (errors.length === 0) {
      test(`${file}: valid but risky, accepted with warnings`, () => {
        const r = kubectl(["apply", "--dry-run=server", "-f", join(ROOT, file)]);
        assert.equal(r.code, 0, r.stderr);
        for (const p of problems) assert.match(r.stderr, new RegExp(`Warning: ${escape(p.path)}`));
      });
      continue;
    }
    test(`denies ${file} with the problem paths`, () => {
      const r = kubectl(["apply", "--dry-run=server", "-f", join(ROOT, file)]);
      assert.notEqual(r.code, 0, `${file} was accepted`);
      const out = r.stderr;
      if (out.includes(WEBHOOK)) {
        // Denied by Rampart: every error the model finds is in the message, one per reason.
        for (const p of errors)
          assert.ok(
            out.includes(`${p.path}: ${p.message}`),
            `missing reason ${p.path}: ${p.message}\n${out}`,
          );
      } else {
        // Denied earlier (YAML parse error in kubectl, strict decoding, or the CRD schema): the
        // reason still names at least one of the paths the model reports.
        const named = errors.filter(p => p.path && out.includes(p.path));
        assert.ok(named.length > 0 || errors.some(p => p.path === ""), `no model error path in: ${out}`);
      }
    });
  }

  const webhookOnly: Array<{ name: string; doc: object; reason: string }> = [
    {
      name: "KubeArmorPolicy with unsafe spec.apparmor",
      doc: {
        apiVersion: "security.kubearmor.com/v1",
        kind: "KubeArmorPolicy",
        metadata: { name: "bad-apparmor-inline", namespace: "policy-e2e" },
        spec: {
          selector: { matchLabels: { app: "x" } },
          apparmor: "include <abstractions/base>",
          action: "Block",
        },
      },
      reason: "spec.apparmor: line 1: include directives are not allowed",
    },
    {
      name: "KubeArmorClusterPolicy with an unknown capability in a comma list",
      doc: {
        apiVersion: "security.kubearmor.com/v1",
        kind: "KubeArmorClusterPolicy",
        metadata: { name: "bad-csp" },
        spec: {
          selector: { matchExpressions: [{ key: "namespace", operator: "In", values: ["policy-e2e"] }] },
          capabilities: { matchCapabilities: [{ capability: "bogus_cap,net_raw" }] },
          action: "Block",
        },
      },
      reason: 'spec.capabilities.matchCapabilities[0].capability: unknown capability "bogus_cap"',
    },
    {
      name: "KubeArmorHostPolicy with an unknown protocol in a comma list",
      doc: {
        apiVersion: "security.kubearmor.com/v1",
        kind: "KubeArmorHostPolicy",
        metadata: { name: "bad-hsp" },
        spec: {
          nodeSelector: { matchLabels: { "kubernetes.io/hostname": "n1" } },
          network: {
            matchProtocols: [{ protocol: "carrier-pigeon,tcp", fromSource: [{ path: "/usr/bin/curl" }] }],
          },
          action: "Block",
        },
      },
      reason: 'spec.network.matchProtocols[0].protocol: unknown protocol "carrier-pigeon"',
    },
  ];
  for (const c of webhookOnly) {
    test(`webhook denies ${c.name} (create)`, () => {
      const r = kubectl(["create", "-f", "-"], JSON.stringify(c.doc));
      assert.notEqual(r.code, 0);
      assert.ok(r.stderr.includes(WEBHOOK), r.stderr);
      assert.ok(r.stderr.includes(c.reason), `expected "${c.reason}" in ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, "the denial is one line");
    });
  }

  test("webhook denies an update that breaks a stored policy, and keeps the old one", () => {
    const good = {
      apiVersion: "security.kubearmor.com/v1",
      kind: "KubeArmorPolicy",
      metadata: { name: "update-me", namespace: "policy-e2e" },
      spec: {
        selector: { matchLabels: { app: "x" } },
        process: { matchPaths: [{ path: "/usr/bin/sleep" }] },
        action: "Block",
      },
    };
    kubectlOk(["apply", "-f", "-"], JSON.stringify(good));
    const bad = {
      ...good,
      spec: { ...good.spec, capabilities: { matchCapabilities: [{ capability: "nope,net_raw" }] } },
    };
    const r = kubectl(["apply", "-f", "-"], JSON.stringify(bad));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown capability "nope"/);
    const stored = JSON.parse(kubectlOk(["get", "ksp", "-n", "policy-e2e", "update-me", "-o", "json"])) as {
      spec: object;
    };
    assert.deepEqual(stored.spec, good.spec);
    kubectlOk(["delete", "ksp", "-n", "policy-e2e", "update-me"]);
  });

  test("risky-but-valid: process allow-list without library reads is accepted with a warning", () => {
    const doc = {
      apiVersion: "security.kubearmor.com/v1",
      kind: "KubeArmorPolicy",
      metadata: { name: "allow-sleep-only", namespace: "policy-e2e" },
      spec: {
        selector: { matchLabels: { app: "x" } },
        process: { matchPaths: [{ path: "/usr/bin/sleep" }] },
        action: "Allow",
      },
    };
    const r = kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(doc));
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /Warning: spec\.process\.matchPaths\[0\]: process allow-list \(e\.g\. \/usr\/bin\/sleep\) but no file Allow rule/,
    );
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
