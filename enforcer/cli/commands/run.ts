// SPDX-License-Identifier: Apache-2.0
//
// `rampart run`: the node daemon. Standalone (a policy directory, this host, containerd's
// containers) or Kubernetes (watches; --kubeconfig / in-cluster). See docs/daemon.md.

import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_APPARMOR_DIR, errText, startDaemon } from "../../daemon/daemon.js";
import { DEFAULT_SELINUX_DIR } from "../../backends/selinux.js";
import { createLogger, LOG_LEVELS, type LogLevel } from "../../daemon/log.js";
import { projectRoot } from "../../daemon/native.js";
import { ENFORCER_CHOICES, type EnforcerChoice } from "../../backends/select.js";
import { DEFAULT_CONTAINERD_SOCKET } from "../../identity/cri.js";
import { DEFAULT_FEEDER_ADDRESS } from "../../feeder/feeder.js";
import { parseLabels } from "../../sources/node.js";

export const help = `Usage: rampart run [flags]

Run the node daemon: keep the kernel equal to the policies (level-triggered reconcile loop) and
stream alerts on KubeArmor's gRPC feeder.LogService (read them with \`rampart logs\`).

Desired state, Kubernetes mode (watches KubeArmorPolicy/ClusterPolicy/HostPolicy, the Pods on this
node, Namespaces and this Node; writes this node's RampartNodeReport and its kubearmor.io/enforcer label):
  --kubeconfig FILE         API server credentials (in a pod: the in-cluster service account)
  --node-name NAME          this node's name (default: $NODE_NAME, else the hostname)

Desired state, standalone mode:
  --policies DIR            KubeArmor policy YAML directory, watched for changes
                            (default: the embedded examples/host/ demo set)
  --node-labels K=V,...     extra node labels for host-policy nodeSelectors
  --containerd-socket PATH  CRI socket for container identity (default ${DEFAULT_CONTAINERD_SOCKET})

Enforcement:
  --enforcer auto|bpf|apparmor|selinux|none
                            default auto: first usable of bpf, apparmor, selinux, else none
                            (none = monitor + audit only; Block rules alert as "Audit (Block)")
  --apparmor-dir DIR        where AppArmor profiles are written (default ${DEFAULT_APPARMOR_DIR})
  --apparmor-compile-only   check profiles with apparmor_parser --skip-kernel-load, load nothing (testing)
  --pin-dir DIR             bpffs directory for pinned maps (default /sys/fs/bpf/rampart)
  --selinux-dir DIR         SELinux backend state: the installed module and the paths it
                            relabelled (default ${DEFAULT_SELINUX_DIR}); host policies only
  --resync SECONDS          periodic full reconcile (default 30)

Alerts:
  --grpc ADDR               feeder listen address (default ${DEFAULT_FEEDER_ADDRESS})
  --metrics ADDR            Prometheus metrics listen address (default: off)
  --max-alerts-per-sec N    per-container alert threshold (default 10)
  --throttle-sec N          silence after the threshold (default 30)
  --throttle-mode container|rule
  --no-throttle             disable alert throttling
  --scope-cgroup PATH       monitor only this cgroup v2 directory (tests; keeps the host unaffected).
                            Without it the monitor reports every process on the node.
  --no-monitor              do not load the kernel monitor (no Audit alerts from telemetry)
  --cluster-name NAME       ClusterName in alerts (default "default")
  --log-level error|warn|info|debug   (default info; JSON logs when stdout is not a TTY)

Stop with SIGINT/SIGTERM: user space stops, applied profiles, pinned maps and the SELinux module stay enforced,
and the next \`rampart run\` re-adopts them (stale ones are removed).`;

