// SPDX-License-Identifier: Apache-2.0
//
// The contract between the policy model and everything that consumes it (compilers, oracle,
// reconcile loop, admission). Pure data: no I/O, no classes. Field names follow KubeArmor's
// spec where a KubeArmor concept exists, so a reader can map each field back to the CRD.

export type PolicyKind = "KubeArmorPolicy" | "KubeArmorClusterPolicy" | "KubeArmorHostPolicy";
export const API_VERSION = "security.kubearmor.com/v1";

/** Rule action after normalization (empty ⇒ Block, lowercase capitalised; kubearmor-compat §5). */
export type Action = "Allow" | "Audit" | "Block";

/** Default posture of an allow-list category (kubearmor-compat §7.2). */
export type Posture = "audit" | "block";

/** `kubearmor-policy` annotation on a pod / namespace / node (kubearmor-compat §7.4). */
export type PolicyState = "enabled" | "audited" | "disabled";

export const PROTOCOLS = [
  "tcp",
  "udp",
  "icmp",
  "icmpv6",
  "raw",
  "sctp",
  "stream",
  "dgram",
  "rdm",
  "seqpacket",
  "dccp",
  "packet",
  "all",
] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Capability names as KubeArmor spells them: lowercase, no `cap_` prefix. Index = kernel CAP_* number. */
export const CAPABILITIES = [
  "chown",
  "dac_override",
  "dac_read_search",
  "fowner",
  "fsetid",
  "kill",
  "setgid",
  "setuid",
  "setpcap",
  "linux_immutable",
  "net_bind_service",
  "net_broadcast",
  "net_admin",
  "net_raw",
  "ipc_lock",
  "ipc_owner",
  "sys_module",
  "sys_rawio",
  "sys_chroot",
  "sys_ptrace",
  "sys_pacct",
  "sys_admin",
  "sys_boot",
  "sys_nice",
  "sys_resource",
  "sys_time",
  "sys_tty_config",
  "mknod",
  "lease",
  "audit_write",
  "audit_control",
  "setfcap",
  "mac_override",
  "mac_admin",
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Where a rule came from: enough to name it in an alert and in an error message. */
export interface RuleOrigin {
  kind: PolicyKind;
  name: string;
  /** Set for KubeArmorPolicy only. */
  namespace?: string;
  /** JSON path of the rule inside the policy, e.g. `spec.file.matchPaths[0]`. */
  path: string;
}

/** Fields every enforceable rule carries after rule → section → spec inheritance. */
export interface RuleMeta {
  origin: RuleOrigin;
  severity: number;
  tags: string[];
  message: string;
  action: Action;
  /** Absolute binary paths; empty = any source. A rule matches when the source is any of them. */
  fromSource: string[];
}

export type PathMatch =
  | { type: "path"; path: string }
  /** `dir` always ends with `/`. */
  | { type: "dir"; dir: string; recursive: boolean }
  /** AppArmor-style glob (`*`, `?`, `**`, `[...]`, `{a,b}` as far as validation admits it). */
  | { type: "pattern"; pattern: string };

export type ProcessMatch = PathMatch | { type: "execname"; name: string };

export interface ProcessRule extends RuleMeta {
  category: "process";
  match: ProcessMatch;
  ownerOnly: boolean;
  /** undefined = no TTY condition; true/false = only with / without a TTY attached. */
  pts?: boolean;
  allowedArgs?: string[];
}

export interface FileRule extends RuleMeta {
  category: "file";
  match: PathMatch;
  readOnly: boolean;
  ownerOnly: boolean;
  pts?: boolean;
}

export interface NetworkRule extends RuleMeta {
  category: "network";
  /** One protocol per rule: comma lists are expanded during normalization. */
  protocol: Protocol;
  pts?: boolean;
}

export interface DnsRule extends RuleMeta {
  category: "dns";
  domain: string;
}

export interface CapabilityRule extends RuleMeta {
  category: "capabilities";
  capability: Capability;
}

/** fromSource of a syscall rule: a binary path, or a directory (optionally recursive). */
export type SyscallSource = { path: string } | { dir: string; recursive: boolean };

/** Syscall rules are audit-only (no action field in the CRD). */
export interface SyscallRule {
  category: "syscalls";
  origin: RuleOrigin;
  severity: number;
  tags: string[];
  message: string;
  action: "Audit";
  syscalls: string[];
  /** For `syscalls.matchPaths`: the file or directory (dir ends with `/`) the syscall must touch. */
  target?: { path: string } | { dir: string; recursive: boolean };
  fromSource: SyscallSource[];
}

/** Host policies only (KubeArmorHostPolicy spec.device). */
export interface DeviceRule extends Omit<RuleMeta, "fromSource"> {
  category: "device";
  class: string;
  subClass?: number;
  protocol?: number;
  level?: number;
}

export type Rule = ProcessRule | FileRule | NetworkRule | DnsRule | CapabilityRule | SyscallRule | DeviceRule;
export type RuleCategory = Rule["category"];

/**
 * A policy after normalization: every rule is self-contained (inherited meta filled in,
 * comma lists expanded). Selector data is kept as written; selection is done by selectors.ts.
 */
export interface NormalizedPolicy {
  kind: PolicyKind;
  name: string;
  namespace?: string;
  /** Where it was read from, for messages: `file.yaml#2`. */
  source?: string;
  /** Spec-level action after defaulting (empty ⇒ Block). */
  action: Action;
  selector: {
    matchLabels: Record<string, string>;
    matchExpressions: Array<{ key: string; operator: "In" | "NotIn"; values: string[] }>;
  };
  /** HSP only. */
  nodeSelector?: { matchLabels: Record<string, string> };
  rules: Rule[];
  /** Raw `spec.apparmor` text (validated as AppArmor rule lines; AppArmor enforcer only). */
  apparmor?: string;
  presets: Array<{ name: string; action: Action }>;
  /** The object as written (after YAML parsing), for status and explain. */
  raw: Record<string, unknown>;
}

/** Per-category default postures. process and file share `file` (kubearmor-compat §7.2). */
export interface Postures {
  file: Posture;
  network: Posture;
  capabilities: Posture;
}

export interface Visibility {
  process: boolean;
  file: boolean;
  network: boolean;
  capabilities: boolean;
}

export interface OwnerRef {
  /** Controller kind after collapsing ReplicaSet → Deployment: Deployment, DaemonSet, StatefulSet, Job, Pod … */
  kind: string;
  name: string;
  namespace: string;
}

export interface ContainerTarget {
  kind: "container";
  namespace: string;
  pod: string;
  container: string;
  owner: OwnerRef;
  labels: Record<string, string>;
  image?: string;
  node?: string;
}

export interface HostTarget {
  kind: "host";
  hostname: string;
  labels: Record<string, string>;
}

export type Target = ContainerTarget | HostTarget;

/**
 * What one container (or the host) must enforce: the union of all matching policies'
 * rules, with postures and state resolved. The input to every compiler and to the oracle.
 */
export interface EffectivePolicy {
  target: Target;
  state: PolicyState;
  postures: Postures;
  /** A category is in allow-list mode when any of its rules is an Allow (process+file share one). */
  allowList: { file: boolean; network: boolean; capabilities: boolean };
  visibility: Visibility;
  /** Deterministic order: policies sorted by (kind, namespace, name), rules in document order. */
  rules: Rule[];
  /** `spec.apparmor` snippets of the matching policies, with their origin. */
  apparmor: Array<{ origin: RuleOrigin; text: string }>;
  policies: Array<{ kind: PolicyKind; name: string; namespace?: string }>;
}

/** A validation finding. `path` is a JSON path into the document, e.g. `spec.process.matchPaths[0].path`. */
export interface Problem {
  level: "error" | "warning";
  file: string;
  /** 1-based index of the YAML document in the file. */
  document: number;
  kind?: string;
  name?: string;
  namespace?: string;
  path: string;
  message: string;
}

/** Workload inputs for selector resolution (from the API server, containerd, or YAML files). */
export interface PodInfo {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  owner?: { kind: string; name: string };
  containers: Array<{ name: string; image?: string }>;
  nodeName?: string;
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Global configuration (KubeArmor's defaultFilePosture etc.). */
export interface Defaults {
  postures: Postures;
  hostPostures: Postures;
  visibility: Visibility;
  hostVisibility: Visibility;
  untrackedNamespaces: string[];
}

export const DEFAULTS: Defaults = {
  postures: { file: "audit", network: "audit", capabilities: "audit" },
  hostPostures: { file: "audit", network: "audit", capabilities: "audit" },
  visibility: { process: true, file: true, network: true, capabilities: true },
  hostVisibility: { process: false, file: false, network: false, capabilities: false },
  untrackedNamespaces: ["kube-system", "kubearmor", "rampart-system"],
};

/** Alert `Operation` values for enforceable categories (kubearmor-compat §10.1). */
export type Operation = "Process" | "File" | "Network" | "Capabilities" | "Syscall";

/**
 * The outcome of one access check, produced by the oracle (and mirrored by every enforcer).
 * Carries its reason all the way to the alert: which rule, or which default posture.
 */
export interface Decision {
  /** What happens: Allow (silently), Audit (allowed + alert), Block (denied + alert). */
  verdict: Action;
  /** The rule that decided; undefined when a default posture decided or nothing matched. */
  rule?: Rule;
  /** Set when the default posture of an allow-list category decided (alert PolicyName "DefaultPosture"). */
  defaultPosture?: "file" | "network" | "capabilities";
  /** One sentence: which rule or posture and why, e.g. `Block by ksp default/deny-sleep spec.process.matchPaths[0]`. */
  reason: string;
}
