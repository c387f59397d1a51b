// SPDX-License-Identifier: Apache-2.0
//
// Admission latency. Prints figures; asserts nothing (goals: in-process p99 <= 2 ms; webhook
// p99 <= 25 ms at 100 concurrent requests).
//   1. in-process: the pure decisions (policy verdict for every example policy, pod plan);
//   2. through the webhook: real AdmissionReview POSTs to the running Pepr module (the test
//      harness: `npm run cluster:up` first) over HTTPS keep-alive at 1, 16 and 100 concurrent
//      requests, validate (a KubeArmorPolicy) and mutate (a Pod).
//
//   node --import tsx bench/admission.ts [--iterations N] [--requests N]

import { readFileSync, existsSync, readdirSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseDocuments } from "../enforcer/model/index.js";
import { decidePolicyAdmission } from "../capabilities/policy-admission.js";
import { MemoryNodeView } from "../capabilities/node-view.js";
import { planPodMutation, applyPodPlan, type PodLike } from "../capabilities/pod-mutation.js";

const ROOT = join(import.meta.dirname, "..");
const { values } = parseArgs({ options: { iterations: { type: "string" }, requests: { type: "string" } } });
const ITER = Number(values.iterations ?? 2000);
const REQUESTS = Number(values.requests ?? 2000);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(3)} ms  p99 ${pct(s, 99).toFixed(3)} ms  max ${s[s.length - 1]!.toFixed(3)} ms  (n=${s.length})`;
}

// ---- 1. in-process -----------------------------------------------------------------------------
const policies: unknown[] = [];
for (const dir of ["examples/policies", "examples/host"]) {
  for (const f of readdirSync(join(ROOT, dir)).filter(x => x.endsWith(".yaml"))) {
    for (const d of parseDocuments(readFileSync(join(ROOT, dir, f), "utf8"), f))
      if (d.object) policies.push(d.object);
  }
}
const policyTimes: number[] = [];
for (let i = 0; i < ITER; i++) {
  const obj = structuredClone(policies[i % policies.length]); // Pepr hands each callback a fresh copy
  const t = process.hrtime.bigint();
  decidePolicyAdmission(obj);
  policyTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
}
const nodes = new MemoryNodeView(
  Array.from({ length: 500 }, (_, i) => ({
    name: `n${i}`,
    labels: { "kubearmor.io/enforcer": i % 2 ? "apparmor" : "bpf", zone: `z${i % 5}` },
  })),
);
const pod = (i: number): PodLike => ({
  metadata: {
    name: `web-5d8f7c9b4-${i}`,
    namespace: "shop",
    labels: { app: "web", "pod-template-hash": "5d8f7c9b4" },
    ownerReferences: [{ kind: "ReplicaSet", name: "web-5d8f7c9b4", controller: true }],
  },
  spec:
    i % 2
      ? { nodeName: `n${i % 500}`, containers: [{ name: "app" }, { name: "sidecar" }] }
      : { nodeSelector: { zone: "z1" }, containers: [{ name: "app" }] },
});
const podTimes: number[] = [];
for (let i = 0; i < ITER; i++) {
  const p = pod(i);
  const t = process.hrtime.bigint();
  applyPodPlan(p, planPodMutation(p, { nodes, serverMinor: 34 }));
  podTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
}
console.log(
  `in-process policy verdict (${policies.length} example policies): ${summary(policyTimes.slice(100))}`,
);
console.log(`in-process pod plan (500 nodes):                 ${summary(podTimes.slice(100))}`);

// ---- 2. through the webhook --------------------------------------------------------------------
const STATE = process.env.RAMPART_CLUSTER_DIR ?? "/tmp/rampart-cluster";
const harness = existsSync(join(STATE, "api-path")) && existsSync(join(STATE, "webhook.pid"));
if (!harness) {
  console.log(`webhook: skipped (no running harness in ${STATE}; start one with \`npm run cluster:up\`)`);
  process.exit(0);
}
const apiPath = readFileSync(join(STATE, "api-path"), "utf8").trim();
// Every module process the harness runs (RAMPART_WEBHOOK_EXTRA_REPLICAS): workers are spread
// over them round-robin, each with its own keep-alive connection, as a Service spreads the API
// server's connections over the admission pods.
const ports = existsSync(join(STATE, "webhook-ports"))
  ? readFileSync(join(STATE, "webhook-ports"), "utf8").trim().split(",").map(Number)
  : [Number(process.env.RAMPART_WEBHOOK_PORT ?? 39443)];
const ca = readFileSync(join(STATE, "pki", "ca.crt"));

function review(kind: "validate" | "mutate", i: number): string {
  const obj =
    kind === "validate"
      ? { ...(policies[i % policies.length] as object) }
      : { apiVersion: "v1", kind: "Pod", ...pod(i) };
  const o = obj as { kind: string; metadata?: { name?: string; namespace?: string } };
  const gvk =
    kind === "validate"
      ? { group: "security.kubearmor.com", version: "v1", kind: o.kind }
      : { group: "", version: "v1", kind: "Pod" };
  const plural = (
    {
      KubeArmorPolicy: "kubearmorpolicies",
      KubeArmorClusterPolicy: "kubearmorclusterpolicies",
      KubeArmorHostPolicy: "kubearmorhostpolicies",
      Pod: "pods",
    } as Record<string, string>
  )[o.kind]!;
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `bench-${kind}-${i}`,
      kind: gvk,
      resource: { group: gvk.group, version: "v1", resource: plural },
      requestKind: gvk,
      requestResource: { group: gvk.group, version: "v1", resource: plural },
      name: o.metadata?.name ?? "x",
      namespace: o.metadata?.namespace ?? "bench",
      operation: "CREATE",
      userInfo: { username: "bench" },
      object: obj,
      dryRun: false,
    },
  });
}

async function run(
  kind: "validate" | "mutate",
  concurrency: number,
  total: number,
  agent: https.Agent,
): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    const port = ports[w % ports.length]!;
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const body = review(kind, i);
      const t = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        const req = https.request(
          {
            host: "localhost",
            port,
            path: `/${kind}/${apiPath}`,
            method: "POST",
            agent,
            headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
          },
          res => {
            res.resume();
            res.on("end", () =>
              res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
            );
          },
        );
        req.on("error", reject);
        req.end(body);
      });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return times;
}

async function main(): Promise<void> {
  console.log(`webhook: ${ports.length} module process(es) on port(s) ${ports.join(", ")}`);
  for (const kind of ["validate", "mutate"] as const) {
    for (const c of [1, 16, 100]) {
      // Like the API server, keep connections open: warm up (JIT + one TLS handshake per
      // connection) on the same agent, then measure.
      const agent = new https.Agent({ keepAlive: true, maxSockets: c, ca });
      await run(kind, c, Math.max(200, 2 * c), agent);
      const t0 = Date.now();
      const times = await run(kind, c, REQUESTS, agent);
      agent.destroy();
      const rps = (REQUESTS / ((Date.now() - t0) / 1000)).toFixed(0);
      console.log(
        `webhook ${kind.padEnd(8)} concurrency ${String(c).padStart(3)}: ${summary(times)}  ${rps} req/s`,
      );
    }
  }
}
main().catch(e => {
  console.error(`webhook bench failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
