// SPDX-License-Identifier: Apache-2.0
//
// Small helpers for the cluster e2e: run the harness's kubectl against the harness's kubeconfig
// (both come from the environment suite.sh exports) and poll with a deadline.

import { spawnSync } from "node:child_process";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export const KUBECTL = process.env.RAMPART_KUBECTL ?? "kubectl";

export function haveCluster(): string | undefined {
  if (!process.env.KUBECONFIG) return "KUBECONFIG is not set (run through test/cluster/suite.sh)";
  return undefined;
}

/** kubectl with args; `input` is piped to stdin (for `-f -`). */
export function kubectl(args: string[], input?: string, kubeconfig?: string): Run {
  const env = kubeconfig ? { ...process.env, KUBECONFIG: kubeconfig } : process.env;
  const r = spawnSync(KUBECTL, args, { input, encoding: "utf8", env, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export function kubectlOk(args: string[], input?: string, kubeconfig?: string): string {
  const r = kubectl(args, input, kubeconfig);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export function getJson<T = Record<string, unknown>>(args: string[]): T {
  return JSON.parse(kubectlOk([...args, "-o", "json"])) as T;
}

/** Retry `fn` until it returns a value (not undefined) or throws past the deadline. */
export async function eventually<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

export function yaml(docs: object[]): string {
  return docs.map(d => JSON.stringify(d)).join("\n---\n");
}
