// SPDX-License-Identifier: Apache-2.0
//
// What `rampart probe` reports about a node. Every capability is a typed result, never a bare
// boolean: "unsupported" and "unknown" carry a short machine-readable reason (EPERM, not-built,
// not-mounted, ...) plus a human detail, so callers can choose a backend and explain why.

/** Outcome of one capability check. */
export type Support =
  | { state: "supported"; detail?: string }
  | { state: "unsupported"; reason: string; detail?: string }
  | { state: "unknown"; reason: string; detail?: string };

/** How the BPF-LSM load check was done. */
export type LsmLoadMethod = "native" | "bpftool" | "none";

export interface BpfLsmLoadCheck {
  method: LsmLoadMethod;
  /** "supported" only when a BPF-LSM program (or bpftool's program-type probe) loaded. */
  result: Support;
  /** Why this method was chosen (e.g. "native addon not built: native/index.js missing"). */
  note?: string;
}

export interface MountPoint {
  mountPoint: string;
  source: string;
  options: string;
}

export interface ProbeReport {
  kernel: { release: string | null };
  /** /sys/kernel/security/lsm: the active LSMs in initialisation order. */
  lsm: { active: string[] | null; result: Support };
  apparmor: Support;
  selinux: Support & { mode?: "enforcing" | "permissive"; policyLoaded?: boolean };
  btf: Support;
  bpffs: { mounts: MountPoint[]; result: Support };
  cgroup2: { mounts: MountPoint[]; result: Support; hybrid: boolean };
  bpfLsm: {
    /** "bpf" appears in the active LSM list (needed for BPF-LSM programs to run at all). */
    active: Support;
    load: BpfLsmLoadCheck;
  };
  /** Enforcement backends this node can use, derived from the facts above. */
  backends: { apparmor: boolean; bpfLsm: boolean; selinux: boolean };
}
