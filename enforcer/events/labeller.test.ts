// SPDX-License-Identifier: Apache-2.0
//
// Table tests of the labeller: the KubeArmor value sets and the §20 scenarios at alert level.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatUpdatedTime,
  labelEvent,
  parseEventData,
  streamOf,
  type LabelContext,
  type Labelled,
} from "./labeller.js";
import {
  CONTAINER_ID,
  containerEvent,
  fileRule,
  hostEvent,
  networkRule,
  postureDecision,
  processRule,
  ruleDecision,
} from "./fixtures.js";
import type { SecurityEvent } from "./types.js";
import { encodeAlert, encodeLog } from "../feeder/wire.js";

const BPF: LabelContext = { activeEnforcer: "BPFLSM", version: "rampart-0.1.0" };
const APPARMOR: LabelContext = { activeEnforcer: "AppArmor" };
const NONE: LabelContext = { activeEnforcer: "none" };

function alertOf(l: Labelled) {
  assert.equal(l.kind, "alert", `expected an alert, got ${JSON.stringify(l)}`);
  if (l.kind !== "alert") throw new Error("unreachable");
  encodeAlert(l.alert); // every labelled alert must be encodable on the wire
  return l.alert;
}
function logOf(l: Labelled) {
  assert.equal(l.kind, "log", `expected a log, got ${JSON.stringify(l)}`);
  if (l.kind !== "log") throw new Error("unreachable");
  encodeLog(l.log);
  return l.log;
}

test("identity, process and timing fields are all filled", () => {
  const rule = processRule("ksp-group-1-proc-path-block", "Block", {
    severity: 5,
    tags: ["MITRE", "D3"],
    message: "block sleep",
  });
  const a = alertOf(labelEvent(containerEvent({ decision: ruleDecision(rule) }), BPF));
  assert.deepEqual(
    { ...a },
    {
      Timestamp: 1703125200,
      UpdatedTime: "2023-12-21T02:20:00.470294Z",
      ClusterName: "default",
      HostName: "node-1",
      NamespaceName: "multiubuntu",
      Owner: { Ref: "Deployment", Name: "ubuntu-1-deployment", Namespace: "multiubuntu" },
      PodName: "ubuntu-1-deployment-5d6b975744-rrkhr",
      Labels: "container=ubuntu-1,group=group-1",
      ContainerID: CONTAINER_ID,
      ContainerName: "ubuntu-1-container",
      ContainerImage: "kubearmor/ubuntu-w-utils:0.1",
      HostPPID: 347993,
      HostPID: 347999,
      PPID: 37,
      PID: 43,
      UID: 0,
      ParentProcessName: "/bin/bash",
      ProcessName: "/bin/sleep",
      Source: "/bin/bash",
      Operation: "Process",
      Resource: "/bin/sleep 1",
      Data: "syscall=SYS_EXECVE",
      EventData: { Syscall: "SYS_EXECVE" },
      Result: "Permission denied",
      Cwd: "/",
      TTY: "pts0",
      NodeID: "node-1-id",
      UserName: "root",
      ExecEvent: { ExecID: "1234", ExecutableName: "/bin/sleep" },
      PolicyName: "ksp-group-1-proc-path-block",
      Severity: "5",
      Tags: "MITRE,D3",
      ATags: ["MITRE", "D3"],
      Message: "block sleep",
      Type: "MatchedPolicy",
      Enforcer: "BPFLSM",
      Action: "Block",
      KubeArmorVersion: "rampart-0.1.0",
    },
  );
});

interface Row {
  name: string;
  ev: SecurityEvent;
  ctx: LabelContext;
  want: "none" | { log: Record<string, unknown> } | Record<string, unknown>;
}

const sleepBlock = processRule("ksp-group-1-proc-path-block", "Block");
const sleepAudit = processRule("ksp-group-2-proc-path-audit", "Audit");
const shmAudit = fileRule("ksp-ubuntu-1-file-dir-readonly-audit", "Audit", {
  severity: 10,
  tags: ["WARNING"],
  match: { type: "dir", dir: "/dev/shm/", recursive: false },
  readOnly: true,
});

