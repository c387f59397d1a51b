// SPDX-License-Identifier: Apache-2.0
//
// `rampart probe`'s logic: what this node's kernel supports. One narrow entry point,
// probeNode({ fs, bpfLsmLoad }), reads /proc and /sys only through the injected FsReader and asks
// the injected load check whether a BPF-LSM program can be loaded — so the whole decision table is
// unit-tested against fixture directories, and the same code runs for real on the host and in the VM.

import type { FsReader } from "./fs-reader.js";
import { parseMountInfo } from "./mountinfo.js";
import type { BpfLsmLoadCheck, MountPoint, ProbeReport, Support } from "./types.js";

export interface ProbeDeps {
  fs: FsReader;
  bpfLsmLoad: () => Promise<BpfLsmLoadCheck>;
}

/** Paths the probe reads (relative to the reader's root). */
export const PROBE_PATHS = {
  osrelease: "/proc/sys/kernel/osrelease",
  mountinfo: "/proc/self/mountinfo",
  lsm: "/sys/kernel/security/lsm",
  securityfs: "/sys/kernel/security",
  apparmorEnabled: "/sys/module/apparmor/parameters/enabled",
  apparmorFs: "/sys/kernel/security/apparmor",
  selinuxfs: "/sys/fs/selinux",
  btf: "/sys/kernel/btf/vmlinux",
} as const;

const supported = (detail?: string): Support =>
  detail ? { state: "supported", detail } : { state: "supported" };

function mountsOf(fsType: string, mountinfo: string | undefined): MountPoint[] {
  if (mountinfo === undefined) return [];
  return parseMountInfo(mountinfo)
    .filter(m => m.fsType === fsType)
    .map(m => ({ mountPoint: m.mountPoint, source: m.source, options: m.options }));
}

function probeLsmList(fs: FsReader): ProbeReport["lsm"] {
  const r = fs.readText(PROBE_PATHS.lsm);
  if (r.ok) {
    const active = r.value.trim().split(",").filter(Boolean);
    return { active, result: supported(active.join(",")) };
  }
  const mounted = fs.stat(PROBE_PATHS.securityfs);
  const emptyDir =
    mounted.ok &&
    (() => {
      const l = fs.list(PROBE_PATHS.securityfs);
      return l.ok && l.value.length === 0;
    })();
  if (r.code === "ENOENT" && (!mounted.ok || emptyDir)) {
    return {
      active: null,
      result: {
        state: "unknown",
        reason: "not-mounted",
        detail: `securityfs is not mounted at ${PROBE_PATHS.securityfs}`,
      },
    };
  }
  return {
    active: null,
    result: { state: "unknown", reason: r.code, detail: `cannot read ${PROBE_PATHS.lsm}` },
  };
}

function probeAppArmor(fs: FsReader, active: string[] | null): Support {
  const r = fs.readText(PROBE_PATHS.apparmorEnabled);
  if (!r.ok) {
    return r.code === "ENOENT"
      ? { state: "unsupported", reason: "not-built", detail: "AppArmor is not built into this kernel" }
      : { state: "unknown", reason: r.code, detail: `cannot read ${PROBE_PATHS.apparmorEnabled}` };
  }
  if (r.value.trim() !== "Y") {
    return {
      state: "unsupported",
      reason: "disabled",
      detail: "AppArmor is built in but not enabled (not in lsm=, or apparmor=0)",
    };
  }
  if (active && !active.includes("apparmor")) {
    return {
      state: "unsupported",
      reason: "not-active",
      detail: "AppArmor is enabled but missing from the active LSM list",
    };
  }
  const fsDir = fs.stat(PROBE_PATHS.apparmorFs);
  if (!fsDir.ok) {
    return {
      state: "unknown",
      reason: "not-mounted",
      detail: `AppArmor is enabled but ${PROBE_PATHS.apparmorFs} is missing (mount securityfs to load profiles)`,
    };
  }
  return supported("enabled; profiles load through " + PROBE_PATHS.apparmorFs);
}

