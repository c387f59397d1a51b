// SPDX-License-Identifier: Apache-2.0
//
// Selector, posture, state and visibility scenarios, table-driven, drawn from KubeArmor's test
// scenarios (kubearmor-compat §20: 3, 4, 12, 13, 28, 29, 30, 31, 41, 48, 49, 51, 52) and the
// rules of §5–§7, §9, at the model level.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  effectiveForContainer,
  effectiveForHost,
  parseVisibility,
  resolveEffective,
  resolvePolicyState,
  resolvePostures,
} from "./effective.js";
import { parseContainerList, selectsContainer, selectsHost, wildcardMatch } from "./selectors.js";
import { check, type Obj } from "./test-helpers.js";
import { readWorkloads } from "./workloads.js";
import {
  DEFAULTS,
  type Defaults,
  type NamespaceInfo,
  type NodeInfo,
  type NormalizedPolicy,
  type PodInfo,
} from "./types.js";

function ksp(namespace: string, selector: Obj, name = "ksp"): NormalizedPolicy {
  const r = check({
    apiVersion: "security.kubearmor.com/v1",
    kind: "KubeArmorPolicy",
    metadata: { name, namespace },
    spec: { selector, process: { matchPaths: [{ execname: "apt" }] }, action: "Block" },
  });
  assert.ok(r.policy, JSON.stringify(r.problems));
  return r.policy;
}
function csp(matchExpressions: Obj[], name = "csp"): NormalizedPolicy {
  const r = check({
    apiVersion: "security.kubearmor.com/v1",
    kind: "KubeArmorClusterPolicy",
    metadata: { name },
    spec: { selector: { matchExpressions }, process: { matchPaths: [{ path: "/usr/bin/apt" }] } },
  });
  assert.ok(r.policy, JSON.stringify(r.problems));
  return r.policy;
}
function hsp(matchLabels: Record<string, string>, name = "hsp"): NormalizedPolicy {
  const r = check({
    apiVersion: "security.kubearmor.com/v1",
    kind: "KubeArmorHostPolicy",
    metadata: { name },
    spec: { nodeSelector: { matchLabels }, process: { matchPaths: [{ path: "/usr/bin/diff" }] } },
  });
  assert.ok(r.policy, JSON.stringify(r.problems));
  return r.policy;
}
function pod(
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
  containers = ["c"],
  annotations: Record<string, string> = {},
): PodInfo {
  return { namespace, name, labels, annotations, containers: containers.map(c => ({ name: c })) };
}
const node = (
  name: string,
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): NodeInfo => ({
  name,
  labels: { "kubernetes.io/hostname": name, ...labels },
  annotations,
});
const ns = (name: string, annotations: Record<string, string> = {}): NamespaceInfo => ({
  name,
  labels: {},
  annotations,
});

const ubuntu1 = pod("multiubuntu", "ubuntu-1", { group: "group-1", container: "ubuntu-1" });
const ubuntu2 = pod("multiubuntu", "ubuntu-2", { group: "group-2", container: "ubuntu-2" });
const ubuntu3 = pod("multiubuntu", "ubuntu-3", { group: "group-1", container: "ubuntu-3" });
const mc = pod("multicontainer", "mc", { app: "mc" }, ["container-1", "container-2"]);
const nginx1 = pod("nginx1", "nginx", { app: "nginx" });
const nginx2 = pod("nginx2", "nginx", { app: "nginx" });
const nginx2Other = pod("nginx2", "busybox", { app: "busybox" });
const nginx1Other = pod("nginx1", "busybox", { app: "busybox" });
const later = pod("nginx-later", "nginx", { app: "nginx" });