function usage(msg: string): number {
  process.stderr.write(`rampart run: ${msg}\n`);
  return 2;
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        policies: { type: "string" },
        kubeconfig: { type: "string" },
        "node-name": { type: "string" },
        "node-labels": { type: "string" },
        enforcer: { type: "string", default: "auto" },
        grpc: { type: "string", default: DEFAULT_FEEDER_ADDRESS },
        metrics: { type: "string" },
        resync: { type: "string" },
        "containerd-socket": { type: "string", default: DEFAULT_CONTAINERD_SOCKET },
        "pin-dir": { type: "string", default: "/sys/fs/bpf/rampart" },
        "apparmor-dir": { type: "string", default: DEFAULT_APPARMOR_DIR },
        "apparmor-compile-only": { type: "boolean", default: false },
        "selinux-dir": { type: "string", default: DEFAULT_SELINUX_DIR },
        "max-alerts-per-sec": { type: "string" },
        "throttle-sec": { type: "string" },
        "throttle-mode": { type: "string" },
        "no-throttle": { type: "boolean", default: false },
        "scope-cgroup": { type: "string" },
        "no-monitor": { type: "boolean", default: false },
        "cluster-name": { type: "string", default: "default" },
        "log-level": { type: "string", default: "info" },
      },
    }));
  } catch (err) {
    return usage(`${(err as Error).message.split("\n")[0]} (see rampart run --help)`);
  }
  const enforcer = values.enforcer as string;
  if (!ENFORCER_CHOICES.includes(enforcer as EnforcerChoice))
    return usage(`--enforcer must be one of ${ENFORCER_CHOICES.join("|")}, got "${enforcer}"`);
  const level = values["log-level"] as string;
  if (!LOG_LEVELS.includes(level as LogLevel))
    return usage(`--log-level must be one of ${LOG_LEVELS.join("|")}, got "${level}"`);
  const mode = values["throttle-mode"] as string | undefined;
  if (mode !== undefined && mode !== "container" && mode !== "rule")
    return usage(`--throttle-mode must be container or rule, got "${mode}"`);
  // Kubernetes mode: --kubeconfig, or in a pod (service env) without --policies.
  const kubernetes =
    values.kubeconfig !== undefined ||
    (values.policies === undefined && process.env.KUBERNETES_SERVICE_HOST !== undefined);
  if (kubernetes && values.policies !== undefined)
    return usage("--policies (standalone) and --kubeconfig (Kubernetes) exclude each other");
  if (values.kubeconfig !== undefined) process.env.KUBECONFIG = values.kubeconfig as string;
  let nodeLabels: Record<string, string>;
  let resyncSec: number, maxPerSec: number, throttleSec: number;
  try {
    nodeLabels = parseLabels(values["node-labels"] as string | undefined);
    resyncSec = positiveInt("--resync", values.resync as string | undefined, 30);
    maxPerSec = positiveInt("--max-alerts-per-sec", values["max-alerts-per-sec"] as string | undefined, 10);
    throttleSec = positiveInt("--throttle-sec", values["throttle-sec"] as string | undefined, 30);
  } catch (err) {
    return usage((err as Error).message);
  }
  let policies = values.policies as string | undefined;
  if (policies === undefined && !kubernetes) {
    const root = projectRoot();
    if (!root) return usage("--policies DIR is required (the embedded examples/host/ set was not found)");
    policies = join(root, "examples", "host");
  }

  const log = createLogger(level as LogLevel);
  let daemon;
  try {
    daemon = await startDaemon(
      {
        policies: policies ?? "",
        kubernetes,
        nodeName: values["node-name"] as string | undefined,
        nodeLabels,
        enforcer: enforcer as EnforcerChoice,
        grpc: values.grpc as string,
        metrics: values.metrics as string | undefined,
        resyncSec,
        containerdSocket: values["containerd-socket"] as string,
        pinDir: values["pin-dir"] as string,
        apparmorDir: values["apparmor-dir"] as string,
        apparmorCompileOnly: values["apparmor-compile-only"] === true,
        selinuxDir: values["selinux-dir"] as string,
        scopeCgroup: values["scope-cgroup"] as string | undefined,
        monitor: values["no-monitor"] !== true,
        throttle: {
          enabled: values["no-throttle"] !== true,
          maxAlertPerSec: Math.max(1, maxPerSec),
          throttleSec: Math.max(1, throttleSec),
          ...(mode ? { mode } : {}),
        },
        clusterName: values["cluster-name"] as string,
      },
      log,
    );
  } catch (err) {
    log.error(`rampart run: ${errText(err)}`);
    return 1;
  }
  const d = daemon;
  return new Promise<number>(resolve => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log.info(`rampart: ${sig} received; stopping (applied kernel state stays enforced)`);
      void d.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    // `on`, not `once`: a second signal while stopping must not kill the process half-way.
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
