// SPDX-License-Identifier: Apache-2.0
//
// A small CLI around the containerd harness for shell tests (the VM suite):
//   pod.ts up STATE_FILE [label=value ...]   start a private containerd, run pod shop/web-0 with
//                                            container "app" (busybox, `busybox sleep`), write
//                                            {socket, sandboxId, containerId} to STATE_FILE, and
//                                            keep running until SIGTERM (then tear everything down)
//   pod.ts exec STATE_FILE CMD...            CRI ExecSync in the container; prints its output and
//                                            exits with its exit code
//   pod.ts recreate STATE_FILE PROFILE       replace container "app" by a new attempt confined by
//                                            AppArmor profile PROFILE (Localhost), like a rollout
//                                            restart once the profile exists; updates STATE_FILE
import { readFileSync, writeFileSync } from "node:fs";
import { CriClient } from "../../enforcer/identity/cri.js";
import { BUSYBOX_IMAGE, startContainerd } from "./harness.js";

interface State {
  socket: string;
  sandboxId: string;
  containerId: string;
  sandboxConfig: object;
  /** The pod's cgroup (relative to the cgroup2 mount); containers are <cgroupParent>/<id>. */
  cgroupParent: string;
}

const K8S_LABELS = {
  "io.kubernetes.pod.name": "web-0",
  "io.kubernetes.pod.namespace": "shop",
  "io.kubernetes.pod.uid": "uid-web-0",
};
const NS_OPTIONS = { namespace_options: { network: "NODE", pid: "CONTAINER", ipc: "POD" } };

function containerConfig(attempt: number, apparmorProfile?: string): object {
  return {
    metadata: { name: "app", attempt },
    image: { image: BUSYBOX_IMAGE },
    command: ["/bin/busybox", "sleep", "100000"],
    labels: { ...K8S_LABELS, "io.kubernetes.container.name": "app" },
    linux: {
      security_context: {
        ...NS_OPTIONS,
        // Both spellings: containerd 1.6 reads only the deprecated string field, newer runtimes
        // the structured one.
        ...(apparmorProfile
          ? {
              apparmor: { profile_type: "Localhost", localhost_ref: apparmorProfile },
              apparmor_profile: `localhost/${apparmorProfile}`,
            }
          : {}),
      },
    },
  };
}

async function up(stateFile: string, labelArgs: string[]): Promise<void> {
  const labels: Record<string, string> = { app: "web" };
  for (const a of labelArgs) {
    const [k, v] = a.split("=");
    if (k && v !== undefined) labels[k] = v;
  }
  const ctrd = await startContainerd();
  const cri = new CriClient(ctrd.socket, 60_000);
  const k8s = K8S_LABELS;
  const ns = NS_OPTIONS;
  const sandboxConfig = {
    metadata: { name: "web-0", uid: "uid-web-0", namespace: "shop", attempt: 0 },
    labels: { ...labels, ...k8s },
    annotations: {},
    linux: { cgroup_parent: `${ctrd.cgroupParent}/podweb0`, security_context: ns },
  };
  let sandboxId = "";
  const down = async (): Promise<void> => {
    if (sandboxId) {
      await cri.call("StopPodSandbox", { pod_sandbox_id: sandboxId }).catch(() => undefined);
      await cri.call("RemovePodSandbox", { pod_sandbox_id: sandboxId }).catch(() => undefined);
    }
    cri.close();
    await ctrd.stop();
  };
  try {
    sandboxId = (await cri.call<{ pod_sandbox_id: string }>("RunPodSandbox", { config: sandboxConfig }))
      .pod_sandbox_id;
    const containerId = (
      await cri.call<{ container_id: string }>("CreateContainer", {
        pod_sandbox_id: sandboxId,
        sandbox_config: sandboxConfig,
        config: containerConfig(0),
      })
    ).container_id;
    await cri.call("StartContainer", { container_id: containerId });
    const state: State = {
      socket: ctrd.socket,
      sandboxId,
      containerId,
      sandboxConfig,
      cgroupParent: `${ctrd.cgroupParent}/podweb0`,
    };
    writeFileSync(stateFile, JSON.stringify(state));
    process.stdout.write(`pod up: container ${containerId}\n`);
  } catch (err) {
    process.stderr.write(
      `pod up failed: ${(err as Error).message}\n${readFileSync(ctrd.log, "utf8").slice(-2000)}\n`,
    );
    await down();
    process.exit(1);
  }
  // Stay alive (a pending promise alone does not keep Node running) until told to tear down.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>(resolve => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  clearInterval(keepAlive);
  await down();
}

async function exec(stateFile: string, cmd: string[]): Promise<number> {
  const st = JSON.parse(readFileSync(stateFile, "utf8")) as State;
  const cri = new CriClient(st.socket, 120_000);
  try {
    const r = await cri.call<{ stdout: Buffer; stderr: Buffer; exit_code: number }>("ExecSync", {
      container_id: st.containerId,
      cmd,
      timeout: 60,
    });
    process.stdout.write(Buffer.from(r.stdout ?? []));
    process.stderr.write(Buffer.from(r.stderr ?? []));
    return r.exit_code;
  } finally {
    cri.close();
  }
}

async function recreate(stateFile: string, profile: string): Promise<number> {
  const st = JSON.parse(readFileSync(stateFile, "utf8")) as State;
  const cri = new CriClient(st.socket, 120_000);
  try {
    const id = (
      await cri.call<{ container_id: string }>("CreateContainer", {
        pod_sandbox_id: st.sandboxId,
        sandbox_config: st.sandboxConfig,
        config: containerConfig(1, profile),
      })
    ).container_id;
    await cri.call("StartContainer", { container_id: id });
    await cri.call("StopContainer", { container_id: st.containerId, timeout: 0 });
    await cri.call("RemoveContainer", { container_id: st.containerId });
    writeFileSync(stateFile, JSON.stringify({ ...st, containerId: id }));
    process.stdout.write(`recreated: container ${id} confined by ${profile}\n`);
    return 0;
  } finally {
    cri.close();
  }
}

const [verb, stateFile, ...rest] = process.argv.slice(2);
if (verb === "recreate" && stateFile && rest[0]) {
  void recreate(stateFile, rest[0]).then(
    code => process.exit(code),
    err => {
      process.stderr.write(`recreate failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
} else if (verb === "up" && stateFile) void up(stateFile, rest);
else if (verb === "exec" && stateFile && rest.length)
  void exec(stateFile, rest).then(
    code => process.exit(code),
    err => {
      process.stderr.write(`exec failed: ${(err as Error).message}\n`);
      process.exit(125);
    },
  );
else {
  process.stderr.write("usage: pod.ts up STATE_FILE [k=v ...] | pod.ts exec STATE_FILE CMD...\n");
  process.exit(2);
}
