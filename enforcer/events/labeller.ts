// SPDX-License-Identifier: Apache-2.0
//
// Labels a domain event as KubeArmor does (kubearmor-compat §10, KubeArmor's
// feeder/policyMatcher.go): MatchedPolicy / MatchedHostPolicy alerts with Action Allow / Audit /
// Block / `Audit (Block)`, DefaultPosture alerts, and ContainerLog / HostLog telemetry.
//
// The difference from KubeArmor: KubeArmor re-matches monitor telemetry against the policies to
// find audits, so audits vanish when visibility is off. Here the match is already done (the event
// carries the Decision of the enforcer or oracle), so an alert never depends on `visible`; only
// plain telemetry logs do (§21.14). Pure: no I/O, no clock.

import type { Alert, Log } from "../feeder/wire.js";
import type { EnforcerName, SecurityEvent } from "./types.js";

export type AlertType = "MatchedPolicy" | "MatchedHostPolicy" | "SystemEvent";
export type LogType = "ContainerLog" | "HostLog";
export type AlertAction = "Allow" | "Audit" | "Block" | "Audit (Block)" | "Audit (Allow)";

export interface LabelContext {
  /**
   * The LSM enforcing on this node. Names the enforcer of denials seen only by the monitor
   * (AppArmor mode) and enables the BPF-LSM dedup. "none" = monitor and audit only.
   */
  activeEnforcer: "BPFLSM" | "AppArmor" | "SELinux" | "none";
  /**
   * Rampart's enforcer hooks emit Audit events themselves (§21.14), so with BPF-LSM a
   * monitor-derived audit is a duplicate too. Default: true when activeEnforcer is BPFLSM.
   */
  enforcerEmitsAudit?: boolean;
  /** Filled into Alert.KubeArmorVersion (Rampart's version string). */
  version?: string;
}

/** Which throttle bucket an alert belongs to: the container (or "host") and the deciding rule. */
export interface ThrottleKey {
  container: string;
  rule: string;
}

export type Labelled =
  | { kind: "alert"; alert: Alert; key: ThrottleKey }
  | { kind: "log"; log: Log }
  | { kind: "none"; why: string };

let cachedSecond = NaN;
let cachedPrefix = "";

/** `2006-01-02T15:04:05.000000Z` (KubeArmor's TimeFormUTC) from epoch milliseconds. */
export function formatUpdatedTime(timeMs: number): string {
  const sec = Math.floor(timeMs / 1000);
  const micros = Math.min(999_999, Math.max(0, Math.floor(timeMs * 1000) - sec * 1_000_000));
  // Events arrive in bursts within the same second: format the date part once per second.
  if (sec !== cachedSecond) {
    cachedPrefix = new Date(sec * 1000).toISOString().slice(0, 19);
    cachedSecond = sec;
  }
  return `${cachedPrefix}.${String(micros).padStart(6, "0")}Z`;
}

/** Epoch seconds, as KubeArmor's Timestamp (time.Unix()). */
export function epochSeconds(timeMs: number): number {
  return Math.floor(timeMs / 1000);
}

/**
 * `k=v` tokens → map with the key's first letter upper-cased, as KubeArmor renders EventData
 * (`syscall=SYS_OPENAT fd=-100` → {Syscall: "SYS_OPENAT", Fd: "-100"}). Tokens without `=` are skipped.
 */
export function parseEventData(...texts: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of texts) {
    let i = 0;
    const n = text.length;
    while (i < n) {
      while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
      let end = i;
      while (end < n && text.charCodeAt(end) !== 32 && text.charCodeAt(end) !== 9) end++;
      const eq = text.indexOf("=", i);
      if (eq > i && eq < end)
        out[text.charAt(i).toUpperCase() + text.slice(i + 1, eq)] = text.slice(eq + 1, end);
      i = end;
    }
  }
  return out;
}

const labelStrings = new WeakMap<Record<string, string>, string>();

/** Pod labels as one string: `k=v` pairs, sorted by key, comma-joined (memoised per labels object). */
export function formatLabels(labels: Record<string, string>): string {
  let text = labelStrings.get(labels);
  if (text === undefined) {
    text = Object.keys(labels)
      .sort()
      .map(k => `${k}=${labels[k]}`)
      .join(",");
    labelStrings.set(labels, text);
  }
  return text;
}

