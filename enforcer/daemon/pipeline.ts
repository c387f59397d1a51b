// SPDX-License-Identifier: Apache-2.0
//
// The event path: decoded kernel event (monitor tracepoints, or an LSM enforcer's own report) →
// identity (which container, or the host) → the workload's effective policy → decision (the
// enforcer's own when it reported one, else the oracle's) → KubeArmor labelling → throttle →
// feeder. Pure glue over tested parts; every event that produces nothing is counted with why.

import { decide, type OracleEvent } from "../compilers/oracle.js";
import type { Labelled } from "../events/labeller.js";
import { labelEvent, type LabelContext } from "../events/labeller.js";
import type { AlertThrottle } from "../events/throttle.js";
import type { EnforcerName, SecurityEvent } from "../events/types.js";
import type { Alert, Log } from "../feeder/wire.js";
import type { IdentityIndex } from "../identity/containers.js";
import type { Decision, EffectivePolicy, Operation, OwnerRef } from "../model/types.js";
import type { ContainerIdentity, WorkloadInput } from "../reconcile/types.js";

export type MonitorOperation = "process" | "file" | "network" | "capability";

/** One decoded kernel event, before enrichment (the native layer's events map onto this). */
export interface MonitorEvent {
  timeMs: number;
  /** bpf_get_current_cgroup_id() of the acting task. */
  cgroupId?: bigint;
  hostPid: number;
  hostPpid: number;
  /** Pids as seen inside the task's pid namespace (default: the host ones). */
  pid?: number;
  ppid?: number;
  uid: number;
  /** Executable of the acting task (for exec: the binary being executed). */
  processName: string;
  parentProcessName?: string;
  operation: MonitorOperation;
  /** process: full command line or path; file: the path. */
  path?: string;
  args?: string;
  write?: boolean;
  /** Owner uid of the target inode (ownerOnly rules). */
  ownerUid?: number;
  protocol?: string;
  sockType?: string;
  /** network: `remoteip=… port=…` style detail. */
  remote?: string;
  capability?: string;
  syscall?: string;
  /** 0 = allowed; negative errno = denied. */
  retval: number;
  tty?: string;
  cwd?: string;
  truncated?: boolean;
  /** Who reported it: the monitor, or an LSM enforcer reporting its own decision. */
  reporter: EnforcerName;
  /** The enforcer's decision (BPF-LSM events name the rule); absent for monitor events. */
  decision?: Decision;
  /** The kernel enforcer's raw verdict: rule id (1-based index into the effective rules) or posture. */
  enforcerVerdict?: { verdict: "Allow" | "Audit" | "Block"; ruleId: number; posture: boolean };
}

export interface WorkloadView {
  workload: WorkloadInput;
  effective: EffectivePolicy;
}

export interface PipelineOptions {
  clusterName: string;
  hostName: string;
  nodeId?: string;
  index: IdentityIndex;
  /** Effective policy by workload id (the reconciler's last pass). */
  effective: () => Map<string, WorkloadView>;
  hostWorkloadId: string;
  label: LabelContext;
  /** `--enforcer none`: nothing is enforced, so Block rules are reported as `Audit (Block)`. */
  monitorOnly: boolean;
  throttle: AlertThrottle;
  publishAlert: (a: Alert) => void;
  publishLog: (l: Log) => void;
}

export interface PipelineStats {
  events: number;
  alerts: number;
  logs: number;
  silent: number;
  byReason: Record<string, number>;
}

const OPERATION: Record<MonitorOperation, Operation> = {
  process: "Process",
  file: "File",
  network: "Network",
  capability: "Capabilities",
};

function resultText(retval: number): string {
  if (retval >= 0) return "Passed";
  if (retval === -13) return "Permission denied";
  if (retval === -1) return "Operation not permitted";
  return `errno ${-retval}`;
}

function workloadIdOf(c: ContainerIdentity): string {
  return `container:${c.podNamespace ?? "default"}/${c.podName ?? c.name}/${c.name}`;
}

export class EventPipeline {
  readonly stats: PipelineStats = { events: 0, alerts: 0, logs: 0, silent: 0, byReason: {} };
  constructor(private readonly o: PipelineOptions) {}

  /** Turn one event into what the feeder publishes; returns the labelled result (tests). */
  handle(ev: MonitorEvent): Labelled {
    this.stats.events++;
    const container = this.o.index.resolve(ev.cgroupId, ev.hostPid);
    const views = this.o.effective();
    const view = views.get(container ? workloadIdOf(container) : this.o.hostWorkloadId);
    const sec = this.securityEvent(ev, container, view);
    const out = labelEvent(sec, this.o.label);
    if (out.kind === "alert") {
      for (const a of this.o.throttle.admit(out.alert, out.key)) this.o.publishAlert(a);
      this.stats.alerts++;
    } else if (out.kind === "log") {
      this.o.publishLog(out.log);
      this.stats.logs++;
    } else {
      this.stats.silent++;
      const k = out.why.replace(/;.*$/, "");
      this.stats.byReason[k] = (this.stats.byReason[k] ?? 0) + 1;
    }
    return out;
  }

  /** Periodic: lets throttles that ended report their drops. */
  tick(): void {
    for (const a of this.o.throttle.tick()) this.o.publishAlert(a);
  }