function probeSelinux(
  fs: FsReader,
  active: string[] | null,
  mountinfo: string | undefined,
): ProbeReport["selinux"] {
  const inList = active?.includes("selinux") ?? null;
  const dir = fs.stat(PROBE_PATHS.selinuxfs);
  if (!dir.ok) {
    if (inList === true)
      return {
        state: "unknown",
        reason: "no-selinuxfs",
        detail: `SELinux is active but ${PROBE_PATHS.selinuxfs} is missing`,
      };
    return {
      state: "unsupported",
      reason: inList === false ? "not-active" : "absent",
      detail: "SELinux is not active in this kernel",
    };
  }
  const mounted = mountsOf("selinuxfs", mountinfo).some(m => m.mountPoint === PROBE_PATHS.selinuxfs);
  const enforce = fs.readText(`${PROBE_PATHS.selinuxfs}/enforce`);
  if (!mounted && !enforce.ok) {
    return {
      state: "unknown",
      reason: "not-mounted",
      detail: `SELinux is active; selinuxfs is not mounted at ${PROBE_PATHS.selinuxfs}`,
    };
  }
  const mode = enforce.ok ? (enforce.value.trim() === "1" ? "enforcing" : "permissive") : undefined;
  const classes = fs.list(`${PROBE_PATHS.selinuxfs}/class`);
  const policyLoaded = classes.ok && classes.value.length > 0;
  const result: ProbeReport["selinux"] = {
    state: "supported",
    detail: `selinuxfs at ${PROBE_PATHS.selinuxfs}${policyLoaded ? "" : ", no policy loaded"}`,
    policyLoaded,
  };
  if (mode) result.mode = mode;
  return result;
}

function probeBtf(fs: FsReader): Support {
  const st = fs.stat(PROBE_PATHS.btf);
  if (st.ok) return supported(`${PROBE_PATHS.btf}`);
  return st.code === "ENOENT"
    ? {
        state: "unsupported",
        reason: "no-btf",
        detail: "kernel built without CONFIG_DEBUG_INFO_BTF (CO-RE needs an external BTF)",
      }
    : { state: "unknown", reason: st.code, detail: `cannot stat ${PROBE_PATHS.btf}` };
}

/** Probe the node. Never throws for a missing or unreadable fact: it becomes a typed result. */
export async function probeNode(deps: ProbeDeps): Promise<ProbeReport> {
  const { fs } = deps;
  const osrelease = fs.readText(PROBE_PATHS.osrelease);
  const mi = fs.readText(PROBE_PATHS.mountinfo);
  const mountinfo = mi.ok ? mi.value : undefined;

  const lsm = probeLsmList(fs);
  const apparmor = probeAppArmor(fs, lsm.active);
  const selinux = probeSelinux(fs, lsm.active, mountinfo);
  const btf = probeBtf(fs);

  const bpfMounts = mountsOf("bpf", mountinfo);
  const bpffs: ProbeReport["bpffs"] = {
    mounts: bpfMounts,
    result:
      mountinfo === undefined
        ? {
            state: "unknown",
            reason: mi.ok ? "unread" : mi.code,
            detail: `cannot read ${PROBE_PATHS.mountinfo}`,
          }
        : bpfMounts.length > 0
          ? supported(bpfMounts.map(m => m.mountPoint).join(", "))
          : {
              state: "unsupported",
              reason: "not-mounted",
              detail: "no bpf filesystem mounted (pinning needs one, usually /sys/fs/bpf)",
            },
  };

  const cg2 = mountsOf("cgroup2", mountinfo);
  const cgroup2: ProbeReport["cgroup2"] = {
    mounts: cg2,
    hybrid: mountsOf("cgroup", mountinfo).length > 0,
    result:
      mountinfo === undefined
        ? {
            state: "unknown",
            reason: mi.ok ? "unread" : mi.code,
            detail: `cannot read ${PROBE_PATHS.mountinfo}`,
          }
        : cg2.length > 0
          ? supported(cg2.map(m => m.mountPoint).join(", "))
          : { state: "unsupported", reason: "not-mounted", detail: "no cgroup2 hierarchy mounted" },
  };

  const bpfActive: Support =
    lsm.active === null
      ? {
          state: "unknown",
          reason: lsm.result.state === "supported" ? "unread" : (lsm.result as { reason: string }).reason,
          detail: "active LSM list unknown",
        }
      : lsm.active.includes("bpf")
        ? supported("bpf is in the active LSM list")
        : {
            state: "unsupported",
            reason: "not-active",
            detail: "bpf is not in the active LSM list (boot with lsm=...,bpf)",
          };

  const load = await deps.bpfLsmLoad();

  return {
    kernel: { release: osrelease.ok ? osrelease.value.trim() : null },
    lsm,
    apparmor,
    selinux,
    btf,
    bpffs,
    cgroup2,
    bpfLsm: { active: bpfActive, load },
    backends: {
      apparmor: apparmor.state === "supported",
      // a loadable program also needs "bpf" active to be called at all
      bpfLsm: load.result.state === "supported" && bpfActive.state !== "unsupported",
      selinux: selinux.state === "supported" && selinux.policyLoaded === true,
    },
  };
}