type SelCase = [string, NormalizedPolicy, PodInfo, string, boolean];
const SELECTOR_CASES: SelCase[] = [
  [
    "#3 matchLabels group-1 selects ubuntu-1",
    ksp("multiubuntu", { matchLabels: { group: "group-1" } }),
    ubuntu1,
    "c",
    true,
  ],
  [
    "#3 matchLabels group-1 selects ubuntu-3",
    ksp("multiubuntu", { matchLabels: { group: "group-1" } }),
    ubuntu3,
    "c",
    true,
  ],
  [
    "#3 matchLabels group-1 skips ubuntu-2",
    ksp("multiubuntu", { matchLabels: { group: "group-1" } }),
    ubuntu2,
    "c",
    false,
  ],
  [
    "#4 group-2 selects ubuntu-2",
    ksp("multiubuntu", { matchLabels: { group: "group-2" } }),
    ubuntu2,
    "c",
    true,
  ],
  ["KSP never crosses namespaces", ksp("other", { matchLabels: { group: "group-1" } }), ubuntu1, "c", false],
  ["KSP empty selector selects every pod of its namespace", ksp("multiubuntu", {}), ubuntu2, "c", true],
  [
    "KSP all matchLabels must match",
    ksp("multiubuntu", { matchLabels: { group: "group-1", container: "ubuntu-3" } }),
    ubuntu1,
    "c",
    false,
  ],
  [
    "#12 In ubuntu-1 / NotIn ubuntu-3: ubuntu-1 selected",
    ksp("multiubuntu", {
      matchExpressions: [
        { key: "label", operator: "In", values: ["container=ubuntu-1"] },
        { key: "label", operator: "NotIn", values: ["container=ubuntu-3"] },
      ],
    }),
    ubuntu1,
    "c",
    true,
  ],
  [
    "#12 In ubuntu-1 / NotIn ubuntu-3: ubuntu-3 not selected",
    ksp("multiubuntu", {
      matchExpressions: [
        { key: "label", operator: "In", values: ["container=ubuntu-1"] },
        { key: "label", operator: "NotIn", values: ["container=ubuntu-3"] },
      ],
    }),
    ubuntu3,
    "c",
    false,
  ],
  [
    "#13 NotIn ubuntu-1 only: ubuntu-1 not selected",
    ksp("multiubuntu", {
      matchExpressions: [{ key: "label", operator: "NotIn", values: ["container=ubuntu-1"] }],
    }),
    ubuntu1,
    "c",
    false,
  ],
  [
    "#13 NotIn ubuntu-1 only: ubuntu-3 selected",
    ksp("multiubuntu", {
      matchExpressions: [{ key: "label", operator: "NotIn", values: ["container=ubuntu-1"] }],
    }),
    ubuntu3,
    "c",
    true,
  ],
  [
    "KubeArmor quirk: a NotIn after an In is ignored (pod with both labels selected)",
    ksp("multiubuntu", {
      matchExpressions: [
        { key: "label", operator: "In", values: ["group=group-1"] },
        { key: "label", operator: "NotIn", values: ["container=ubuntu-1"] },
      ],
    }),
    ubuntu1,
    "c",
    true,
  ],
  [
    "KubeArmor quirk: after a NotIn, an In has no effect (pod with neither label selected)",
    ksp("multiubuntu", {
      matchExpressions: [
        { key: "label", operator: "NotIn", values: ["container=ubuntu-3"] },
        { key: "label", operator: "In", values: ["group=group-9"] },
      ],
    }),
    ubuntu1,
    "c",
    true,
  ],
  [
    "KubeArmor quirk: after a NotIn, the NotIn still excludes",
    ksp("multiubuntu", {
      matchExpressions: [
        { key: "label", operator: "NotIn", values: ["container=ubuntu-3"] },
        { key: "label", operator: "In", values: ["group=group-1"] },
      ],
    }),
    ubuntu3,
    "c",
    false,
  ],
  [
    "an In with no values does not switch off later NotIns",
    ksp("multiubuntu", {
      matchExpressions: [
        { key: "label", operator: "In", values: [] },
        { key: "label", operator: "NotIn", values: ["container=ubuntu-1"] },
      ],
    }),
    ubuntu1,
    "c",
    false,
  ],
  [
    "CSP label quirk: NotIn before In decides alone",
    csp([
      { key: "label", operator: "NotIn", values: ["app=busybox"] },
      { key: "label", operator: "In", values: ["app=nope"] },
    ]),
    nginx1,
    "c",
    true,
  ],
  [
    "In with several values: any one suffices",
    ksp("multiubuntu", {
      matchExpressions: [{ key: "label", operator: "In", values: ["container=ubuntu-9", "group=group-2"] }],
    }),
    ubuntu2,
    "c",
    true,
  ],
  [
    "#48 container.name [container-1] selects container-1",
    ksp("multicontainer", { matchLabels: { "kubearmor.io/container.name": "[container-1]" } }),
    mc,
    "container-1",
    true,
  ],
  [
    "#48 container.name [container-1] skips container-2",
    ksp("multicontainer", { matchLabels: { "kubearmor.io/container.name": "[container-1]" } }),
    mc,
    "container-2",
    false,
  ],
  [
    "#48 container.name [] selects every container",
    ksp("multicontainer", { matchLabels: { "kubearmor.io/container.name": "[]" } }),
    mc,
    "container-2",
    true,
  ],
  [
    "#48 no container.name selects every container",
    ksp("multicontainer", { matchLabels: { app: "mc" } }),
    mc,
    "container-2",
    true,
  ],
  [
    "#48 malformed [container-1,,] tolerated",
    ksp("multicontainer", { matchLabels: { "kubearmor.io/container.name": "[container-1,,]" } }),
    mc,
    "container-1",
    true,
  ],
  [
    "#48 malformed [container-1,,] still skips container-2",
    ksp("multicontainer", { matchLabels: { "kubearmor.io/container.name": "[container-1,,]" } }),
    mc,
    "container-2",
    false,
  ],
  [
    "container.name is not a pod label requirement",
    ksp("multicontainer", { matchLabels: { app: "mc", "kubearmor.io/container.name": "[container-2]" } }),
    mc,
    "container-2",
    true,
  ],
  [
    "#29 CSP namespace In [nginx1, nginx-later]: nginx1",
    csp([{ key: "namespace", operator: "In", values: ["nginx1", "nginx-later"] }]),
    nginx1,
    "c",
    true,
  ],
  [
    "#29 CSP namespace In: nginx2 not selected",
    csp([{ key: "namespace", operator: "In", values: ["nginx1", "nginx-later"] }]),
    nginx2,
    "c",
    false,
  ],
  [
    "#29 CSP namespace In: namespace created later is covered",
    csp([{ key: "namespace", operator: "In", values: ["nginx1", "nginx-later"] }]),
    later,
    "c",
    true,
  ],
  [
    "#30 CSP NotIn nginx2 + label NotIn app=nginx: nginx1/nginx excluded by label",
    csp([
      { key: "namespace", operator: "NotIn", values: ["nginx2"] },
      { key: "label", operator: "NotIn", values: ["app=nginx"] },
    ]),
    nginx1,
    "c",
    false,
  ],
  [
    "#30 ... nginx2/busybox excluded by namespace",
    csp([
      { key: "namespace", operator: "NotIn", values: ["nginx2"] },
      { key: "label", operator: "NotIn", values: ["app=nginx"] },
    ]),
    nginx2Other,
    "c",
    false,
  ],
  [
    "#30 ... nginx1/busybox selected (neither exclusion)",
    csp([
      { key: "namespace", operator: "NotIn", values: ["nginx2"] },
      { key: "label", operator: "NotIn", values: ["app=nginx"] },
    ]),
    nginx1Other,
    "c",
    true,
  ],
  [
    "#31 CSP namespace In nginx2 selects nginx2",
    csp([{ key: "namespace", operator: "In", values: ["nginx2"] }]),
    nginx2,
    "c",
    true,
  ],
  [
    "#31 CSP namespace In nginx2 skips nginx1",
    csp([{ key: "namespace", operator: "In", values: ["nginx2"] }]),
    nginx1,
    "c",
    false,
  ],
  [
    "CSP with no namespace In covers all namespaces",
    csp([{ key: "label", operator: "In", values: ["app=nginx"] }]),
    later,
    "c",
    true,
  ],
  [
    "CSP label In requires the label",
    csp([{ key: "label", operator: "In", values: ["app=nginx"] }]),
    nginx1Other,
    "c",
    false,
  ],
  [
    "CSP namespace NotIn ignored once namespace In exists",
    csp([
      { key: "namespace", operator: "In", values: ["nginx1"] },
      { key: "namespace", operator: "NotIn", values: ["nginx1"] },
    ]),
    nginx1,
    "c",
    true,
  ],
  [
    "CSP label NotIn ignored once label In exists",
    csp([
      { key: "label", operator: "In", values: ["app=nginx"] },
      { key: "label", operator: "NotIn", values: ["app=nginx"] },
    ]),
    nginx1,
    "c",
    true,
  ],
  [
    "CSP never selects untracked kube-system",
    csp([]),
    pod("kube-system", "coredns", { app: "nginx" }),
    "c",
    false,
  ],
  [
    "CSP namespace In kube-system still untracked",
    csp([{ key: "namespace", operator: "In", values: ["kube-system"] }]),
    pod("kube-system", "x"),
    "c",
    false,
  ],
  ["KSP in kubearmor namespace is never enforced", ksp("kubearmor", {}), pod("kubearmor", "x"), "c", false],
  ["unknown container name is never selected", ksp("multiubuntu", {}), ubuntu1, "nope", false],
];

