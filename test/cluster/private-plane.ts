// SPDX-License-Identifier: Apache-2.0
//
// A second, private control plane for tests that must not share the suite's: etcd +
// kube-apiserver + the CRDs (test/cluster/up.sh --no-webhook) on free loopback ports with its
// own state directory, from the cached build (test/cluster/build-k8s.sh). Used where the
// suite's plane would get in the way: the schema differential must see the API server's own
// verdict without Rampart's webhook, and the Kubernetes-mode daemon test owns its Node objects.

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
const CACHE = process.env.RAMPART_CACHE ?? "/var/cache/rampart";

export interface PrivatePlane {
  kubeconfig: string;
  kubectl: string;
  env: NodeJS.ProcessEnv;
  stop(): void;
}

/** Why a private plane cannot start here, or null when it can (root, cached binaries). */
export function privatePlaneUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "needs root (up.sh may edit /etc/hosts)";
  return cachedKubectl()
    ? null
    : `no kube-apiserver built yet in ${CACHE}/k8s (test/cluster/build-k8s.sh builds it)`;
}

/** The newest cached kubectl whose kube-apiserver was built too. */
export function cachedKubectl(): string | undefined {
  const dir = join(CACHE, "k8s");
  if (!existsSync(dir)) return undefined;
  const versions = readdirSync(dir)
    .filter(
      v => existsSync(join(dir, v, "bin", "kube-apiserver")) && existsSync(join(dir, v, "bin", "kubectl")),
    )
    .sort();
  const v = versions.at(-1);
  return v ? join(dir, v, "bin", "kubectl") : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? resolve(a.port) : reject(new Error("no free port"))));
    });
  });
}

/** Start the plane in `stateDir` (created by up.sh). Throws with up.sh's output on failure. */
export async function startPrivatePlane(stateDir: string): Promise<PrivatePlane> {
  const kubectl = cachedKubectl();
  if (!kubectl) throw new Error(privatePlaneUnavailable() ?? "no cached kubectl");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RAMPART_CLUSTER_DIR: stateDir,
    RAMPART_ETCD_PORT: String(await freePort()),
    RAMPART_ETCD_PEER_PORT: String(await freePort()),
    RAMPART_API_PORT: String(await freePort()),
    RAMPART_WEBHOOK_PORT: String(await freePort()),
  };
  const out = execFileSync("bash", [join(ROOT, "test/cluster/up.sh"), "--no-webhook"], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const m = /export KUBECONFIG=(\S+)/.exec(out);
  if (!m) throw new Error(`up.sh printed no KUBECONFIG:\n${out}`);
  let stopped = false;
  return {
    kubeconfig: m[1]!,
    kubectl,
    env,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        execFileSync("bash", [join(ROOT, "test/cluster/down.sh")], {
          env: { ...env, RAMPART_KUBECTL: kubectl },
          stdio: "ignore",
        });
      } catch {
        /* best effort: down.sh kills by recorded PID and is safe to repeat */
      }
    },
  };
}
