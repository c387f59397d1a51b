// SPDX-License-Identifier: Apache-2.0
//
// Test and bench fixtures: a realistic container event and rules, so every table row states
// only what differs. Not used by production code.

import type { Decision, FileRule, NetworkRule, ProcessRule, PolicyKind } from "../model/types.js";
import type { SecurityEvent } from "./types.js";

export const CONTAINER_ID = "0fa8eafa5f8d6aed126cf31676ea7e60c18482f12500cf70464013cb7e330a3a";

export function containerEvent(over: Partial<SecurityEvent> = {}): SecurityEvent {
  return {
    timeMs: 1_703_125_200_470.294,
    identity: {
      clusterName: "default",
      hostName: "node-1",
      nodeId: "node-1-id",
      container: {
        id: CONTAINER_ID,
        name: "ubuntu-1-container",
        image: "kubearmor/ubuntu-w-utils:0.1",
        namespace: "multiubuntu",
        pod: "ubuntu-1-deployment-5d6b975744-rrkhr",
        labels: { group: "group-1", container: "ubuntu-1" },
        owner: { kind: "Deployment", name: "ubuntu-1-deployment", namespace: "multiubuntu" },
      },
    },
    process: {
      hostPid: 347999,
      hostPpid: 347993,
      pid: 43,
      ppid: 37,
      uid: 0,
      userName: "root",
      processName: "/bin/sleep",
      parentProcessName: "/bin/bash",
      cwd: "/",
      tty: "pts0",
      execId: "1234",
      executableName: "/bin/sleep",
    },
    operation: "Process",
    source: "/bin/bash",
    resource: "/bin/sleep 1",
    data: "syscall=SYS_EXECVE",
    result: "Permission denied",
    policyState: "enabled",
    enforcer: "BPFLSM",
    visible: true,
    ...over,
  };
}

export function hostEvent(over: Partial<SecurityEvent> = {}): SecurityEvent {
  const ev = containerEvent(over);
  return { ...ev, identity: { clusterName: "default", hostName: "node-1", nodeId: "node-1-id" }, ...over };
}

export function processRule(
  name: string,
  action: ProcessRule["action"],
  over: Partial<ProcessRule> = {},
  kind: PolicyKind = "KubeArmorPolicy",
): ProcessRule {
  return {
    category: "process",
    origin: {
      kind,
      name,
      namespace: kind === "KubeArmorPolicy" ? "multiubuntu" : undefined,
      path: "spec.process.matchPaths[0]",
    },
    severity: 5,
    tags: [],
    message: "",
    action,
    fromSource: [],
    match: { type: "path", path: "/bin/sleep" },
    ownerOnly: false,
    ...over,
  };
}

export function fileRule(name: string, action: FileRule["action"], over: Partial<FileRule> = {}): FileRule {
  return {
    category: "file",
    origin: { kind: "KubeArmorPolicy", name, namespace: "multiubuntu", path: "spec.file.matchPaths[0]" },
    severity: 5,
    tags: [],
    message: "",
    action,
    fromSource: [],
    match: { type: "path", path: "/secret.txt" },
    readOnly: false,
    ownerOnly: false,
    ...over,
  };
}

export function networkRule(
  name: string,
  action: NetworkRule["action"],
  over: Partial<NetworkRule> = {},
): NetworkRule {
  return {
    category: "network",
    origin: {
      kind: "KubeArmorPolicy",
      name,
      namespace: "multiubuntu",
      path: "spec.network.matchProtocols[0]",
    },
    severity: 5,
    tags: [],
    message: "",
    action,
    fromSource: [],
    protocol: "tcp",
    ...over,
  };
}

export function ruleDecision(rule: Decision["rule"] & object, verdict = rule.action): Decision {
  return { verdict, rule, reason: `${verdict} by ${rule.origin.name} ${rule.origin.path}` };
}

export function postureDecision(
  category: "file" | "network" | "capabilities",
  posture: "audit" | "block",
): Decision {
  const verdict = posture === "block" ? "Block" : "Audit";
  return {
    verdict,
    defaultPosture: category,
    reason: `${verdict} by default ${category} posture (allow-list)`,
  };
}