describe("container selection (table)", () => {
  for (const [name, policy, p, container, expected] of SELECTOR_CASES) {
    it(`${name} → ${expected}`, () => assert.equal(selectsContainer(policy, p, container), expected));
  }
});

type HostCase = [string, Record<string, string>, NodeInfo, boolean];
const HOST_CASES: HostCase[] = [
  [
    "#51 kubearmor.io/hostname '*' selects any node",
    { "kubearmor.io/hostname": "*" },
    node("anything"),
    true,
  ],
  ["#52 exact kubernetes.io/hostname", { "kubernetes.io/hostname": "node-1" }, node("node-1"), true],
  [
    "exact hostname does not match another node",
    { "kubernetes.io/hostname": "node-1" },
    node("node-2"),
    false,
  ],
  ["comma list n1,n2 matches n2", { "kubernetes.io/hostname": "n1,n2" }, node("n2"), true],
  ["comma list n1,n2 does not match n3", { "kubernetes.io/hostname": "n1,n2" }, node("n3"), false],
  ["kubearmor.io/hostname by name", { "kubearmor.io/hostname": "node-1" }, node("node-1"), true],
  [
    "hostnamereg worker-* matches worker-12",
    { "kubearmor.io/hostnamereg": "worker-*" },
    node("worker-12"),
    true,
  ],
  [
    "hostnamereg worker-* does not match node-1",
    { "kubearmor.io/hostnamereg": "worker-*" },
    node("node-1"),
    false,
  ],
  [
    "kubernetes.io/hostnamereg works too",
    { "kubernetes.io/hostnamereg": "w?rker-*" },
    node("worker-1"),
    true,
  ],
  [
    "other labels must match exactly",
    { "node-role.kubernetes.io/worker": "true" },
    node("n", { "node-role.kubernetes.io/worker": "true" }),
    true,
  ],
  ["a missing label fails", { zone: "a" }, node("n"), false],
  ["all entries must match", { "kubearmor.io/hostname": "*", zone: "a" }, node("n", { zone: "b" }), false],
  ["empty nodeSelector selects nothing", {}, node("n"), false],
];

