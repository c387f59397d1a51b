// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryNodeView } from "./node-view.js";
import {
  applyPodPlan,
  nodeChoice,
  ownerName,
  planPodMutation,
  termMatches,
  type PodLike,
} from "./pod-mutation.js";

const nodes = new MemoryNodeView([
  { name: "aa1", labels: { "kubearmor.io/enforcer": "apparmor", zone: "a" } },
  { name: "aa2", labels: { "kubearmor.io/enforcer": "apparmor", zone: "a" } },
  { name: "bpf1", labels: { "kubearmor.io/enforcer": "bpf", zone: "b" } },
  { name: "plain", labels: {} },
]);

function pod(
  over: Partial<PodLike["metadata"]> = {},
  spec: Partial<NonNullable<PodLike["spec"]>> = {},
): PodLike {
  return {
    metadata: { name: "p", namespace: "team", ...over },
    spec: { nodeName: "aa1", containers: [{ name: "app" }, { name: "log" }], ...spec },
  };
}

test("ownerName: ReplicaSet collapses to the Deployment (by pod-template-hash, else last segment)", () => {
  const rs = { kind: "ReplicaSet", name: "web-5d8f7c9b4", controller: true };
  assert.equal(
    ownerName(pod({ ownerReferences: [rs], labels: { "pod-template-hash": "5d8f7c9b4" } })),
    "web",
  );
  assert.equal(ownerName(pod({ ownerReferences: [rs] })), "web");
  assert.equal(
    ownerName(pod({ ownerReferences: [{ kind: "StatefulSet", name: "db", controller: true }] })),
    "db",
  );
  assert.equal(
    ownerName(pod({ ownerReferences: [{ kind: "ReplicaSet", name: "x", controller: false }] })),
    "p",
  );
  assert.equal(ownerName({ metadata: { generateName: "job-run-" } }), "job-run");
});

test("nodeChoice: scheduled pods by their node's label; unscheduled only if all candidates are AppArmor", () => {
  assert.equal(nodeChoice(pod(), nodes).apparmor, true);
  assert.equal(nodeChoice(pod({}, { nodeName: "bpf1" }), nodes).apparmor, false);
  assert.equal(nodeChoice(pod({}, { nodeName: "plain" }), nodes).apparmor, false);
  assert.equal(nodeChoice(pod({}, { nodeName: "ghost" }), nodes).apparmor, false);
  assert.equal(
    nodeChoice(pod({}, { nodeName: undefined, nodeSelector: { zone: "a" } }), nodes).apparmor,
    true,
  );
  assert.equal(nodeChoice(pod({}, { nodeName: undefined }), nodes).apparmor, false);
  assert.equal(
    nodeChoice(pod({}, { nodeName: undefined, nodeSelector: { zone: "nowhere" } }), nodes).apparmor,
    false,
  );
  assert.equal(nodeChoice(pod(), new MemoryNodeView()).apparmor, false, "unsynced view: never guess");
});

test("planPodMutation: field on >= 1.30, legacy annotation below or when unknown", () => {
  const field = planPodMutation(pod(), { nodes, serverMinor: 34 });
  assert.deepEqual(
    field.fieldProfiles.map(p => p.profile),
    ["rampart-team-p-app", "rampart-team-p-log"],
  );
  assert.equal(field.legacyProfiles.length, 0);
  for (const minor of [29, undefined]) {
    const legacy = planPodMutation(pod(), { nodes, serverMinor: minor });
    assert.equal(legacy.fieldProfiles.length, 0);
    const p = pod();
    applyPodPlan(p, legacy);
    assert.equal(
      p.metadata?.annotations?.["container.apparmor.security.beta.kubernetes.io/app"],
      "localhost/rampart-team-p-app",
    );
    assert.equal(p.spec?.containers?.[0]?.securityContext, undefined);
  }
});

test("applyPodPlan: sets Localhost profiles and default annotations, keeps other securityContext fields", () => {
  const p = pod({}, { containers: [{ name: "app", securityContext: { runAsNonRoot: true } }] });
  applyPodPlan(p, planPodMutation(p, { nodes, serverMinor: 34 }));
  assert.deepEqual(p.spec?.containers?.[0]?.securityContext, {
    runAsNonRoot: true,
    appArmorProfile: { type: "Localhost", localhostProfile: "rampart-team-p-app" },
  });
  assert.equal(p.metadata?.annotations?.["kubearmor-policy"], "enabled");
  assert.equal(p.metadata?.annotations?.["kubearmor-visibility"], "process,file,network,capabilities");
});