  private securityEvent(
    ev: MonitorEvent,
    container: ContainerIdentity | undefined,
    view: WorkloadView | undefined,
  ): SecurityEvent {
    const effective = view?.effective;
    let decision: Decision | undefined = ev.decision;
    let policyState = effective?.state ?? "enabled";
    if (!decision && ev.enforcerVerdict) decision = this.fromEnforcer(ev, effective);
    if (!decision && effective && effective.policies.length > 0) {
      // Monitor-only nodes enforce nothing: like KubeArmor's "no usable LSM" endpoints, they are audited.
      const asSeen =
        this.o.monitorOnly && effective.state === "enabled"
          ? { ...effective, state: "audited" as const }
          : effective;
      const d = decide(asSeen, this.oracleEvent(ev));
      if (d.wouldBlock) {
        decision = { ...d, verdict: "Block" };
        policyState = "audited";
      } else if (d.rule || d.defaultPosture) {
        decision = d;
        // A Block the kernel did not carry out (the syscall succeeded: a rule the backend cannot
        // express, a process confined only from its next exec) is reported as what happened,
        // "Audit (Block)", never as an enforced Block.
        if (d.verdict === "Block" && ev.retval >= 0) policyState = "audited";
      }
    }
    const owner: OwnerRef | undefined =
      view?.effective.target.kind === "container"
        ? view.effective.target.owner
        : container
          ? {
              kind: "Pod",
              name: container.podName ?? container.name,
              namespace: container.podNamespace ?? "default",
            }
          : undefined;
    const op = OPERATION[ev.operation];
    const resource =
      ev.operation === "process"
        ? ev.args
          ? `${ev.path ?? ev.processName} ${ev.args}`
          : (ev.path ?? ev.processName)
        : ev.operation === "file"
          ? (ev.path ?? "")
          : ev.operation === "network"
            ? (ev.remote ?? `protocol=${(ev.protocol ?? ev.sockType ?? "").toUpperCase()}`)
            : `CAP_${(ev.capability ?? "").toUpperCase()}`;
    const data = [ev.syscall ? `syscall=${ev.syscall}` : "", ev.truncated ? "truncated=true" : ""]
      .filter(Boolean)
      .join(" ");
    const visibility = effective?.visibility;
    const visible =
      !!visibility &&
      (ev.operation === "process"
        ? visibility.process
        : ev.operation === "file"
          ? visibility.file
          : ev.operation === "network"
            ? visibility.network
            : visibility.capabilities);
    return {
      timeMs: ev.timeMs,
      identity: {
        clusterName: this.o.clusterName,
        hostName: this.o.hostName,
        ...(this.o.nodeId ? { nodeId: this.o.nodeId } : {}),
        ...(container
          ? {
              container: {
                id: container.containerId,
                name: container.name,
                ...(container.image ? { image: container.image } : {}),
                namespace: container.podNamespace ?? "default",
                pod: container.podName ?? container.name,
                labels: container.labels,
                ...(owner ? { owner } : {}),
              },
            }
          : {}),
      },
      process: {
        hostPid: ev.hostPid,
        hostPpid: ev.hostPpid,
        pid: ev.pid ?? ev.hostPid,
        ppid: ev.ppid ?? ev.hostPpid,
        uid: ev.uid,
        processName: ev.processName,
        parentProcessName: ev.parentProcessName ?? "",
        ...(ev.cwd ? { cwd: ev.cwd } : {}),
        ...(ev.tty ? { tty: ev.tty } : {}),
      },
      operation: op,
      // KubeArmor's Source for an exec is the parent (the binary that ran it).
      source: ev.operation === "process" ? (ev.parentProcessName ?? "") : ev.processName,
      resource,
      data,
      result: resultText(ev.retval),
      ...(decision ? { decision } : {}),
      policyState,
      enforcer: ev.reporter,
      visible,
    };
  }

  /** The BPF-LSM enforcer's own verdict, named by rule (or posture) for the alert. */
  private fromEnforcer(ev: MonitorEvent, effective: EffectivePolicy | undefined): Decision {
    const v = ev.enforcerVerdict!;
    const rule = v.ruleId > 0 ? effective?.rules[v.ruleId - 1] : undefined;
    const category =
      ev.operation === "network" ? "network" : ev.operation === "capability" ? "capabilities" : "file";
    if (rule)
      return {
        verdict: v.verdict,
        rule,
        reason: `${v.verdict} by the kernel enforcer: rule ${v.ruleId} (${rule.origin.name} ${rule.origin.path})`,
      };
    if (v.posture)
      return {
        verdict: v.verdict,
        defaultPosture: category,
        reason: `${v.verdict} by the ${category} default posture (kernel enforcer)`,
      };
    return {
      verdict: v.verdict,
      reason: `${v.verdict} by the kernel enforcer (rule ${v.ruleId} not in the current policy)`,
    };
  }

  private oracleEvent(ev: MonitorEvent): OracleEvent {
    const base: OracleEvent = { operation: ev.operation, uid: ev.uid, tty: !!ev.tty };
    if (ev.truncated) base.truncated = true;
    if (ev.ownerUid !== undefined) base.ownerUid = ev.ownerUid;
    switch (ev.operation) {
      case "process":
        return { ...base, path: ev.path ?? ev.processName, source: ev.parentProcessName ?? "" };
      case "file":
        return { ...base, path: ev.path ?? "", source: ev.processName, write: !!ev.write };
      case "network":
        return {
          ...base,
          source: ev.processName,
          ...(ev.protocol ? { protocol: ev.protocol } : {}),
          ...(ev.sockType ? { sockType: ev.sockType } : {}),
        };
      case "capability":
        return { ...base, source: ev.processName, ...(ev.capability ? { capability: ev.capability } : {}) };
    }
  }
}