const ROWS: Row[] = [
  // --- value sets ---
  {
    name: "Allow + Passed is not emitted",
    ctx: BPF,
    want: "none",
    ev: containerEvent({ result: "Passed", decision: ruleDecision(processRule("allow", "Allow")) }),
  },
  {
    name: "Audit + Passed → Audit",
    ctx: BPF,
    want: { Type: "MatchedPolicy", Action: "Audit", Result: "Passed", Enforcer: "BPFLSM" },
    ev: containerEvent({ result: "Passed", decision: ruleDecision(sleepAudit) }),
  },
  {
    name: "Block + denied → Block",
    ctx: BPF,
    want: { Type: "MatchedPolicy", Action: "Block", Result: "Permission denied" },
    ev: containerEvent({ decision: ruleDecision(sleepBlock) }),
  },
  {
    name: "Block + Operation not permitted keeps the errno text",
    ctx: BPF,
    want: { Action: "Block", Result: "Operation not permitted" },
    ev: containerEvent({ result: "Operation not permitted", decision: ruleDecision(sleepBlock) }),
  },
  {
    name: "audited endpoint: Block rule + Passed → Audit (Block)",
    ctx: BPF,
    want: { Action: "Audit (Block)", Result: "Passed", PolicyName: "ksp-group-1-proc-path-block" },
    ev: containerEvent({ result: "Passed", policyState: "audited", decision: ruleDecision(sleepBlock) }),
  },
  {
    name: "audited endpoint: block posture + Passed → DefaultPosture Audit (Block)",
    ctx: BPF,
    want: { Action: "Audit (Block)", PolicyName: "DefaultPosture", Severity: "" },
    ev: containerEvent({
      result: "Passed",
      policyState: "audited",
      decision: postureDecision("file", "block"),
    }),
  },
  {
    name: "audited endpoint: audit posture → DefaultPosture Audit",
    ctx: BPF,
    want: { Action: "Audit", PolicyName: "DefaultPosture" },
    ev: containerEvent({
      result: "Passed",
      policyState: "audited",
      decision: postureDecision("file", "audit"),
    }),
  },
  {
    name: "disabled endpoint: never an alert, telemetry only",
    ctx: BPF,
    want: { log: { Type: "ContainerLog" } },
    ev: containerEvent({ policyState: "disabled", decision: ruleDecision(sleepBlock) }),
  },
  {
    name: "no decision + visible → ContainerLog",
    ctx: BPF,
    want: { log: { Type: "ContainerLog", Result: "Passed" } },
    ev: containerEvent({ result: "Passed", enforcer: "eBPF Monitor" }),
  },
  {
    name: "no decision + not visible → nothing",
    ctx: BPF,
    want: "none",
    ev: containerEvent({ result: "Passed", enforcer: "eBPF Monitor", visible: false }),
  },
  {
    name: "host, no decision → HostLog",
    ctx: BPF,
    want: { log: { Type: "HostLog", ContainerID: "", NamespaceName: "" } },
    ev: hostEvent({ result: "Passed", enforcer: "eBPF Monitor" }),
  },
  {
    name: "denied by another layer (no rule) is telemetry, not an alert (§20 row 39)",
    ctx: BPF,
    want: { log: { Type: "ContainerLog", Result: "Operation not permitted" } },
    ev: containerEvent({
      result: "Operation not permitted",
      enforcer: "eBPF Monitor",
      data: "syscall=SYS_MOUNT",
    }),
  },
  {
    name: "Block rule that did not deny (enabled) is telemetry",
    ctx: BPF,
    want: { log: { Type: "ContainerLog" } },
    ev: containerEvent({ result: "Passed", enforcer: "eBPF Monitor", decision: ruleDecision(sleepBlock) }),
  },
  {
    name: "Audit rule but denied by something else is telemetry",
    ctx: BPF,
    want: { log: { Type: "ContainerLog" } },
    ev: containerEvent({ decision: ruleDecision(sleepAudit) }),
  },
  // --- enforcer naming and BPF-LSM dedup ---
  {
    name: "AppArmor: monitor-seen denial is named AppArmor",
    ctx: APPARMOR,
    want: { Action: "Block", Enforcer: "AppArmor" },
    ev: containerEvent({ enforcer: "eBPF Monitor", decision: ruleDecision(sleepBlock) }),
  },
  {
    name: "AppArmor: monitor-seen audit stays eBPF Monitor",
    ctx: APPARMOR,
    want: { Action: "Audit", Enforcer: "eBPF Monitor" },
    ev: containerEvent({ enforcer: "eBPF Monitor", result: "Passed", decision: ruleDecision(sleepAudit) }),
  },
  {
    name: "BPFLSM: monitor copy of a Block alert is demoted to ContainerLog",
    ctx: BPF,
    want: { log: { Type: "ContainerLog", Result: "Permission denied" } },
    ev: containerEvent({ enforcer: "eBPF Monitor", decision: ruleDecision(sleepBlock) }),
  },
  {
    name: "BPFLSM: monitor copy of a DefaultPosture alert is demoted",
    ctx: BPF,
    want: "none",
    ev: containerEvent({
      enforcer: "eBPF Monitor",
      visible: false,
      decision: postureDecision("file", "block"),
    }),
  },
  {
    name: "BPFLSM: monitor copy of an Audit alert is demoted (the LSM emits audits in Rampart)",
    ctx: BPF,
    want: { log: { Type: "ContainerLog" } },
    ev: containerEvent({ enforcer: "eBPF Monitor", result: "Passed", decision: ruleDecision(sleepAudit) }),
  },
  {
    name: "BPFLSM with enforcerEmitsAudit=false: monitor Audit alert kept (KubeArmor's behaviour)",
    ctx: { activeEnforcer: "BPFLSM", enforcerEmitsAudit: false },
    want: { Action: "Audit", Enforcer: "eBPF Monitor" },
    ev: containerEvent({ enforcer: "eBPF Monitor", result: "Passed", decision: ruleDecision(sleepAudit) }),
  },
  {
    name: "enforcer none: monitor audit is an alert",
    ctx: NONE,
    want: { Action: "Audit", Enforcer: "eBPF Monitor" },
    ev: hostEvent({
      enforcer: "eBPF Monitor",
      result: "Passed",
      decision: ruleDecision(processRule("hsp-audit", "Audit", {}, "KubeArmorHostPolicy")),
    }),
  },
  // --- §21.14: audits do not depend on visibility ---
  {
    name: "§21.14 audit alert with visibility off still emitted",
    ctx: BPF,
    want: { Action: "Audit", Type: "MatchedPolicy" },
    ev: containerEvent({ visible: false, result: "Passed", decision: ruleDecision(sleepAudit) }),
  },
  // --- §20 scenarios at alert level ---
  {
    name: "§20 #4 Audit /bin/sleep: runs, Audit alert with Passed",
    ctx: BPF,
    want: {
      Type: "MatchedPolicy",
      PolicyName: "ksp-group-2-proc-path-audit",
      Action: "Audit",
      Result: "Passed",
      Operation: "Process",
      Severity: "5",
    },
    ev: containerEvent({ result: "Passed", decision: ruleDecision(sleepAudit) }),
  },
  {
    name: "§20 #8 allow-list: cat /etc/hostname → DefaultPosture Block",
    ctx: BPF,
    want: {
      PolicyName: "DefaultPosture",
      Action: "Block",
      Severity: "",
      Tags: "",
      Message: "",
      Operation: "File",
      Resource: "/etc/hostname",
      Enforcer: "BPFLSM",
    },
    ev: containerEvent({
      operation: "File",
      source: "/bin/cat",
      resource: "/etc/hostname",
      data: "lsm=FILE_OPEN",
      decision: postureDecision("file", "block"),
    }),
  },
  {
    name: "§20 #8 allow-list: cat /credentials/password → no alert",
    ctx: BPF,
    want: "none",
    ev: containerEvent({
      operation: "File",
      source: "/bin/cat",
      resource: "/credentials/password",
      result: "Passed",
      decision: ruleDecision(
        fileRule("ksp-allow-list", "Allow", {
          match: { type: "dir", dir: "/credentials/", recursive: true },
        }),
      ),
    }),
  },
  {
    name: "§20 #17 Allow /secret.txt fromSource cat: cat /etc/hostname → DefaultPosture Block",
    ctx: APPARMOR,
    want: {
      PolicyName: "DefaultPosture",
      Action: "Block",
      Enforcer: "AppArmor",
      Result: "Permission denied",
    },
    ev: containerEvent({
      operation: "File",
      source: "/bin/cat",
      resource: "/etc/hostname",
      enforcer: "eBPF Monitor",
      data: "syscall=SYS_OPENAT fd=-100 flags=O_RDONLY",
      decision: postureDecision("file", "block"),
    }),
  },
  {
    name: "§20 #19 Audit file fromSource cat → Audit, Passed",
    ctx: BPF,
    want: {
      PolicyName: "ksp-audit-secret",
      Action: "Audit",
      Result: "Passed",
      Operation: "File",
      Resource: "/secret.txt",
    },
    ev: containerEvent({
      operation: "File",
      source: "/bin/cat",
      resource: "/secret.txt",
      result: "Passed",
      decision: ruleDecision(fileRule("ksp-audit-secret", "Audit", { fromSource: ["/bin/cat"] })),
    }),
  },
  {
    name: "§20 #23 Audit /dev/shm/ readOnly: write → Audit with severity 10 and tag WARNING",
    ctx: BPF,
    want: { Action: "Audit", Severity: "10", Tags: "WARNING", ATags: ["WARNING"], Resource: "/dev/shm/new" },
    ev: containerEvent({
      operation: "File",
      source: "/usr/bin/touch",
      resource: "/dev/shm/new",
      result: "Passed",
      decision: ruleDecision(shmAudit),
    }),
  },
  {
    name: "§20 #23 Audit /dev/shm/ readOnly: read → no alert",
    ctx: BPF,
    want: "none",
    ev: containerEvent({
      operation: "File",
      source: "/bin/cat",
      resource: "/dev/shm/new",
      result: "Passed",
      visible: false,
    }),
  },
  {
    name: "§20 #28 namespace file posture block + nginx allow-list → DefaultPosture Block",
    ctx: BPF,
    want: {
      PolicyName: "DefaultPosture",
      Action: "Block",
      Operation: "File",
      Resource: "/docker-entrypoint.sh",
    },
    ev: containerEvent({
      operation: "File",
      source: "/bin/cat",
      resource: "/docker-entrypoint.sh",
      decision: postureDecision("file", "block"),
    }),
  },
  {
    name: "§20 #45 Allow tcp from curl, network posture block: DNS over UDP → DefaultPosture Block",
    ctx: BPF,
    want: {
      PolicyName: "DefaultPosture",
      Action: "Block",
      Operation: "Network",
      EventData: { Syscall: "SYS_SOCKET", Domain: "AF_INET", Type: "SOCK_DGRAM", Protocol: "UDP" },
    },
    ev: containerEvent({
      operation: "Network",
      source: "/usr/bin/curl",
      resource: "domain=AF_INET type=SOCK_DGRAM protocol=UDP",
      data: "syscall=SYS_SOCKET",
      decision: postureDecision("network", "block"),
    }),
  },
  {
    name: "§20 #45 curl <ip> over TCP: allowed, no alert",
    ctx: BPF,
    want: "none",
    ev: containerEvent({
      operation: "Network",
      source: "/usr/bin/curl",
      resource: "domain=AF_INET type=SOCK_STREAM protocol=TCP",
      result: "Passed",
      decision: ruleDecision(networkRule("ksp-allow-tcp", "Allow", { fromSource: ["/usr/bin/curl"] })),
    }),
  },
  {
    name: "§20 #52 HSP blocks diff → MatchedHostPolicy Block",
    ctx: BPF,
    want: {
      Type: "MatchedHostPolicy",
      PolicyName: "hsp-block-diff",
      Action: "Block",
      NamespaceName: "",
      ContainerID: "",
    },
    ev: hostEvent({
      resource: "/usr/bin/diff --help",
      decision: ruleDecision(processRule("hsp-block-diff", "Block", {}, "KubeArmorHostPolicy")),
    }),
  },
  {
    name: "§20 #52 head /etc/hosts hits the host default posture (audit) → DefaultPosture Audit",
    ctx: BPF,
    want: { Type: "MatchedHostPolicy", PolicyName: "DefaultPosture", Action: "Audit", Result: "Passed" },
    ev: hostEvent({
      operation: "File",
      source: "/usr/bin/head",
      resource: "/etc/hosts",
      result: "Passed",
      decision: postureDecision("file", "audit"),
    }),
  },
  {
    name: "§20 #52 bash -c ls: Passed, no decision, host visibility off → nothing",
    ctx: BPF,
    want: "none",
    ev: hostEvent({ resource: "/usr/bin/ls", result: "Passed", visible: false }),
  },
];

