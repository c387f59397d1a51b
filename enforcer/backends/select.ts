// SPDX-License-Identifier: Apache-2.0
//
// Which enforcer to use. `auto` walks KubeArmor's lsm order (bpf, apparmor, selinux) over what
// the probe found and falls back to `none` (monitor + audit) — every skipped choice is returned
// with its reason so the daemon can log why. An explicitly requested enforcer that this node
// cannot run is an error, never a silent downgrade.

import type { ProbeReport } from "../probe/types.js";
import type { BackendName } from "./types.js";

export type EnforcerChoice = "auto" | BackendName;
export const ENFORCER_CHOICES: EnforcerChoice[] = ["auto", "bpf", "apparmor", "selinux", "none"];
export const LSM_ORDER: BackendName[] = ["bpf", "apparmor", "selinux"];

export interface Selection {
  backend: BackendName;
  /** One line per enforcer considered, in order: why it was taken or skipped. */
  reasons: string[];
}

function supportText(s: { state: string; reason?: string; detail?: string }): string {
  return s.state === "supported"
    ? "supported"
    : `${s.state}: ${s.reason ?? ""}${s.detail ? ` (${s.detail})` : ""}`;
}

/** Why `name` cannot run here, or null when it can. */
export function unavailable(
  name: BackendName,
  report: ProbeReport,
  opts: { containers: boolean },
): string | null {
  switch (name) {
    case "none":
      return null;
    case "bpf":
      return report.backends.bpfLsm
        ? null
        : `BPF-LSM not usable: active=${supportText(report.bpfLsm.active)}, load=${supportText(report.bpfLsm.load.result)}`;
    case "apparmor":
      return report.backends.apparmor ? null : `AppArmor not usable: ${supportText(report.apparmor)}`;
    case "selinux":
      if (!report.backends.selinux)
        return report.selinux.state === "supported"
          ? "SELinux is active but no policy is loaded (the module needs a base policy to link into)"
          : `SELinux not usable: ${supportText(report.selinux)}`;
      if (opts.containers)
        return "SELinux enforces host policies only (KubeArmor's SELinux enforcer is host-only); containers would be unprotected";
      return null;
  }
}

export function selectBackend(
  choice: EnforcerChoice,
  report: ProbeReport,
  opts: { containers: boolean },
): Selection {
  if (choice !== "auto") {
    const why = unavailable(choice, report, opts);
    if (why) throw new Error(`--enforcer ${choice}: ${why}`);
    return { backend: choice, reasons: [`${choice}: requested`] };
  }
  const reasons: string[] = [];
  for (const name of LSM_ORDER) {
    const why = unavailable(name, report, opts);
    if (!why) {
      reasons.push(`${name}: chosen (first usable in lsm order ${LSM_ORDER.join(",")})`);
      return { backend: name, reasons };
    }
    reasons.push(`${name}: skipped — ${why}`);
  }
  reasons.push(
    "none: no usable LSM; falling back to monitor + audit only (Block rules are reported as Audit (Block))",
  );
  return { backend: "none", reasons };
}
