// SPDX-License-Identifier: Apache-2.0
//
// `rampart run` assembled: probe → backend → sources → reconcile loop, and the event path
// (monitor → pipeline → throttle → feeder). Shutdown stops user space only: everything applied
// to the kernel (AppArmor profiles, pinned BPF maps) stays enforced, and the next daemon
// re-adopts it.

import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { AlertThrottle, type ThrottleConfig } from "../events/throttle.js";
import { Feeder } from "../feeder/feeder.js";
import { CriClient } from "../identity/cri.js";
import { CriRuntime, IdentityIndex, type ContainerRuntime } from "../identity/containers.js";
import { checkBpfLsmLoad } from "../probe/bpf-lsm.js";
import { rootedFsReader } from "../probe/fs-reader.js";
import { probeNode } from "../probe/probe.js";
import { AppArmorBackend, DEFAULT_APPARMOR_DIR } from "../backends/apparmor.js";
import { renderAppArmor } from "../backends/apparmor-render.js";
import { NoneBackend } from "../backends/none.js";
import { BpfBackend } from "../backends/bpf.js";
import { SELinuxBackend } from "../backends/selinux.js";
import { rootResolver } from "../identity/resolve.js";
import { selectBackend, type EnforcerChoice } from "../backends/select.js";
import type { Backend } from "../backends/types.js";
import { Reconciler } from "../reconcile/loop.js";
import { modelPort } from "../reconcile/model-port.js";
import { FileSource } from "../sources/files.js";
import { errorText as errText, KubernetesSource, labelNode, writeNodeReport } from "../sources/kubernetes.js";
import type { Source } from "../reconcile/loop.js";
import { localNode } from "../sources/node.js";
import type { Logger } from "./log.js";
import { NativeKernel } from "./kernel.js";
import { getMetrics, startMetricsServer, type RampartMetrics } from "../metrics/metrics.js";
import { EventPipeline } from "./pipeline.js";

const LABEL_ENFORCER = { apparmor: "AppArmor", bpf: "BPFLSM", selinux: "SELinux", none: "none" } as const;

export interface DaemonOptions {
  /** Standalone: the policy directory. Ignored in Kubernetes mode. */
  policies: string;
  /** Kubernetes mode (watches; kubeconfig from $KUBECONFIG or in-cluster). */
  kubernetes?: boolean;
  nodeName?: string;
  nodeLabels: Record<string, string>;
  enforcer: EnforcerChoice;
  grpc: string;
  metrics?: string;
  resyncSec: number;
  containerdSocket: string;
  pinDir: string;
  apparmorDir: string;
  /** Test aid on kernels without AppArmor: apparmor_parser --skip-kernel-load. */
  apparmorCompileOnly: boolean;
  /** SELinux backend state directory (installed module source, relabelled paths). */
  selinuxDir?: string;
  scopeCgroup?: string;
  /** Load the kernel monitor (default true). Without it only enforcer-reported events exist. */
  monitor?: boolean;
  throttle: Partial<ThrottleConfig>;
  clusterName: string;
}

export interface RunningDaemon {
  backend: string;
  feederAddress: string;
  reconciler: Reconciler;
  stop(): Promise<void>;
}

