// SPDX-License-Identifier: Apache-2.0
//
// The domain event: what the kernel side (BPF-LSM ring buffer, AppArmor/SELinux denials seen by
// the monitor, the eBPF monitor) produces after decoding and enrichment, before it is labelled
// as a KubeArmor Alert or Log. Plain data; the labeller (labeller.ts) is a pure function of it.

import type { Decision, Operation, OwnerRef, PolicyState } from "../model/types.js";

/**
 * Who observed the event. The LSM enforcers report their own denials (and, in Rampart, their own
 * audits: kubearmor-compat §21.14); "eBPF Monitor" is the visibility telemetry.
 */
export type EnforcerName = "BPFLSM" | "AppArmor" | "SELinux" | "eBPF Monitor";

/** Result texts as KubeArmor writes them; any other errno text is allowed too. */
export type ResultText = "Passed" | "Permission denied" | "Operation not permitted" | (string & {});

export interface ContainerIdentity {
  /** Full container id (64 hex for containerd/runc). */
  id: string;
  name: string;
  image?: string;
  namespace: string;
  pod: string;
  labels: Record<string, string>;
  /** Pod controller, ReplicaSet collapsed to Deployment. */
  owner?: OwnerRef;
}

export interface EventIdentity {
  clusterName: string;
  hostName: string;
  nodeId?: string;
  /** Absent for host events (MatchedHostPolicy / HostLog). */
  container?: ContainerIdentity;
}

export interface ProcessInfo {
  /** Pids in the host pid namespace. */
  hostPid: number;
  hostPpid: number;
  /** Pids in the container's pid namespace (equal to the host ones for host events). */
  pid: number;
  ppid: number;
  uid: number;
  userName?: string;
  /** Executable path of the acting process and of its parent. */
  processName: string;
  parentProcessName: string;
  cwd?: string;
  /** TTY name (e.g. `pts0`), empty without a terminal. */
  tty?: string;
  /** Exec session id and executable (Alert.ExecEvent). */
  execId?: string;
  executableName?: string;
}

export interface SecurityEvent {
  /** Wall-clock time of the event, epoch milliseconds (fractions allowed for sub-ms precision). */
  timeMs: number;
  identity: EventIdentity;
  process: ProcessInfo;
  operation: Operation;
  /** The acting binary (or the fromSource path). */
  source: string;
  /** File path; full command line for Process; `remoteip=… port=… protocol=TCP` style for Network; `CAP_*` for Capabilities. */
  resource: string;
  /** Details as space-separated `k=v` tokens, e.g. `syscall=SYS_OPENAT fd=-100 flags=O_RDONLY`, `lsm=FILE_OPEN`. */
  data: string;
  result: ResultText;
  /**
   * What the effective policy says about this access (the oracle's / enforcer's verdict with its
   * reason). Absent when no policy of the workload has anything to say (plain telemetry). For a
   * default-posture decision, `verdict` is the posture: Block for `block`, Audit for `audit`.
   */
  decision?: Decision;
  /** `kubearmor-policy` state of the workload: audited turns Block into `Audit (Block)`. */
  policyState: PolicyState;
  /** Who observed the event (see EnforcerName). */
  enforcer: EnforcerName;
  /** Whether telemetry of this operation is visible for the workload (kubearmor-visibility). Alerts ignore it. */
  visible: boolean;
}
