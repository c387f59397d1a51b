// SPDX-License-Identifier: Apache-2.0
//
// Pod and Namespace mutation through the real API server. Nodes are created by hand (no
// kubelet); pods are stored but never run. The webhook decides from its in-memory node view.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { eventually, getJson, haveCluster, kubectl, kubectlOk } from "./kube.js";

const skip = haveCluster();
const NS = "pods-e2e";
const AA = "node-apparmor-1";
const BPF = "node-bpf-1";

interface Pod {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    containers: Array<{
      name: string;
      securityContext?: { appArmorProfile?: { type: string; localhostProfile?: string } };
    }>;
  };
}

function node(name: string, enforcer: string, extra: Record<string, string> = {}): object {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { "kubernetes.io/hostname": name, "kubearmor.io/enforcer": enforcer, ...extra },
    },
  };
}

function pod(name: string, spec: Record<string, unknown>, meta: Record<string, unknown> = {}): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, ...meta },
    spec: {
      containers: [
        { name: "app", image: "busybox" },
        { name: "sidecar", image: "busybox" },
      ],
      ...spec,
    },
  };
}

/** Create for real and return the stored object. */
function create(obj: object): Pod {
  return JSON.parse(kubectlOk(["create", "-o", "json", "-f", "-"], JSON.stringify(obj))) as Pod;
}

function profiles(p: Pod): Record<string, string | undefined> {
  return Object.fromEntries(
    p.spec.containers.map(c => [
      c.name,
      c.securityContext?.appArmorProfile
        ? `${c.securityContext.appArmorProfile.type}:${c.securityContext.appArmorProfile.localhostProfile ?? ""}`
        : undefined,
    ]),
  );
}

describe("pod mutation", { skip }, () => {
  before(async () => {
    kubectlOk(["create", "namespace", NS]);
    kubectlOk(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [node(AA, "apparmor", { zone: "aa" }), node(BPF, "bpf")],
      }),
    );
    // The webhook learns nodes from its watch: wait until a dry-run pod on the AppArmor node is mutated.
    await eventually("the webhook to see the AppArmor node", () => {
      const p = JSON.parse(
        kubectlOk(
          ["create", "--dry-run=server", "-o", "json", "-f", "-"],
          JSON.stringify(pod("probe", { nodeName: AA })),
        ),
      ) as Pod;
      return profiles(p).app ? true : undefined;
    });
  });
  after(() => {
    kubectl(["delete", "pods", "--all", "-n", NS, "--grace-period=0", "--force", "--wait=false"]);
    kubectl(["delete", "node", AA, BPF, "node-apparmor-2", "--ignore-not-found", "--wait=false"]);
  });

  test("a Deployment's pod on an AppArmor node gets Localhost profiles named after the Deployment", () => {
    const p = create(
      pod(
        "web-7d4f9c6b5-x2x9q",
        { nodeName: AA },
        {
          labels: { app: "web", "pod-template-hash": "7d4f9c6b5" },
          ownerReferences: [
            {
              apiVersion: "apps/v1",
              kind: "ReplicaSet",
              name: "web-7d4f9c6b5",
              uid: "6c3f2f1e-0000-4000-8000-000000000001",
              controller: true,
            },
          ],
        },
      ),
    );
    assert.deepEqual(profiles(p), {
      app: `Localhost:rampart-${NS}-web-app`,
      sidecar: `Localhost:rampart-${NS}-web-sidecar`,
    });
    assert.equal(p.metadata.annotations?.["kubearmor-policy"], "enabled");
    assert.equal(p.metadata.annotations?.["kubearmor-visibility"], "process,file,network,capabilities");
  });

  test("a pod on a BPF node gets no AppArmor profile but the KubeArmor default annotations", () => {
    const p = create(pod("on-bpf", { nodeName: BPF }));
    assert.deepEqual(profiles(p), { app: undefined, sidecar: undefined });
    assert.equal(p.metadata.annotations?.["kubearmor-policy"], "enabled");
    assert.equal(p.metadata.annotations?.["kubearmor-visibility"], "process,file,network,capabilities");
    assert.ok(!Object.keys(p.metadata.annotations ?? {}).some(k => k.startsWith("container.apparmor")));
  });

  test("an existing profile (unconfined) is never overridden; other containers still get theirs", () => {
    const p = create(
      pod("keeps-unconfined", {
        nodeName: AA,
        containers: [
          { name: "app", image: "busybox", securityContext: { appArmorProfile: { type: "Unconfined" } } },
          { name: "sidecar", image: "busybox" },
        ],
      }),
    );
    assert.deepEqual(profiles(p), {
      app: "Unconfined:",
      sidecar: `Localhost:rampart-${NS}-keeps-unconfined-sidecar`,
    });
  });

  test("kubearmor-policy: a valid value is kept, an invalid one becomes enabled", () => {
    const kept = create(
      pod(
        "audited",
        { nodeName: BPF },
        { annotations: { "kubearmor-policy": "audited", "kubearmor-visibility": "none" } },
      ),
    );
    assert.equal(kept.metadata.annotations?.["kubearmor-policy"], "audited");
    assert.equal(kept.metadata.annotations?.["kubearmor-visibility"], "none");
    const fixed = create(
      pod("bogus-state", { nodeName: BPF }, { annotations: { "kubearmor-policy": "sometimes" } }),
    );
    assert.equal(fixed.metadata.annotations?.["kubearmor-policy"], "enabled");
  });

  test("Rampart's own pods are audited and never confined", () => {
    const p = create(pod("rampart-agent", { nodeName: AA }, { labels: { "rampart.dev/component": "node" } }));
    assert.deepEqual(profiles(p), { app: undefined, sidecar: undefined });
    assert.equal(p.metadata.annotations?.["kubearmor-policy"], "audited");
  });

  test("unscheduled pods: confined only when every node their nodeSelector and node affinity admit is an AppArmor node", () => {
    const pinned = create(pod("unscheduled-aa", { nodeSelector: { zone: "aa" } }));
    assert.deepEqual(profiles(pinned), {
      app: `Localhost:rampart-${NS}-unscheduled-aa-app`,
      sidecar: `Localhost:rampart-${NS}-unscheduled-aa-sidecar`,
    });
    const affinity = create(
      pod("unscheduled-affinity", {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [{ key: "kubearmor.io/enforcer", operator: "In", values: ["apparmor"] }],
                },
              ],
            },
          },
        },
      }),
    );
    assert.equal(profiles(affinity).app, `Localhost:rampart-${NS}-unscheduled-affinity-app`);
    const anywhere = create(pod("unscheduled-any", {}));
    assert.deepEqual(profiles(anywhere), { app: undefined, sidecar: undefined });
  });

  test("a node labelled later is picked up from the watch", async () => {
    kubectlOk(["apply", "-f", "-"], JSON.stringify(node("node-apparmor-2", "apparmor")));
    const p = await eventually("the new node in the webhook's view", () => {
      const r = JSON.parse(
        kubectlOk(
          ["create", "--dry-run=server", "-o", "json", "-f", "-"],
          JSON.stringify(pod("late", { nodeName: "node-apparmor-2" })),
        ),
      ) as Pod;
      return profiles(r).app ? r : undefined;
    });
    assert.equal(profiles(p).app, `Localhost:rampart-${NS}-late-app`);
  });
});

