// SPDX-License-Identifier: Apache-2.0
//
// Identity facts from /proc and the cgroup filesystem: which container a process is in (its
// cgroup path names the container id), the cgroup id the kernel reports for it
// (bpf_get_current_cgroup_id() = inode of the cgroup v2 directory), and its pid/mnt namespace
// inodes. Works on pure cgroup v2 and on hybrid hosts (cgroup2 mounted at /sys/fs/cgroup/unified).

import { readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";

export interface ProcCgroups {
  /** Path in the cgroup v2 hierarchy (the `0::` line), e.g. `/kubepods/besteffort/pod…/<id>`. */
  v2?: string;
  /** Paths per v1 controller list, e.g. { "memory": "/kubepods/…" }. */
  v1: Record<string, string>;
}

export function parseProcCgroup(text: string): ProcCgroups {
  const out: ProcCgroups = { v1: {} };
  for (const line of text.split("\n")) {
    if (!line) continue;
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const id = line.slice(0, first);
    const ctrls = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (id === "0" && ctrls === "") out.v2 = path;
    else out.v1[ctrls] = path;
  }
  return out;
}

// containerd/runc (cgroupfs): …/<64 hex>; systemd driver: cri-containerd-<64 hex>.scope;
// docker: docker-<64 hex>.scope; libpod: libpod-<64 hex>.scope.
const ID_RE = /(?:^|\/|-)([0-9a-f]{64})(?:\.scope)?$/;

/** The container id named by a cgroup path, if any. */
export function containerIdFromCgroupPath(path: string): string | undefined {
  return ID_RE.exec(path)?.[1];
}

export function containerIdFromCgroups(cg: ProcCgroups): string | undefined {
  if (cg.v2) {
    const id = containerIdFromCgroupPath(cg.v2);
    if (id) return id;
  }
  for (const p of Object.values(cg.v1)) {
    const id = containerIdFromCgroupPath(p);
    if (id) return id;
  }
  return undefined;
}

let v2MountCache: string | null | undefined;
/** Where cgroup2 is mounted (`/sys/fs/cgroup` or `/sys/fs/cgroup/unified`), or null. */
export function cgroupV2Mount(mountinfo?: string): string | null {
  if (mountinfo === undefined && v2MountCache !== undefined) return v2MountCache;
  const text = mountinfo ?? readFileSync("/proc/self/mountinfo", "utf8");
  let found: string | null = null;
  for (const line of text.split("\n")) {
    const dash = line.indexOf(" - ");
    if (dash < 0) continue;
    const fstype = line.slice(dash + 3).split(" ")[0];
    if (fstype === "cgroup2") {
      found = line.split(" ")[4]!.replace(/\\040/g, " ");
      break;
    }
  }
  if (mountinfo === undefined) v2MountCache = found;
  return found;
}

/** cgroup id of a cgroup v2 path: the directory's inode number. */
export function cgroupIdOfPath(v2Path: string, mount = cgroupV2Mount()): bigint | undefined {
  if (!mount) return undefined;
  try {
    return statSync(join(mount, v2Path), { bigint: true }).ino;
  } catch {
    return undefined;
  }
}

export interface ProcIdentity {
  pid: number;
  cgroups: ProcCgroups;
  containerId?: string;
  cgroupId?: bigint;
  pidNs?: number;
  mntNs?: number;
}

function nsInode(pid: number, ns: "pid" | "mnt"): number | undefined {
  try {
    const m = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${ns}`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Everything /proc says about one process's identity; undefined if the process is gone. */
export function procIdentity(pid: number, procRoot = "/proc"): ProcIdentity | undefined {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/cgroup`, "utf8");
  } catch {
    return undefined;
  }
  const cgroups = parseProcCgroup(text);
  const out: ProcIdentity = { pid, cgroups, containerId: containerIdFromCgroups(cgroups) };
  if (cgroups.v2 !== undefined) out.cgroupId = cgroupIdOfPath(cgroups.v2);
  out.pidNs = nsInode(pid, "pid");
  out.mntNs = nsInode(pid, "mnt");
  return out;
}

/** Basic process facts for alert enrichment. */
export function procInfo(pid: number): {
  comm?: string;
  exe?: string;
  ppid?: number;
  uid?: number;
  cwd?: string;
} {
  const out: { comm?: string; exe?: string; ppid?: number; uid?: number; cwd?: string } = {};
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    out.comm = /^Name:\t(.*)$/m.exec(status)?.[1];
    const pp = /^PPid:\t(\d+)$/m.exec(status)?.[1];
    if (pp) out.ppid = Number(pp);
    const uid = /^Uid:\t(\d+)/m.exec(status)?.[1];
    if (uid) out.uid = Number(uid);
  } catch {
    return out;
  }
  try {
    out.exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    /* kernel thread or gone */
  }
  try {
    out.cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    /* gone */
  }
  return out;
}