export async function startDaemon(o: DaemonOptions, log: Logger): Promise<RunningDaemon> {
  const nodeName = o.nodeName ?? process.env.NODE_NAME ?? hostname();
  const node = localNode(nodeName, o.nodeLabels);
  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        log.warn("shutdown step failed", { error: (err as Error).message });
      }
    }
  };

  try {
    // 1. What can this node enforce?
    let runtime: ContainerRuntime | undefined;
    if (existsSync(o.containerdSocket)) {
      const client = new CriClient(o.containerdSocket);
      try {
        const v = await client.version();
        log.info("containers: runtime connected", {
          socket: o.containerdSocket,
          runtime: `${v.runtime_name} ${v.runtime_version}`,
        });
        runtime = new CriRuntime(client);
        cleanups.push(() => runtime!.close());
      } catch (err) {
        client.close();
        log.warn("containers: runtime socket present but not answering CRI; host policies only", {
          socket: o.containerdSocket,
          error: (err as Error).message,
        });
      }
    } else {
      log.info("containers: no runtime socket; host policies only", { socket: o.containerdSocket });
    }
    let backendName = o.enforcer;
    if (o.enforcer === "apparmor" && o.apparmorCompileOnly) {
      log.warn(
        "apparmor: compile-only mode (apparmor_parser --skip-kernel-load): profiles are checked, NOT loaded",
      );
    } else {
      const report = await probeNode({ fs: rootedFsReader("/"), bpfLsmLoad: () => checkBpfLsmLoad({}) });
      const sel = selectBackend(o.enforcer, report, { containers: runtime !== undefined });
      for (const r of sel.reasons) log.info(`enforcer: ${r}`);
      backendName = sel.backend;
    }
    // The native kernel side (monitor; BPF-LSM programs and rule maps with --enforcer bpf).
    const wantMonitor = o.monitor ?? true;
    const kernel: NativeKernel | { unavailable: string } =
      wantMonitor || backendName === "bpf"
        ? NativeKernel.load(
            {
              monitor: wantMonitor,
              enforcer: backendName === "bpf",
              scopeCgroup: o.scopeCgroup,
              pinDir: o.pinDir,
            },
            log,
          )
        : { unavailable: "disabled (--no-monitor)" };
    if ("unavailable" in kernel && backendName === "bpf")
      throw new Error(`--enforcer bpf: ${kernel.unavailable}`);
    let backend: Backend;
    switch (backendName) {
      case "bpf":
        backend = new BpfBackend(() => ("unavailable" in kernel ? undefined : kernel.enforcer));
        break;
      case "apparmor":
        backend = new AppArmorBackend({
          render: renderAppArmor,
          dir: o.apparmorDir,
          skipKernelLoad: o.apparmorCompileOnly,
        });
        break;
      case "selinux":
        backend = new SELinuxBackend({ dir: o.selinuxDir });
        break;
      case "none":
        backend = new NoneBackend();
        break;
      default:
        throw new Error(`--enforcer ${backendName}: no such backend`);
    }
    cleanups.push(async () => backend.close?.());

    // 2. The alert stream.
    const feeder = new Feeder({
      address: o.grpc,
      clusterName: o.clusterName,
      hostName: nodeName,
      onWarning: m => log.warn(`feeder: ${m}`),
    });
    const bound = await feeder.start();
    log.info("feeder: serving kubearmor feeder.LogService", { address: bound.address });
    cleanups.push(() => feeder.stop());
    let metrics: RampartMetrics | undefined;
    if (o.metrics) {
      metrics = getMetrics();
      metrics.attachFeeder(() => feeder.stats());
      const server = await startMetricsServer(o.metrics, metrics);
      log.info("metrics: serving Prometheus metrics", { address: o.metrics });
      cleanups.push(() => server.close());
    }

    // 3. Desired state and the loop.
    const index = new IdentityIndex();
    let source: Source & { stop(): void };
    let reportStatus:
      | ((results: import("../reconcile/types.js").PolicyResult[]) => Promise<void>)
      | undefined;
    if (o.kubernetes) {
      const k8s = new KubernetesSource({ nodeName, log, runtime, onContainers: cs => index.update(cs) });
      log.info("kubernetes: listing policies, pods on this node, namespaces and the node", {
        node: nodeName,
      });
      await k8s.start();
      cleanups.push(() => k8s.stop());
      source = k8s;
      reportStatus = async results => {
        await writeNodeReport(nodeName, backend.name, results, k8s.generations());
        log.debug("kubernetes: node report written", { results: results.length });
      };
      try {
        await labelNode(nodeName, backend.name);
        log.info("kubernetes: node labelled", { label: `kubearmor.io/enforcer=${backend.name}` });
      } catch (err) {
        log.warn(
          "kubernetes: cannot label the node with its enforcer (pods on AppArmor nodes will not get profiles)",
          { error: errText(err) },
        );
      }
    } else {
      const files = new FileSource({
        dir: o.policies,
        node,
        log,
        runtime,
        onContainers: cs => index.update(cs),
        rescanMs: Math.max(1, Math.min(10, o.resyncSec)) * 1000,
      });
      source = files;
      log.info("policies: watching", { dir: o.policies, node: nodeName, labels: node.labels });
    }
    const reconciler = new Reconciler({
      source,
      backend,
      model: modelPort(),
      // Symlinked rule paths (e.g. /bin → /usr/bin on Debian) resolved inside each workload's
      // root, fresh every pass, so a rule matches the path the kernel reports.
      paths: () => {
        const host = rootResolver("/");
        const byPid = new Map<number, ReturnType<typeof rootResolver>>();
        return w => {
          if (w.kind === "host") return host;
          const pid = w.identity?.pid;
          if (!pid) return undefined;
          if (!byPid.has(pid)) byPid.set(pid, rootResolver(`/proc/${pid}/root`));
          return byPid.get(pid);
        };
      },
      log,
      resyncMs: o.resyncSec * 1000,
      ...(reportStatus ? { reportStatus } : {}),
      onPass: s => {
        log.debug("reconcile: pass", { ...s });
        if (!metrics) return;
        metrics.reconcileDuration.observe(
          { result: s.failed || s.skipped ? "error" : "ok" },
          s.durationMs / 1000,
        );
        if (s.failed) {
          metrics.reconcileErrors.inc({ stage: "apply" }, s.failed);
          metrics.enforcerErrors.inc({ enforcer: backend.name }, s.failed);
        }
        if (s.skipped)
          metrics.reconcileErrors.inc({ stage: s.skipped === "source unavailable" ? "source" : "list" });
        const results = reconciler.results();
        metrics.policiesApplied.set(
          { target: "host" },
          results.filter(r => r.status === "Applied" && r.workload.startsWith("host:")).length,
        );
        metrics.policiesApplied.set(
          { target: "container" },
          results.filter(r => r.status === "Applied" && r.workload.startsWith("container:")).length,
        );
        const native =
          "unavailable" in kernel
            ? undefined
            : (kernel.stats().native as
                | { maps?: Array<{ name: string; entries: number; capacity: number }> }
                | undefined);
        for (const m of native?.maps ?? []) {
          metrics.mapEntries.set({ map: m.name }, m.entries);
          metrics.mapCapacity.set({ map: m.name }, m.capacity);
        }
      },
    });

    // 4. Events.
    const throttle = new AlertThrottle(o.throttle);
    metrics?.attachThrottle(() => throttle.stats());
    const pipeline = new EventPipeline({
      clusterName: o.clusterName,
      hostName: nodeName,
      index,
      effective: () => reconciler.effective(),
      hostWorkloadId: `host:${nodeName}`,
      label: { activeEnforcer: LABEL_ENFORCER[backend.name] },
      monitorOnly: backend.name === "none",
      throttle,
      publishAlert: a => {
        metrics?.alerts.inc({ type: a.Type ?? "", action: a.Action ?? "" });
        feeder.publishAlert(a);
      },
      publishLog: l => feeder.publishLog(l),
    });
    const tick = setInterval(() => pipeline.tick(), 1000);
    tick.unref();
    cleanups.push(() => clearInterval(tick));

    if ("unavailable" in kernel)
      log.warn(`monitor: unavailable — ${kernel.unavailable}; no kernel events will be reported`);
    else {
      try {
        await kernel.start(events => {
          for (const ev of events) {
            metrics?.events.inc({ operation: ev.operation, enforcer: ev.reporter });
            pipeline.handle(ev);
          }
        });
        log.info("monitor: started", {
          monitor: kernel.name,
          scope: o.scopeCgroup ?? "node",
          enforcer: backend.name === "bpf" ? "BPF-LSM loaded" : "none",
        });
        cleanups.push(() => kernel.stop());
      } catch (err) {
        if (backend.name === "bpf")
          throw new Error(`--enforcer bpf: the native enforcer did not start: ${errText(err)}`);
        log.warn("monitor: could not start; no kernel events will be reported", { error: errText(err) });
      }
    }
    await reconciler.start();
    if (source instanceof FileSource) source.start();
    cleanups.push(() => source.stop());
    cleanups.push(() => reconciler.stop());

    log.info("rampart: running", { backend: backend.name, feeder: bound.address });
    return { backend: backend.name, feederAddress: bound.address, reconciler, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export { DEFAULT_APPARMOR_DIR };

export { errorText as errText } from "../sources/kubernetes.js";
