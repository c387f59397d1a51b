// SPDX-License-Identifier: Apache-2.0
//
// Human-readable rendering of a ProbeReport (`rampart probe` without --output json). Pure.

import type { ProbeReport, Support } from "./types.js";

/** Text output keeps one line per fact; the full detail (e.g. libbpf's log) is in --output json. */
const MAX_DETAIL = 120;

/** "supported (detail)" / "unsupported: EPERM — detail" / "unknown: not-mounted — detail". */
export function supportText(s: Support): string {
  const detail =
    s.detail && s.detail.length > MAX_DETAIL ? `${s.detail.slice(0, MAX_DETAIL - 1)}…` : s.detail;
  if (s.state === "supported") return detail ? `supported (${detail})` : "supported";
  return `${s.state}: ${s.reason}${detail ? ` — ${detail}` : ""}`;
}

export function formatProbeReport(r: ProbeReport): string {
  const yes = (b: boolean): string => (b ? "yes" : "no");
  const cg =
    supportText(r.cgroup2.result) + (r.cgroup2.hybrid ? " [hybrid: cgroup v1 controllers mounted too]" : "");
  let selinux = supportText(r.selinux);
  if (r.selinux.mode) selinux += ` [${r.selinux.mode}]`;
  const rows: [string, string][] = [
    ["kernel", r.kernel.release ?? "unknown"],
    ["LSMs active", r.lsm.active ? r.lsm.active.join(",") : supportText(r.lsm.result)],
    ["AppArmor", supportText(r.apparmor)],
    ["SELinux", selinux],
    ["BTF", supportText(r.btf)],
    ["bpffs", supportText(r.bpffs.result)],
    ["cgroup v2", cg],
    ["BPF-LSM active", supportText(r.bpfLsm.active)],
    ["BPF-LSM load", `${supportText(r.bpfLsm.load.result)} [method: ${r.bpfLsm.load.method}]`],
  ];
  if (r.bpfLsm.load.note) rows.push(["", `(${r.bpfLsm.load.note})`]);
  rows.push([
    "backends",
    `apparmor=${yes(r.backends.apparmor)} bpf-lsm=${yes(r.backends.bpfLsm)} selinux=${yes(r.backends.selinux)}`,
  ]);
  return rows.map(([k, v]) => `${k.padEnd(15)} ${v}`).join("\n");
}
