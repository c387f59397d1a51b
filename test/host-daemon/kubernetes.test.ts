// SPDX-License-Identifier: Apache-2.0
//
// `rampart run` in Kubernetes mode against a REAL kube-apiserver + etcd (test/cluster/up.sh
// --no-webhook, private ports and state dir): policies, pods on this node, namespaces and the
// Node are watched; the AppArmor backend (compile-only: this kernel has no AppArmor) writes one
// profile per workload; the node report and the enforcer label are written; deletions converge;
// with the API server gone the last applied state stays. No kubelet: pods exist only as API objects.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { privatePlaneUnavailable, startPrivatePlane, type PrivatePlane } from "../cluster/private-plane.js";

const ROOT = join(__dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "rampart-k8s-daemon-"));
let plane: PrivatePlane | undefined;
let kubectlBin = "";
let kubeconfig = "";
let daemon: ChildProcess | undefined;
let failed = true;

function why(): string | null {
  try {
    execFileSync("apparmor_parser", ["--version"], { stdio: "ignore" });
  } catch {
    return "apparmor_parser not installed";
  }
  return privatePlaneUnavailable();
}
const skip = why();

const kubectl = (args: string[], input?: string): string =>
  execFileSync(kubectlBin, args, {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    input,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
  });

async function until<T>(what: string, f: () => T | undefined | false, ms = 60_000): Promise<T> {
  let last: unknown;
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise(r => setTimeout(r, 250))) {
    try {
      const v = f();
      if (v) return v;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

before(async () => {
  if (skip) return;
  plane = await startPrivatePlane(join(work, "cluster"));
  kubectlBin = plane.kubectl;
  kubeconfig = plane.kubeconfig;
});

after(() => {
  if (daemon && daemon.exitCode === null) daemon.kill("SIGKILL");
  plane?.stop();
  if (failed && existsSync(join(work, "daemon.log"))) {
    process.stderr.write(
      readFileSync(join(work, "daemon.log"), "utf8")
        .split("\n")
        .filter(l => !l.includes('"debug"'))
        .slice(-25)
        .join("\n") + "\n",
    );
  }
  rmSync(work, { recursive: true, force: true });
});

const OBJECTS = `apiVersion: v1
kind: Node
metadata: {name: node-k, labels: {kubernetes.io/hostname: node-k}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7c9d-abcde
  namespace: shop
  labels: {app: web, pod-template-hash: 7c9d}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7c9d, uid: 11111111-1111-1111-1111-111111111111, controller: true}]
spec: {nodeName: node-k, containers: [{name: app, image: busybox:1.35}]}
---
apiVersion: v1
kind: Pod
metadata: {name: elsewhere, namespace: shop, labels: {app: web}}
spec: {nodeName: node-other, containers: [{name: app, image: busybox:1.35}]}
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: no-sleep, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  process: {matchPaths: [{path: /bin/sleep}]}
  action: Block
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata: {name: host-audit}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: node-k}}
  process: {matchPaths: [{path: /usr/bin/passwd}]}
  action: Audit
`;

test(
  "Kubernetes mode: watches → profiles, node report, enforcer label; converges on deletes; survives API loss",
  { skip: skip ?? false, timeout: 240_000 },
  async () => {
    kubectl(["apply", "-f", "-"], OBJECTS);
    const aa = join(work, "apparmor");
    const logFile = join(work, "daemon.log");
    const fd = openSync(logFile, "a");
    daemon = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "enforcer/cli/main.ts"),
        "run",
        "--kubeconfig",
        kubeconfig,
        "--node-name",
        "node-k",
        "--enforcer",
        "apparmor",
        "--apparmor-compile-only",
        "--apparmor-dir",
        aa,
        "--no-monitor",
        "--grpc",
        "127.0.0.1:0",
        "--resync",
        "2",
        "--containerd-socket",
        join(work, "none.sock"),
        "--log-level",
        "debug",
      ],
      { cwd: ROOT, stdio: ["ignore", fd, fd] },
    );
    closeSync(fd);
    const profiles = () =>
      existsSync(aa)
        ? readdirSync(aa)
            .filter(f => !f.startsWith("."))
            .sort()
        : [];
    await until(
      "profiles for the node's pod (owner = Deployment) and the host",
      () => profiles().join(",") === "rampart-shop-web-app,rampart.host",
    );
    assert.match(readFileSync(join(aa, "rampart-shop-web-app"), "utf8"), /deny "?\/bin\/sleep"? x,/);

    type Report = {
      spec: {
        nodeName: string;
        enforcer: string;
        policies: Array<{
          kind: string;
          name: string;
          namespace?: string;
          state: string;
          workloads: number;
          generation?: number;
        }>;
      };
    };
    const report = (): Report => JSON.parse(kubectl(["get", "rampartnodereports", "node-k", "-o", "json"]));
    const r1 = await until("node report with both policies", () =>
      report().spec.policies.length === 2 ? report() : undefined,
    );
    assert.equal(r1.spec.enforcer, "apparmor");
    assert.deepEqual(
      r1.spec.policies.map(p => [p.kind, p.namespace ?? "", p.name, p.state, p.workloads, p.generation]),
      [
        ["KubeArmorHostPolicy", "", "host-audit", "Applied", 1, 1],
        ["KubeArmorPolicy", "shop", "no-sleep", "Applied", 1, 1],
      ],
    );
    assert.equal(
      JSON.parse(kubectl(["get", "node", "node-k", "-o", "json"])).metadata.labels["kubearmor.io/enforcer"],
      "apparmor",
    );

    // Policy deleted: the container keeps a (default) profile without the rule; the report drops it.
    kubectl(["delete", "ksp", "-n", "shop", "no-sleep"]);
    await until(
      "profile without the deleted rule",
      () => !/\/bin\/sleep/.test(readFileSync(join(aa, "rampart-shop-web-app"), "utf8")),
    );
    await until(
      "report without the deleted policy",
      () =>
        report()
          .spec.policies.map(p => p.name)
          .join(",") === "host-audit",
    );

    // Pod deleted: its profile is removed.
    kubectl(["delete", "pod", "-n", "shop", "web-7c9d-abcde", "--grace-period=0", "--force"]);
    await until("the deleted pod's profile removed", () => profiles().join(",") === "rampart.host");

    // API server gone: nothing is removed; the daemon keeps running on its caches.
    plane!.stop();
    await new Promise(r => setTimeout(r, 6000));
    assert.deepEqual(
      profiles(),
      ["rampart.host"],
      "the last applied state stays while the API server is unreachable",
    );
    assert.equal(daemon.exitCode, null, "the daemon keeps running");
    daemon.kill("SIGTERM");
    assert.equal(await new Promise<number>(res => daemon!.on("exit", c => res(c ?? -1))), 0);
    failed = false;
  },
);