describe("namespace posture normalization", { skip }, () => {
  after(() => {
    kubectl(["delete", "namespace", "posture-e2e", "posture-ok", "--wait=false"]);
  });

  test("invalid posture values are rewritten to the global default, with a warning", () => {
    const ns = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: "posture-e2e",
        annotations: { "kubearmor-file-posture": "blok", "kubearmor-network-posture": "block" },
      },
    };
    const r = kubectl(["create", "-f", "-"], JSON.stringify(ns));
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /Warning: namespace posture-e2e: metadata\.annotations\[kubearmor-file-posture\]: invalid value "blok" \(expected audit or block\); rewritten to the global default "audit"/,
    );
    const stored = getJson<{ metadata: { annotations: Record<string, string> } }>([
      "get",
      "namespace",
      "posture-e2e",
    ]);
    assert.equal(stored.metadata.annotations["kubearmor-file-posture"], "audit");
    assert.equal(stored.metadata.annotations["kubearmor-network-posture"], "block");
  });

  test("an update to an invalid value is rewritten too", () => {
    const r = kubectl([
      "annotate",
      "--overwrite",
      "namespace",
      "posture-e2e",
      "kubearmor-capabilities-posture=Block",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /kubearmor-capabilities-posture\]: invalid value "Block"/);
    const stored = getJson<{ metadata: { annotations: Record<string, string> } }>([
      "get",
      "namespace",
      "posture-e2e",
    ]);
    assert.equal(stored.metadata.annotations["kubearmor-capabilities-posture"], "audit");
  });

  test("valid postures pass without warnings", () => {
    const ns = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "posture-ok", annotations: { "kubearmor-file-posture": "block" } },
    };
    const r = kubectl(["create", "-f", "-"], JSON.stringify(ns));
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Warning/);
  });
});