describe("host selection (table)", () => {
  for (const [name, labels, n, expected] of HOST_CASES) {
    it(`${name} → ${expected}`, () => {
      const policy = Object.keys(labels).length
        ? hsp(labels)
        : ({ ...hsp({ a: "b" }), nodeSelector: { matchLabels: {} } } as NormalizedPolicy);
      assert.equal(selectsHost(policy, n), expected);
    });
  }
  it("host policies never select containers and container policies never select hosts", () => {
    assert.equal(selectsContainer(hsp({ "kubearmor.io/hostname": "*" }), ubuntu1, "c"), false);
    assert.equal(selectsHost(ksp("multiubuntu", {}), node("n")), false);
  });
  it("wildcardMatch is anchored and linear on hostile input", () => {
    assert.equal(wildcardMatch("a*b", "axxb"), true);
    assert.equal(wildcardMatch("a*b", "axxbc"), false);
    assert.equal(wildcardMatch("*".repeat(50) + "b", "a".repeat(5000)), false);
  });
  it("parseContainerList", () => {
    assert.deepEqual(parseContainerList("[a, b]"), ["a", "b"]);
    assert.deepEqual(parseContainerList("[]"), []);
    assert.deepEqual(parseContainerList("[,a,,]"), ["a"]);
    assert.deepEqual(parseContainerList("a"), ["a"]);
  });
});

