// SPDX-License-Identifier: Apache-2.0
//
// Benchmark: `rampart validate` over 1,000 generated policies (one file each, a mix of KSP,
// CSP and HSP with process/file/network/capability/syscall rules). Runs the bundled CLI
// (dist/rampart.cjs; built with `npm run build` if missing) N times as a fresh process, the
// way a user or CI would, and prints the median wall time. Also prints the in-process time
// of the model alone. Goal (issue 2): median under 1 s.
//
//   node --import tsx bench/validate.ts [--runs N] [--policies N]

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { validateText } from "../enforcer/model/index.js";

const ROOT = join(import.meta.dirname, "..");
const argv = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const RUNS = opt("--runs", 7);
const POLICIES = opt("--policies", 1000);

function policyText(i: number): string {
  switch (i % 3) {
    case 0:
      return `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: bench-ksp-${i}
  namespace: ns-${i % 17}
spec:
  severity: ${1 + (i % 10)}
  selector:
    matchLabels:
      app: app-${i}
      kubearmor.io/container.name: "[c1,c2]"
  process:
    matchPaths:
      - path: /usr/bin/tool-${i}
      - execname: apt
        fromSource:
          - path: /bin/bash
    matchDirectories:
      - dir: /opt/app-${i}/bin/
        recursive: true
  file:
    matchPaths:
      - path: /etc/app-${i}/secret.conf
        readOnly: true
    matchPatterns:
      - pattern: /var/log/app-${i}/*.log
  network:
    matchProtocols:
      - protocol: tcp,udp
        fromSource:
          - path: /usr/bin/curl
  capabilities:
    matchCapabilities:
      - capability: net_raw,sys_admin
  syscalls:
    matchSyscalls:
      - syscall: [unlink, unlinkat]
  action: Block
`;
    case 1:
      return `apiVersion: security.kubearmor.com/v1
kind: KubeArmorClusterPolicy
metadata:
  name: bench-csp-${i}
spec:
  selector:
    matchExpressions:
      - key: namespace
        operator: In
        values: [ns-${i % 17}, ns-${(i + 1) % 17}]
      - key: label
        operator: NotIn
        values: [app=app-${i}]
  file:
    action: Allow
    matchDirectories:
      - dir: /usr/share/app-${i}/
        recursive: true
      - dir: /lib/x86_64-linux-gnu/
        recursive: true
  process:
    action: Allow
    matchDirectories:
      - dir: /bin/
`;
    default:
      return `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: bench-hsp-${i}
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: node-${i % 5},node-${(i + 2) % 5}
  process:
    matchPaths:
      - path: /usr/local/bin/host-tool-${i}
  network:
    matchProtocols:
      - protocol: raw
        fromSource:
          - path: /usr/bin/ping
  apparmor: |
    deny /etc/app-${i}/** w,
  action: Audit
`;
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), "rampart-bench-validate-"));
try {
  for (let i = 0; i < POLICIES; i++)
    writeFileSync(join(dir, `policy-${String(i).padStart(4, "0")}.yaml`), policyText(i));

  const cli = join(ROOT, "dist", "rampart.cjs");
  if (!existsSync(cli)) {
    process.stdout.write("dist/rampart.cjs missing: running npm run build\n");
    execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "inherit" });
  }

  // In-process: the model alone (parse + schema + semantics + normalize), after warm-up.
  const texts = readdirSync(dir)
    .sort()
    .map(f => [f, readFileSync(join(dir, f), "utf8")] as const);
  const inProc: number[] = [];
  for (let r = 0; r < RUNS + 1; r++) {
    const t0 = performance.now();
    let n = 0;
    for (const [f, t] of texts) n += validateText(t, f).policies.length;
    if (n !== POLICIES) throw new Error(`expected ${POLICIES} valid policies, got ${n}`);
    if (r > 0) inProc.push(performance.now() - t0);
  }

  // The real CLI, fresh process each run (includes node start-up and bundle load).
  // bash's `time` gives the child's CPU time too: on a machine shared with other jobs the
  // wall time mostly measures the queue, CPU time (user+sys) what the command itself costs.
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const res = spawnSync(
      "bash",
      ["-c", 'TIMEFORMAT="%R %U %S"; time "$0" "$1" validate "$2" >/dev/null', process.execPath, cli, dir],
      {
        encoding: "utf8",
      },
    );
    if (res.status !== 0) throw new Error(`validate failed (exit ${res.status}): ${res.stdout}${res.stderr}`);
    const [real, user, sys] = res.stderr.trim().split("\n").pop()!.split(" ").map(Number);
    wall.push(real * 1000);
    cpu.push((user + sys) * 1000);
  }
  const check = spawnSync(process.execPath, [cli, "validate", dir], { encoding: "utf8" });
  process.stdout.write(`cli output: ${check.stdout.trim()}\n`);
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  process.stdout.write(
    `validate: ${POLICIES} policies, ${RUNS} runs (load average ${load}): ` +
      `CLI wall median ${median(wall).toFixed(0)} ms (min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)}), ` +
      `CLI CPU median ${median(cpu).toFixed(0)} ms; model in-process median ${median(inProc).toFixed(0)} ms\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
