// SPDX-License-Identifier: Apache-2.0
//
// A private, real containerd (Debian's containerd 1.6 + runc) for integration tests: its own
// root/state/socket under a temp dir, cgroupfs, `restrict_oom_score_adj = true` (these machines
// lack CAP_SYS_RESOURCE), no CNI (pods use the host network), and two local images built with
// umoci from Debian packages — no registry:
//   registry.k8s.io/pause:3.10      catatonit, entrypoint `/pause -P`
//   docker.io/library/busybox:1.35  busybox-static
// Teardown stops the pods, containerd and any shim it started (found by our unique socket path),
// and unmounts what is left under the temp dir, even after a failed test.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  writeFileSync,
  copyFileSync,
  chmodSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PAUSE_IMAGE = "registry.k8s.io/pause:3.10";
export const BUSYBOX_IMAGE = "docker.io/library/busybox:1.35";

export interface Containerd {
  dir: string;
  socket: string;
  namespace: string;
  log: string;
  /** A private cgroup parent for pods started through this containerd (removed by stop()). */
  cgroupParent: string;
  stop(): Promise<void>;
}

/** Why this machine cannot run the harness, or null. */
export function unavailableReason(): string | null {
  if (process.getuid?.() !== 0) return "needs root";
  for (const bin of [
    "/usr/bin/containerd",
    "/usr/bin/containerd-shim-runc-v2",
    "/usr/bin/ctr",
    "/usr/sbin/runc",
    "/usr/bin/umoci",
    "/usr/bin/catatonit",
    "/bin/busybox",
  ]) {
    if (!existsSync(bin))
      return `${bin} missing (scripts/setup.sh installs containerd, runc, umoci, catatonit, busybox-static)`;
  }
  return null;
}

function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Build an OCI image tarball with umoci: one layer holding `files` (dest → source). */
function buildImage(
  work: string,
  name: string,
  tag: string,
  files: Record<string, string>,
  entrypoint: string[],
  user?: string,
): string {
  const layout = join(work, `${name}-oci`);
  const bundle = join(work, `${name}-bundle`);
  run("umoci", ["init", "--layout", layout]);
  run("umoci", ["new", "--image", `${layout}:${tag}`]);
  run("umoci", ["unpack", "--rootless", "--image", `${layout}:${tag}`, bundle]);
  for (const [dest, src] of Object.entries(files)) {
    const target = join(bundle, "rootfs", dest);
    mkdirSync(join(target, ".."), { recursive: true });
    copyFileSync(src, target);
    chmodSync(target, 0o755);
  }
  run("umoci", ["repack", "--image", `${layout}:${tag}`, bundle]);
  const cfg = ["config", "--image", `${layout}:${tag}`, "--os", "linux", "--architecture", "amd64"];
  for (const e of entrypoint) cfg.push("--config.entrypoint", e);
  if (user) cfg.push("--config.user", user);
  run("umoci", cfg);
  const tar = join(work, `${name}.tar`);
  run("tar", ["-cf", tar, "."], layout);
  return tar;
}