type PostureCase = [string, Record<string, string>, Defaults["postures"], Defaults["postures"], number];
const AUDIT = { file: "audit", network: "audit", capabilities: "audit" } as const;
const BLOCK = { file: "block", network: "block", capabilities: "block" } as const;
const POSTURE_CASES: PostureCase[] = [
  ["#49 unannotated namespace follows the defaults (audit)", {}, AUDIT, AUDIT, 0],
  ["#49 unannotated namespace follows changed defaults (block)", {}, BLOCK, BLOCK, 0],
  [
    "#49 partial annotation takes missing keys from the defaults",
    { "kubearmor-file-posture": "audit" },
    BLOCK,
    { file: "audit", network: "block", capabilities: "block" },
    0,
  ],
  [
    "#49 fully annotated namespace ignores the defaults",
    {
      "kubearmor-file-posture": "block",
      "kubearmor-network-posture": "block",
      "kubearmor-capabilities-posture": "block",
    },
    AUDIT,
    BLOCK,
    0,
  ],
  [
    "#28 file posture block",
    { "kubearmor-file-posture": "block" },
    AUDIT,
    { file: "block", network: "audit", capabilities: "audit" },
    0,
  ],
  [
    "invalid value falls back to the default with a problem",
    { "kubearmor-network-posture": "deny" },
    AUDIT,
    AUDIT,
    1,
  ],
  [
    "capitalised value is invalid (KubeArmor compares exactly)",
    { "kubearmor-capabilities-posture": "Block" },
    AUDIT,
    AUDIT,
    1,
  ],
  ["allow is not a namespace posture", { "kubearmor-file-posture": "allow" }, BLOCK, BLOCK, 1],
];

describe("posture resolution (table)", () => {
  for (const [name, annotations, defaults, expected, nProblems] of POSTURE_CASES) {
    it(name, () => {
      const r = resolvePostures(annotations, defaults);
      assert.deepEqual(r.postures, expected);
      assert.equal(r.problems.length, nProblems);
      for (const p of r.problems) assert.match(p, /invalid posture/);
    });
  }
});

describe("policy state and visibility", () => {
  const cases: Array<[string, Record<string, string>, Record<string, string> | undefined, string]> = [
    ["default is enabled", {}, undefined, "enabled"],
    ["pod audited", { "kubearmor-policy": "audited" }, undefined, "audited"],
    ["pod disabled", { "kubearmor-policy": "disabled" }, undefined, "disabled"],
    ["namespace disabled applies to an unannotated pod", {}, { "kubearmor-policy": "disabled" }, "disabled"],
    [
      "pod annotation wins over the namespace",
      { "kubearmor-policy": "enabled" },
      { "kubearmor-policy": "disabled" },
      "enabled",
    ],
    ["invalid value ⇒ enabled", { "kubearmor-policy": "patched" }, undefined, "enabled"],
  ];
  for (const [name, podA, nsA, expected] of cases)
    it(name, () => assert.equal(resolvePolicyState(podA, nsA), expected));

  it("#41 visibility: all, network only, none; unknown items ignored", () => {
    assert.deepEqual(
      parseVisibility("process,file,network,capabilities", DEFAULTS.visibility),
      DEFAULTS.visibility,
    );
    assert.deepEqual(parseVisibility("network", DEFAULTS.visibility), {
      process: false,
      file: false,
      network: true,
      capabilities: false,
    });
    assert.deepEqual(parseVisibility("none", DEFAULTS.visibility), {
      process: false,
      file: false,
      network: false,
      capabilities: false,
    });
    assert.deepEqual(parseVisibility("dns, file", DEFAULTS.visibility), {
      process: false,
      file: true,
      network: false,
      capabilities: false,
    });
    assert.deepEqual(parseVisibility(undefined, DEFAULTS.hostVisibility), DEFAULTS.hostVisibility);
  });
});