test("existing profiles are never overridden (container field, legacy annotation, pod level)", () => {
  const c = pod(
    {},
    {
      containers: [
        { name: "app", securityContext: { appArmorProfile: { type: "Unconfined" } } },
        { name: "log" },
      ],
    },
  );
  assert.deepEqual(
    planPodMutation(c, { nodes, serverMinor: 34 }).fieldProfiles.map(x => x.container),
    ["log"],
  );
  const a = pod({ annotations: { "container.apparmor.security.beta.kubernetes.io/log": "unconfined" } });
  assert.deepEqual(
    planPodMutation(a, { nodes, serverMinor: 34 }).fieldProfiles.map(x => x.container),
    ["app"],
  );
  const podLevel = pod({}, { securityContext: { appArmorProfile: { type: "RuntimeDefault" } } });
  assert.equal(planPodMutation(podLevel, { nodes, serverMinor: 34 }).fieldProfiles.length, 0);
});

test("kubearmor-policy / kubearmor-visibility defaulting follows KubeArmor", () => {
  const plan = (md: Partial<NonNullable<PodLike["metadata"]>>) =>
    planPodMutation(pod(md, { nodeName: "bpf1" }), { nodes, serverMinor: 34 }).annotations;
  assert.deepEqual(plan({}), {
    "kubearmor-policy": "enabled",
    "kubearmor-visibility": "process,file,network,capabilities",
  });
  assert.deepEqual(
    plan({ annotations: { "kubearmor-policy": "disabled", "kubearmor-visibility": "none" } }),
    {},
  );
  assert.deepEqual(plan({ annotations: { "kubearmor-policy": "bogus", "kubearmor-visibility": "" } }), {
    "kubearmor-policy": "enabled",
  });
  for (const l of ["kubearmor-app", "io.cilium/app", "rampart.dev/component"]) {
    assert.equal(plan({ labels: { [l]: "x" } })["kubearmor-policy"], "audited", l);
  }
});

test("kube-system, Rampart's namespaces and Rampart's pods never get profiles", () => {
  for (const ns of ["kube-system", "rampart-system", "pepr-system", "kubearmor"]) {
    assert.equal(
      planPodMutation(pod({ namespace: ns }), { nodes, serverMinor: 34 }).fieldProfiles.length,
      0,
      ns,
    );
  }
  assert.equal(
    planPodMutation(pod({ labels: { "rampart.dev/component": "node" } }), { nodes, serverMinor: 34 })
      .fieldProfiles.length,
    0,
  );
});

test("profile names are sanitised and bounded for hostile names", () => {
  const p = pod({ name: "x".repeat(300), namespace: "team" }, { containers: [{ name: "c" }] });
  const name = planPodMutation(p, { nodes, serverMinor: 34 }).fieldProfiles[0]!.profile;
  assert.ok(name.length <= 200 && /^rampart-[a-z0-9._-]+$/.test(name), name);
});

test("nodeChoice: required node affinity narrows the candidates like the scheduler", () => {
  const aff = (terms: object[]) =>
    pod(
      {},
      {
        nodeName: undefined,
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms as never },
          },
        },
      },
    );
  assert.equal(
    nodeChoice(
      aff([{ matchExpressions: [{ key: "kubearmor.io/enforcer", operator: "In", values: ["apparmor"] }] }]),
      nodes,
    ).apparmor,
    true,
  );
  assert.equal(
    nodeChoice(aff([{ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["b"] }] }]), nodes)
      .apparmor,
    false,
    "plain node has no zone",
  );
  assert.equal(
    nodeChoice(aff([{ matchFields: [{ key: "metadata.name", operator: "In", values: ["aa2"] }] }]), nodes)
      .apparmor,
    true,
  );
  assert.equal(
    nodeChoice(
      aff([
        { matchFields: [{ key: "metadata.name", operator: "In", values: ["aa2"] }] },
        { matchExpressions: [{ key: "zone", operator: "Exists" }] },
      ]),
      nodes,
    ).apparmor,
    false,
    "terms are ORed: zone b (bpf) is a candidate too",
  );
});

test("termMatches: operators", () => {
  const n = { name: "x", labels: { a: "1", b: "5" } };
  assert.equal(
    termMatches({ matchExpressions: [{ key: "a", operator: "In", values: ["1", "2"] }] }, n),
    true,
  );
  assert.equal(termMatches({ matchExpressions: [{ key: "c", operator: "DoesNotExist" }] }, n), true);
  assert.equal(termMatches({ matchExpressions: [{ key: "b", operator: "Gt", values: ["4"] }] }, n), true);
  assert.equal(termMatches({ matchExpressions: [{ key: "b", operator: "Lt", values: ["4"] }] }, n), false);
  assert.equal(termMatches({ matchExpressions: [{ key: "a", operator: "Bogus", values: ["1"] }] }, n), false);
  assert.equal(termMatches({}, n), false, "an empty term matches nothing");
});