export async function startContainerd(): Promise<Containerd> {
  // containerd's overlayfs snapshots cannot live on an overlayfs (the VM's root): tests there
  // point RAMPART_CONTAINERD_TMP at a tmpfs.
  const dir = mkdtempSync(join(process.env.RAMPART_CONTAINERD_TMP ?? tmpdir(), "rampart-ctrd-"));
  const socket = join(dir, "containerd.sock");
  const namespace = "k8s.io";
  const cgroupParent = `/rampart-test-${dir.slice(-6).replace(/[^A-Za-z0-9]/g, "x")}`;
  const config = `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[debug]
  address = "${socket}.debug"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  disable_apparmor = ${process.env.RAMPART_CONTAINERD_APPARMOR === "1" ? "false" : "true"}
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/sbin/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${dir}/cni-bin"
    conf_dir = "${dir}/cni-conf"
`;
  writeFileSync(join(dir, "config.toml"), config);
  const log = join(dir, "containerd.log");
  const out = openSync(log, "a");
  const proc: ChildProcess = spawn("/usr/bin/containerd", ["--config", join(dir, "config.toml")], {
    stdio: ["ignore", out, out],
    env: { ...process.env, PATH: `/usr/bin:/usr/sbin:${process.env.PATH ?? ""}` },
    detached: false,
  });
  let exited = false;
  proc.on("exit", () => (exited = true));

  const stop = async (): Promise<void> => {
    // Everything the CRI started, then containerd, then stray shims (matched by our socket path).
    try {
      for (const line of run("ctr", ["-a", socket, "-n", namespace, "tasks", "ls", "-q"])
        .split("\n")
        .filter(Boolean)) {
        try {
          run("ctr", ["-a", socket, "-n", namespace, "tasks", "kill", "-s", "SIGKILL", line]);
        } catch {
          /* already gone */
        }
      }
    } catch {
      /* containerd down */
    }
    if (!exited && proc.pid) {
      proc.kill("SIGTERM");
      for (let i = 0; i < 50 && !exited; i++) await new Promise(r => setTimeout(r, 100));
      if (!exited) proc.kill("SIGKILL");
    }
    for (const pid of readdirSync("/proc").filter(p => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        if (cmd.includes("containerd-shim") && cmd.includes(dir)) process.kill(Number(pid), "SIGKILL");
      } catch {
        /* gone */
      }
    }
    await new Promise(r => setTimeout(r, 200));
    const mounts = readFileSync("/proc/self/mounts", "utf8")
      .split("\n")
      .map(l => l.split(" ")[1] ?? "")
      .filter(m => m.startsWith(dir))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) {
      try {
        run("umount", ["-l", m]);
      } catch {
        /* best effort */
      }
    }
    rmSync(dir, { recursive: true, force: true });
    removeCgroupTree(cgroupParent);
  };

  try {
    for (let i = 0; i < 100 && !existsSync(socket); i++) {
      if (exited) throw new Error(`containerd exited early; log:\n${readFileSync(log, "utf8").slice(-2000)}`);
      await new Promise(r => setTimeout(r, 100));
    }
    if (!existsSync(socket))
      throw new Error(`containerd did not create ${socket}; log:\n${readFileSync(log, "utf8").slice(-2000)}`);
    const work = join(dir, "images");
    mkdirSync(work);
    const pause = buildImage(
      work,
      "pause",
      "3.10",
      { "/pause": "/usr/bin/catatonit" },
      ["/pause", "-P"],
      "65535:65535",
    );
    const busybox = buildImage(
      work,
      "busybox",
      "1.35",
      { "/bin/busybox": "/bin/busybox", "/bin/sh": "/bin/busybox", "/bin/sleep": "/bin/busybox" },
      ["/bin/sh"],
    );
    const images: Array<[string, string]> = [
      ["registry.k8s.io/pause", pause],
      ["docker.io/library/busybox", busybox],
    ];
    for (const [base, archive] of images)
      run("ctr", ["-a", socket, "-n", namespace, "images", "import", "--base-name", base, archive]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, socket, namespace, log, cgroupParent, stop };
}

/** rmdir a cgroup directory tree (deepest first) in every mounted hierarchy. */
function removeCgroupTree(rel: string): void {
  const roots = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map(l => l.split(" "))
    .filter(f => f[2] === "cgroup" || f[2] === "cgroup2")
    .map(f => f[1]!);
  for (const root of roots) {
    const top = join(root, rel);
    if (!existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string): void => {
      dirs.push(d);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    };
    walk(top);
    for (const d of dirs.sort((a, b) => b.length - a.length)) {
      try {
        rmdirSync(d);
      } catch {
        /* still busy: leave it */
      }
    }
  }
}