describe("effective policy", () => {
  const allowFile = check({
    apiVersion: "security.kubearmor.com/v1",
    kind: "KubeArmorPolicy",
    metadata: { name: "allow", namespace: "nginx1" },
    spec: {
      selector: { matchLabels: { app: "nginx" } },
      process: { matchDirectories: [{ dir: "/bin/", action: "Allow" }] },
      file: { matchDirectories: [{ dir: "/usr/share/nginx/html/", recursive: true, action: "Allow" }] },
      network: { matchProtocols: [{ protocol: "tcp", action: "Block" }] },
      capabilities: { matchCapabilities: [{ capability: "net_raw", action: "Allow" }] },
    },
  }).policy!;
  const blockApt = csp([{ key: "namespace", operator: "In", values: ["nginx1"] }], "a-csp");

  it("#28 allow-list + block posture: file allow-list on, posture block; network stays a deny-list", () => {
    const e = effectiveForContainer(
      [blockApt, allowFile],
      nginx1,
      "c",
      ns("nginx1", { "kubearmor-file-posture": "block" }),
    );
    assert.deepEqual(e.allowList, { file: true, network: false, capabilities: true });
    assert.equal(e.postures.file, "block");
    assert.equal(e.state, "enabled");
    assert.deepEqual(
      e.policies.map(p => p.name),
      ["allow", "a-csp"],
      "KSPs before CSPs, then by namespace and name",
    );
    assert.equal(e.rules.length, 5);
    assert.equal(e.rules[0].origin.name, "allow");
    assert.deepEqual(e.target, {
      kind: "container",
      namespace: "nginx1",
      pod: "nginx",
      container: "c",
      owner: { kind: "Pod", name: "nginx", namespace: "nginx1" },
      labels: { app: "nginx" },
    });
  });
  it("a process Allow alone puts process+file into allow-list mode", () => {
    const p = check({
      apiVersion: "security.kubearmor.com/v1",
      kind: "KubeArmorPolicy",
      metadata: { name: "p", namespace: "nginx1" },
      spec: { process: { matchPaths: [{ path: "/bin/ls", action: "Allow" }] } },
    }).policy!;
    assert.deepEqual(effectiveForContainer([p], nginx1, "c", undefined).allowList, {
      file: true,
      network: false,
      capabilities: false,
    });
  });
  it("no matching policy: empty rules, namespace postures still resolved", () => {
    const e = effectiveForContainer(
      [allowFile],
      nginx2,
      "c",
      ns("nginx2", { "kubearmor-network-posture": "block" }),
    );
    assert.deepEqual(e.rules, []);
    assert.deepEqual(e.postures, { file: "audit", network: "block", capabilities: "audit" });
  });
  it("KubeArmor's own pods are audited; untracked namespaces are disabled", () => {
    assert.equal(
      effectiveForContainer([], pod("ops", "ka", { "kubearmor-app": "kubearmor" }), "c", undefined).state,
      "audited",
    );
    assert.equal(effectiveForContainer([], pod("kube-system", "x"), "c", undefined).state, "disabled");
  });
  it("host: host postures and host visibility defaults; node annotation state", () => {
    const d: Defaults = {
      ...DEFAULTS,
      hostPostures: { file: "block", network: "audit", capabilities: "block" },
    };
    const e = effectiveForHost(
      [hsp({ "kubearmor.io/hostname": "*" })],
      node("n1", {}, { "kubearmor-policy": "audited" }),
      d,
    );
    assert.deepEqual(e.postures, d.hostPostures);
    assert.equal(e.state, "audited");
    assert.deepEqual(e.visibility, DEFAULTS.hostVisibility);
    assert.deepEqual(e.target, { kind: "host", hostname: "n1", labels: { "kubernetes.io/hostname": "n1" } });
    assert.equal(e.rules.length, 1);
  });
  it("resolveEffective: one per tracked container, then one per node, deterministic order", () => {
    const world = {
      pods: [mc, pod("kube-system", "dns"), ubuntu1],
      namespaces: [ns("multiubuntu", { "kubearmor-file-posture": "block" })],
      nodes: [node("b"), node("a")],
    };
    const a = resolveEffective([allowFile, blockApt], world);
    const names = a.map(e =>
      e.target.kind === "host"
        ? `host:${e.target.hostname}`
        : `${e.target.namespace}/${e.target.pod}/${e.target.container}`,
    );
    assert.deepEqual(names, [
      "multicontainer/mc/container-1",
      "multicontainer/mc/container-2",
      "multiubuntu/ubuntu-1/c",
      "host:a",
      "host:b",
    ]);
    assert.equal(a[2].postures.file, "block");
    const b = resolveEffective([blockApt, allowFile], {
      ...world,
      pods: [...world.pods].reverse(),
      nodes: [...world.nodes].reverse(),
    });
    assert.deepEqual(JSON.stringify(b), JSON.stringify(a));
  });
});

