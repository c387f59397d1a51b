// SPDX-License-Identifier: Apache-2.0
//
// The deployable bundle against the real API server: `kubectl apply --dry-run=server -k
// manifests/` (what Argo CD / Flux sync), the Helm chart rendered by a real helm (when one is
// built/installed) and checked to match the kustomize objects, and the security properties we
// promise (no key material, no wildcard RBAC, no privileged containers).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { haveCluster, kubectl, kubectlOk } from "./kube.js";

const ROOT = join(import.meta.dirname, "..", "..");
const skip = haveCluster();
type Obj = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

function docs(text: string): Obj[] {
  return parseAllDocuments(text)
    .map(d => d.toJS() as Obj | null)
    .filter((o): o is Obj => !!o);
}

function helmBinary(): string | undefined {
  const cached = join(process.env.RAMPART_CACHE ?? "/var/cache/rampart", "helm", "v3.19.0", "bin", "helm");
  if (existsSync(cached)) return cached;
  const r = spawnSync("sh", ["-c", "command -v helm"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

describe("deployment bundle", { skip }, () => {
  let bundle: Obj[] = [];
  before(() => {
    const r = spawnSync("bash", ["manifests/build.sh"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, RAMPART_SKIP_PEPR_BUILD: "1" },
    });
    assert.equal(r.status, 0, r.stderr);
    bundle = docs(kubectlOk(["kustomize", join(ROOT, "manifests")]));
  });

  test("kubectl apply --dry-run=server -k manifests/ is accepted by the API server", () => {
    const r = kubectl([
      "apply",
      "--dry-run=server",
      "--server-side",
      "--force-conflicts",
      "--field-manager=rampart-e2e",
      "-k",
      join(ROOT, "manifests"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    for (const kind of [
      "DaemonSet",
      "Deployment",
      "MutatingWebhookConfiguration",
      "ValidatingWebhookConfiguration",
      "CustomResourceDefinition",
      "Service",
    ]) {
      assert.ok(
        bundle.some(o => o.kind === kind),
        `no ${kind} in the bundle`,
      );
    }
  });

  test("no key material, no caBundle, no TLS or API-path Secret in the bundle", () => {
    const text = kubectlOk(["kustomize", join(ROOT, "manifests")]);
    assert.doesNotMatch(text, /PRIVATE KEY|tls\.key|caBundle/);
    assert.ok(
      !bundle.some(
        o => o.kind === "Secret" && ["pepr-rampart-tls", "pepr-rampart-api-path"].includes(o.metadata.name),
      ),
    );
  });

  test("RBAC is scoped: no wildcard rules, no cluster-admin binding", () => {
    for (const o of bundle.filter(x => x.kind === "ClusterRole" || x.kind === "Role")) {
      for (const rule of (o.rules as Array<{
        apiGroups?: string[];
        resources?: string[];
        verbs?: string[];
      }>) ?? []) {
        for (const f of [rule.apiGroups, rule.resources, rule.verbs])
          assert.ok(!f?.includes("*"), `${o.kind} ${o.metadata.name} has a wildcard`);
      }
    }
    for (const o of bundle.filter(x => x.kind === "ClusterRoleBinding" || x.kind === "RoleBinding")) {
      assert.notEqual((o.roleRef as { name: string }).name, "cluster-admin");
    }
  });

  test("the Pepr identity (the harness runs the module as it) may write policy status but not policies or Secrets", () => {
    const kc = join(process.env.RAMPART_CLUSTER_DIR ?? "/tmp/rampart-cluster", "pki", "pepr.kubeconfig");
    const can = (...args: string[]) => kubectl(["auth", "can-i", ...args], undefined, kc).stdout.trim();
    assert.equal(
      can("patch", "kubearmorpolicies.security.kubearmor.com", "--subresource=status", "-n", "default"),
      "yes",
    );
    assert.equal(can("list", "nodes"), "yes");
    assert.equal(can("patch", "kubearmorpolicies.security.kubearmor.com", "-n", "default"), "no");
    assert.equal(can("list", "secrets", "-A"), "no");
    assert.equal(can("create", "pods", "-n", "default"), "no");
  });

  test("the node DaemonSet is not privileged, has a read-only root and only named capabilities", () => {
    const ds = bundle.find(o => o.kind === "DaemonSet")!;
    const c = (
      ds as unknown as {
        spec: {
          template: {
            spec: {
              containers: Array<{
                securityContext: Record<string, unknown>;
                resources: { requests?: object; limits?: object };
              }>;
            };
          };
        };
      }
    ).spec.template.spec.containers[0]!;
    const sc = c.securityContext as {
      privileged?: boolean;
      readOnlyRootFilesystem?: boolean;
      capabilities: { drop: string[]; add: string[] };
    };
    assert.equal(sc.privileged, false);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.deepEqual(sc.capabilities.drop, ["ALL"]);
    assert.ok(!sc.capabilities.add.includes("ALL"));
    assert.ok(c.resources.requests && c.resources.limits);
  });

  test("the Pepr Deployments run the module the bundle carries (hash matches the module Secret)", () => {
    const secret = bundle.find(o => o.kind === "Secret" && o.metadata.name === "pepr-rampart-module") as
      | { data: Record<string, string> }
      | undefined;
    assert.ok(secret, "module Secret missing");
    const key = Object.keys(secret.data)[0]!;
    const hash = /^module-([0-9a-f]{64})\.js\.gz$/.exec(key)?.[1];
    assert.ok(hash, key);
    for (const d of bundle.filter(o => o.kind === "Deployment")) {
      const args = (
        d as unknown as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } }
      ).spec.template.spec.containers[0]!.args;
      assert.equal(args[1], hash, `${d.metadata.name} runs another module`);
    }
  });

  test("install-time secrets (install-secrets.sh --print) are valid for the API server", () => {
    const r = spawnSync("bash", ["manifests/install-secrets.sh", "--print"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, KUBECTL: process.env.RAMPART_KUBECTL ?? "kubectl" },
    });
    assert.equal(r.status, 0, r.stderr);
    const secrets = docs(r.stdout);
    assert.deepEqual(secrets.map(s => s.metadata.name).sort(), ["pepr-rampart-api-path", "pepr-rampart-tls"]);
    const ok = kubectl(["apply", "--dry-run=server", "-f", "-"], r.stdout);
    assert.equal(ok.code, 0, ok.stderr);
  });

  test("optional components (monitoring, cert-manager) render", () => {
    // kustomize wants relative paths: a throw-away overlay under the git-ignored .cache/.
    const dir = join(ROOT, ".cache", "kustomize-components");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "kustomization.yaml"),
      "resources: [../../manifests]\ncomponents: [../../manifests/components/monitoring, ../../manifests/components/cert-manager]\n",
    );
    const out = docs(kubectlOk(["kustomize", dir]));
    assert.ok(out.some(o => o.kind === "ServiceMonitor"));
    assert.ok(out.some(o => o.kind === "Certificate" && o.metadata.name === "pepr-rampart-tls"));
  });

  const helm = helmBinary();
  test(
    "the Helm chart renders, is accepted by the API server and matches the kustomize objects",
    {
      skip: helm
        ? false
        : "helm is not installed and not cached (test/cluster/build-k8s.sh builds it from the Go proxy)",
    },
    () => {
      const r = spawnSync(
        helm!,
        ["template", "rampart", join(ROOT, "manifests/helm/rampart"), "--include-crds"],
        { encoding: "utf8" },
      );
      assert.equal(r.status, 0, r.stderr);
      const rendered = docs(r.stdout);
      const ok = kubectl(
        [
          "apply",
          "--dry-run=server",
          "--server-side",
          "--force-conflicts",
          "--field-manager=rampart-e2e",
          "-f",
          "-",
        ],
        r.stdout,
      );
      assert.equal(ok.code, 0, ok.stderr);
      const id = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
      const fromHelm = new Map(rendered.map(o => [id(o), o]));
      for (const o of bundle) {
        const h = fromHelm.get(id(o));
        assert.ok(h, `${id(o)} missing from the Helm chart`);
        assert.deepEqual(h, o, `${id(o)} differs between Helm and kustomize`);
      }
      assert.equal(rendered.length, bundle.length, "the chart renders extra objects");
    },
  );
});
