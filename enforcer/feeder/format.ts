// SPDX-License-Identifier: Apache-2.0
//
// Renderings of alerts and logs, as karmor prints them:
//  * karmorJson: Go's json.Marshal of the protobuf struct (what `karmor logs --json` prints):
//    proto field names, declaration order, empty/zero fields omitted, map keys sorted.
//  * daemonJson: KubeArmor's stdout/file JSON names (types.Log struct tags, kubearmor-compat §13).
//  * textBlock: karmor's human form: `== Alert / <time> ==` then `Key: value` lines in its order.

import { protoRoot } from "./wire.js";
import { terminalSafe } from "../model/terminal-text.js";

export type Kind = "Alert" | "Log";

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v as object).length === 0;
  return false;
}

function omitEmptyObject(v: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!isEmpty(x)) out[k] = x;
  return Object.keys(out).length ? out : undefined;
}

function sortedMap(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = v[k];
  return out;
}

/** The object karmor's --json line holds for this event. */
export function karmorObject(event: Record<string, unknown>, kind: Kind): Record<string, unknown> {
  const type = protoRoot().lookupType(`feeder.${kind}`);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    let v = event[field.name];
    if (isEmpty(v)) continue;
    if (field.name === "EventData") v = sortedMap(v as Record<string, unknown>);
    else if (field.resolvedType && typeof v === "object" && !Array.isArray(v)) {
      v = omitEmptyObject(v as Record<string, unknown>);
      if (v === undefined) continue;
    }
    out[field.name] = v;
  }
  return out;
}

export function karmorJson(event: Record<string, unknown>, kind: Kind, pretty = false): string {
  return JSON.stringify(karmorObject(event, kind), null, pretty ? 2 : undefined);
}

/** Proto field name → KubeArmor types.Log JSON name (kubearmor-compat §13). */
export const DAEMON_JSON_NAMES: Record<string, string> = {
  Timestamp: "timestamp",
  UpdatedTime: "updatedTime",
  ClusterName: "clusterName",
  HostName: "hostName",
  NodeID: "nodeID",
  UserName: "username",
  NamespaceName: "namespaceName",
  Owner: "owner",
  PodName: "podName",
  Labels: "labels",
  ContainerID: "containerID",
  ContainerName: "containerName",
  ContainerImage: "containerImage",
  HostPPID: "hostPPid",
  HostPID: "hostPid",
  PPID: "ppid",
  PID: "pid",
  UID: "uid",
  ExecEvent: "execEvent",
  ParentProcessName: "parentProcessName",
  ProcessName: "processName",
  Enforcer: "enforcer",
  PolicyName: "policyName",
  KubeArmorVersion: "kubeArmorVersion",
  Severity: "severity",
  Tags: "tags",
  ATags: "atags",
  Message: "message",
  Type: "type",
  Source: "source",
  Operation: "operation",
  Resource: "resource",
  Cwd: "cwd",
  TTY: "tty",
  Data: "data",
  EventData: "eventData",
  ProcessHash: "processHash",
  ParentHash: "parentHash",
  ResourceHash: "resourceHash",
  HashAlgo: "hashAlgo",
  Action: "action",
  Result: "result",
  MaxAlertsPerSec: "MaxAlertsPerSec",
  DroppingAlertsInterval: "DroppingAlertsInterval",
};

const OWNER_NAMES: Record<string, string> = { Ref: "ref", Name: "name", Namespace: "namespace" };

/** The event with KubeArmor's daemon JSON names (stdout / file output), empty fields omitted. */
export function daemonObject(event: Record<string, unknown>, kind: Kind): Record<string, unknown> {
  const src = karmorObject(event, kind);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    const name = DAEMON_JSON_NAMES[k] ?? k;
    if (k === "Owner") {
      const o: Record<string, unknown> = {};
      for (const [ok, ov] of Object.entries(v as Record<string, unknown>)) o[OWNER_NAMES[ok] ?? ok] = ov;
      out[name] = o;
    } else out[name] = v;
  }
  return out;
}

/** karmor's fixed key order for text output (after the header); other keys follow, sorted. */
const TEXT_KEYS = [
  "ClusterName",
  "HostName",
  "NamespaceName",
  "PodName",
  "Labels",
  "ContainerName",
  "ContainerID",
  "ContainerImage",
  "Type",
  "PolicyName",
  "Severity",
  "Message",
  "Source",
  "Resource",
  "Operation",
  "Action",
  "Data",
  "Enforcer",
  "Result",
];

/** A field's value for the text form; every string from the event is made terminal-safe. */
function render(v: unknown): string {
  if (Array.isArray(v)) return v.map(x => terminalSafe(String(x))).join(",");
  if (v && typeof v === "object")
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${terminalSafe(k)}=${terminalSafe(String(x))}`)
      .join(" ");
  return terminalSafe(String(v));
}

export function textBlock(event: Record<string, unknown>, kind: Kind): string {
  const obj = karmorObject(event, kind);
  const time = typeof obj.UpdatedTime === "string" ? obj.UpdatedTime.replace("T", " ").replace("Z", "") : "";
  const lines = [time ? `== ${kind} / ${terminalSafe(time)} ==` : `== ${kind} ==`];
  const rest = Object.keys(obj)
    .filter(k => !TEXT_KEYS.includes(k) && k !== "UpdatedTime" && k !== "Timestamp")
    .sort();
  for (const k of [...TEXT_KEYS, ...rest]) if (k in obj) lines.push(`${k}: ${render(obj[k])}`);
  return lines.join("\n") + "\n";
}

/** karmor's one-line rendering of a daemon message. */
export function messageLine(msg: Record<string, unknown>): string {
  const time = String(msg.UpdatedTime ?? "")
    .replace("T", " ")
    .replace("Z", "");
  const f = (v: unknown) => terminalSafe(String(v ?? ""));
  return `${f(time)}  ${f(msg.ClusterName)}  ${f(msg.HostName)}  [${f(msg.Level)}]  ${f(msg.Message)}\n`;
}