describe("readWorkloads", () => {
  const text = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}, annotations: {kubearmor-policy: audited}}
    spec:
      nodeName: n1
      initContainers: [{name: init, image: busybox}]
      containers: [{name: nginx, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d9c7f8b6c-abcde
  namespace: shop
  labels: {app: web, pod-template-hash: 5d9c7f8b6c}
  ownerReferences: [{kind: ReplicaSet, name: web-5d9c7f8b6c, controller: true}]
spec: {containers: [{name: nginx}]}
---
kind: DaemonSet
metadata: {name: agent}
spec: {template: {spec: {containers: [{name: a}]}}}
---
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec: {template: {metadata: {labels: {app: db}}, spec: {containers: [{name: pg}]}}}
---
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: job}]}}}}}
---
kind: List
items:
  - {kind: Namespace, metadata: {name: shop, annotations: {kubearmor-file-posture: block}}}
  - {kind: Node, metadata: {name: n1, labels: {kubernetes.io/hostname: n1}}}
---
kind: Service
metadata: {name: ignored}
---
kind: Job
metadata: {namespace: shop}
spec: {template: {spec: {containers: [{name: x}]}}}
`;
  const w = readWorkloads(text, "w.yaml");
  it("reads pods from templates with the owner as name", () => {
    const names = w.pods.map(
      p => `${p.owner?.kind ?? "-"}:${p.namespace}/${p.name}:${p.containers.map(c => c.name).join("+")}`,
    );
    assert.deepEqual(names, [
      "Deployment:shop/web:init+nginx",
      "Deployment:shop/web-5d9c7f8b6c-abcde:nginx",
      "DaemonSet:default/agent:a",
      "StatefulSet:shop/db:pg",
      "CronJob:shop/nightly:job",
    ]);
    assert.equal(w.pods[0].annotations["kubearmor-policy"], "audited");
    assert.equal(w.pods[0].nodeName, "n1");
    assert.deepEqual(
      w.pods[1].owner,
      { kind: "Deployment", name: "web" },
      "ReplicaSet collapses to its Deployment",
    );
  });
  it("reads namespaces and nodes (also from a List); reports a nameless Job", () => {
    assert.deepEqual(
      w.namespaces.map(n => n.name),
      ["shop"],
    );
    assert.deepEqual(
      w.nodes.map(n => n.name),
      ["n1"],
    );
    assert.equal(w.problems.length, 1);
    assert.equal(w.problems[0].path, "metadata.name");
    assert.equal(w.problems[0].document, 8);
  });
  it("never throws on garbage", () => {
    for (const t of [
      "",
      "- 1",
      "kind: Pod",
      "kind: Deployment\nmetadata: {name: x}",
      "{{{",
      "kind: List\nitems: 3",
      "kind: Pod\nmetadata: {name: p}\nspec: {containers: 5}",
    ]) {
      const r = readWorkloads(t, "g.yaml");
      assert.ok(Array.isArray(r.pods));
    }
  });
});