function commonFields(ev: SecurityEvent): Alert & Log {
  const c = ev.identity.container;
  const p = ev.process;
  const out: Alert & Log = {
    Timestamp: epochSeconds(ev.timeMs),
    UpdatedTime: formatUpdatedTime(ev.timeMs),
    ClusterName: ev.identity.clusterName,
    HostName: ev.identity.hostName,
    NamespaceName: c?.namespace ?? "",
    PodName: c?.pod ?? "",
    Labels: c ? formatLabels(c.labels) : "",
    ContainerID: c?.id ?? "",
    ContainerName: c?.name ?? "",
    ContainerImage: c?.image ?? "",
    HostPPID: p.hostPpid,
    HostPID: p.hostPid,
    PPID: p.ppid,
    PID: p.pid,
    UID: p.uid,
    ParentProcessName: p.parentProcessName,
    ProcessName: p.processName,
    Source: ev.source,
    Operation: ev.operation,
    Resource: ev.resource,
    Data: ev.data,
    EventData: parseEventData(ev.data, ev.operation === "Network" ? ev.resource : ""),
    Result: ev.result,
    Cwd: p.cwd ?? "",
    TTY: p.tty ?? "",
    NodeID: ev.identity.nodeId ?? "",
    UserName: p.userName ?? "",
  };
  if (c?.owner) out.Owner = { Ref: c.owner.kind, Name: c.owner.name, Namespace: c.owner.namespace };
  if (p.execId || p.executableName)
    out.ExecEvent = { ExecID: p.execId ?? "", ExecutableName: p.executableName ?? "" };
  return out;
}

/** Plain telemetry: ContainerLog / HostLog when the workload's visibility covers it, else nothing. */
export function telemetry(ev: SecurityEvent, why: string): Labelled {
  if (!ev.visible) return { kind: "none", why: `${why}; visibility of ${ev.operation} is off` };
  const log: Log = commonFields(ev);
  log.Type = ev.identity.container ? "ContainerLog" : "HostLog";
  return { kind: "log", log };
}

/**
 * The Action an alert carries, or null when the event is not an alert (KubeArmor's rules):
 *   Allow verdict + Passed            → not emitted (KubeArmor drops MatchedPolicy/Allow/Passed);
 *   Audit verdict + Passed            → Audit;
 *   Block verdict + denied (enabled)  → Block;
 *   Block verdict + Passed (audited)  → Audit (Block);
 *   anything else (e.g. denied by another layer, Block rule that did not deny) → telemetry.
 */
function alertAction(ev: SecurityEvent): AlertAction | "drop" | null {
  const d = ev.decision;
  if (!d) return null;
  const passed = ev.result === "Passed";
  switch (d.verdict) {
    case "Allow":
      return passed ? "drop" : null;
    case "Audit":
      return passed ? "Audit" : null;
    case "Block":
      if (ev.policyState === "audited") return passed ? "Audit (Block)" : null;
      return passed ? null : "Block";
  }
}

function ruleKey(ev: SecurityEvent): string {
  const d = ev.decision!;
  if (!d.rule) return `DefaultPosture/${d.defaultPosture ?? ev.operation}`;
  const o = d.rule.origin;
  return `${o.kind}/${o.namespace ?? ""}/${o.name}#${o.path}`;
}

/** Label one event. See the module comment and docs/alerts.md for the full table. */
export function labelEvent(ev: SecurityEvent, ctx: LabelContext): Labelled {
  if (ev.policyState === "disabled") return telemetry(ev, "policies disabled for this workload");
  const action = alertAction(ev);
  if (action === "drop") return { kind: "none", why: "Allow + Passed is not emitted" };
  if (action === null)
    return telemetry(
      ev,
      ev.decision ? `${ev.decision.verdict} verdict with result ${ev.result}` : "no policy decision",
    );

  // BPF-LSM dedup (KubeArmor feeder.go PushLog): the LSM emits its own Block and DefaultPosture
  // alerts, and in Rampart its own audits as well, so the monitor's copy is demoted to telemetry.
  if (ctx.activeEnforcer === "BPFLSM" && ev.enforcer === "eBPF Monitor") {
    const emitsAudit = ctx.enforcerEmitsAudit ?? true;
    const isAudit = action === "Audit";
    if (!isAudit || ev.decision?.defaultPosture || emitsAudit) {
      return telemetry(ev, "BPF-LSM reports this alert itself");
    }
  }

  const d = ev.decision!;
  const posture = !d.rule;
  const rule = d.rule;
  const tags = posture || !rule ? [] : rule.tags;
  const enforcer: EnforcerName | "eBPF Monitor" =
    ev.enforcer === "eBPF Monitor" && action === "Block" && ctx.activeEnforcer !== "none"
      ? ctx.activeEnforcer
      : ev.enforcer;
  const alert: Alert = commonFields(ev);
  alert.PolicyName = posture ? "DefaultPosture" : rule!.origin.name;
  alert.Severity = posture ? "" : String(rule!.severity);
  alert.Tags = tags.join(",");
  alert.ATags = tags.slice();
  alert.Message = posture ? "" : rule!.message;
  alert.Type = ev.identity.container ? "MatchedPolicy" : "MatchedHostPolicy";
  alert.Enforcer = enforcer;
  alert.Action = action;
  alert.KubeArmorVersion = ctx.version ?? "";
  return { kind: "alert", alert, key: { container: ev.identity.container?.id ?? "host", rule: ruleKey(ev) } };
}

/** Which stream an alert or log type goes to (kubearmor-compat §12.1 routing). */
export function streamOf(type: string): "alerts" | "logs" {
  return type === "ContainerLog" || type === "HostLog" ? "logs" : "alerts";
}