for (const row of ROWS) {
  test(`label: ${row.name}`, () => {
    const got = labelEvent(row.ev, row.ctx);
    if (row.want === "none") {
      assert.equal(got.kind, "none", JSON.stringify(got));
      return;
    }
    if ("log" in row.want) {
      const log = logOf(got) as Record<string, unknown>;
      for (const [k, v] of Object.entries(row.want.log as Record<string, unknown>))
        assert.deepEqual(log[k], v, k);
      for (const k of ["PolicyName", "Action", "Enforcer", "Severity"])
        assert.equal(k in log, false, `Log has no ${k}`);
      return;
    }
    const alert = alertOf(got) as Record<string, unknown>;
    for (const [k, v] of Object.entries(row.want)) assert.deepEqual(alert[k], v, k);
  });
}

test("throttle key: container id and deciding rule; host and DefaultPosture keys", () => {
  const a = labelEvent(containerEvent({ decision: ruleDecision(sleepBlock) }), BPF);
  assert.equal(a.kind, "alert");
  if (a.kind === "alert")
    assert.deepEqual(a.key, {
      container: CONTAINER_ID,
      rule: "KubeArmorPolicy/multiubuntu/ksp-group-1-proc-path-block#spec.process.matchPaths[0]",
    });
  const h = labelEvent(hostEvent({ decision: postureDecision("file", "block") }), BPF);
  if (h.kind === "alert") assert.deepEqual(h.key, { container: "host", rule: "DefaultPosture/file" });
  else assert.fail("expected alert");
});

test("Action and Type value sets", () => {
  const actions = new Set<string>();
  const types = new Set<string>();
  for (const row of ROWS) {
    const l = labelEvent(row.ev, row.ctx);
    if (l.kind === "alert") {
      actions.add(l.alert.Action!);
      types.add(l.alert.Type!);
    }
    if (l.kind === "log") types.add(l.log.Type!);
  }
  for (const a of actions)
    assert.ok(["Allow", "Audit", "Block", "Audit (Block)", "Audit (Allow)"].includes(a), a);
  assert.deepEqual([...types].sort(), ["ContainerLog", "HostLog", "MatchedHostPolicy", "MatchedPolicy"]);
});

test("helpers: UpdatedTime layout, EventData parsing, routing", () => {
  assert.equal(formatUpdatedTime(0), "1970-01-01T00:00:00.000000Z");
  assert.equal(formatUpdatedTime(1_703_125_200_470.294), "2023-12-21T02:20:00.470294Z");
  assert.deepEqual(parseEventData("syscall=SYS_OPENAT fd=-100 flags=O_RDONLY|O_CLOEXEC junk =x"), {
    Syscall: "SYS_OPENAT",
    Fd: "-100",
    Flags: "O_RDONLY|O_CLOEXEC",
  });
  assert.equal(streamOf("MatchedPolicy"), "alerts");
  assert.equal(streamOf("SystemEvent"), "alerts");
  assert.equal(streamOf("HostLog"), "logs");
});
