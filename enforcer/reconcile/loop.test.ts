// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { test } from "node:test";
import { memoryLogger } from "../daemon/log.js";
import type { NormalizedPolicy, ProcessRule } from "../model/types.js";
import { modelPort } from "./model-port.js";
import { Reconciler } from "./loop.js";
import type { PathResolvers } from "./core.js";
import { RecordingBackend, ScriptedSource } from "./testing.js";
import type { PolicyResult, World, WorkloadInput } from "./types.js";

function policy(
  name: string,
  matchLabels: Record<string, string>,
  paths: string[],
  kind: NormalizedPolicy["kind"] = "KubeArmorPolicy",
): NormalizedPolicy {
  const rules: ProcessRule[] = paths.map((p, i) => ({
    category: "process",
    origin: {
      kind,
      name,
      namespace: kind === "KubeArmorPolicy" ? "default" : undefined,
      path: `spec.process.matchPaths[${i}]`,
    },
    severity: 5,
    tags: [],
    message: "",
    action: "Block",
    fromSource: [],
    match: { type: "path", path: p },
    ownerOnly: false,
  }));
  return {
    kind,
    name,
    namespace: kind === "KubeArmorPolicy" ? "default" : undefined,
    action: "Block",
    selector: { matchLabels, matchExpressions: [] },
    nodeSelector: kind === "KubeArmorHostPolicy" ? { matchLabels } : undefined,
    rules,
    presets: [],
    raw: {},
  };
}

const model = modelPort();

function pod(name: string, labels: Record<string, string>): WorkloadInput {
  return {
    kind: "container",
    id: `container:default/${name}/app`,
    container: "app",
    pod: { namespace: "default", name, labels, annotations: {}, containers: [{ name: "app" }] },
    namespace: { name: "default", labels: {}, annotations: {} },
  };
}
const node = { name: "node1", labels: { "kubernetes.io/hostname": "node1" }, annotations: {} };
function world(policies: NormalizedPolicy[], pods: WorkloadInput[]): World {
  return { policies, node, workloads: [{ kind: "host", id: "host:node1", node }, ...pods] };
}

function setup(w: World, backend = new RecordingBackend(), paths?: PathResolvers) {
  const source = new ScriptedSource(w);
  const log = memoryLogger();
  const reported: PolicyResult[][] = [];
  const r = new Reconciler({
    source,
    backend,
    model,
    log,
    resyncMs: 0,
    debounceMs: 1,
    reportStatus: res => void reported.push(res),
    ...(paths ? { paths } : {}),
  });
  return { source, backend, log, reported, r };
}

test("first pass applies one artifact per selected workload; a second pass is a no-op", async () => {
  const { backend, r } = setup(
    world(
      [
        policy("deny-sleep", { app: "web" }, ["/bin/sleep"]),
        policy("host", { "kubearmor.io/hostname": "*" }, ["/usr/bin/nc"], "KubeArmorHostPolicy"),
      ],
      [pod("web-1", { app: "web" }), pod("db-1", { app: "db" })],
    ),
  );
  await r.start();
  assert.deepEqual(backend.mutations().sort(), ["apply default-web-1-app", "apply host"]);
  backend.calls.length = 0;
  await r.runNow("again");
  assert.deepEqual(backend.mutations(), []);
  await r.stop();
});

test("a policy change re-applies only the affected key; a deleted workload's artifact is removed", async () => {
  const { source, backend, r } = setup(
    world(
      [policy("p", { app: "web" }, ["/bin/sleep"])],
      [pod("web-1", { app: "web" }), pod("web-2", { app: "web" })],
    ),
  );
  await r.start();
  assert.deepEqual(backend.mutations(), ["apply default-web-1-app", "apply default-web-2-app"]);
  backend.calls.length = 0;
  source.world = world(
    [policy("p", { app: "web" }, ["/bin/sleep"]), policy("q", { tier: "x" }, ["/bin/ls"])],
    [pod("web-1", { app: "web", tier: "x" }), pod("web-2", { app: "web" })],
  );
  await r.runNow("change");
  assert.deepEqual(backend.mutations(), ["apply default-web-1-app"]);
  backend.calls.length = 0;
  source.world = world([policy("p", { app: "web" }, ["/bin/sleep"])], [pod("web-2", { app: "web" })]);
  await r.runNow("pod gone");
  assert.deepEqual(backend.mutations(), ["remove default-web-1-app"]);
  await r.stop();
});

test("restart re-adopts what is applied and removes only stale artifacts", async () => {
  const first = setup(world([policy("p", { app: "web" }, ["/bin/sleep"])], [pod("web-1", { app: "web" })]));
  await first.r.start();
  await first.r.stop();
  // The old daemon's state survives (kernel / files); one extra stale artifact from an older policy.
  const backend = new RecordingBackend();
  for (const [k, v] of first.backend.state) backend.state.set(k, v);
  backend.state.set("default-gone-app", "0".repeat(64));
  const second = setup(
    world([policy("p", { app: "web" }, ["/bin/sleep"])], [pod("web-1", { app: "web" })]),
    backend,
  );
  await second.r.start();
  assert.deepEqual(backend.mutations(), ["remove default-gone-app"]);
  assert.deepEqual([...backend.state.keys()], ["default-web-1-app"]);
  await second.r.stop();
});

test("source unavailable: nothing is removed and the last applied state stays", async () => {
  const { source, backend, log, r } = setup(
    world([policy("p", { app: "web" }, ["/bin/sleep"])], [pod("web-1", { app: "web" })]),
  );
  await r.start();
  backend.calls.length = 0;
  source.world = null;
  await r.runNow("resync");
  assert.deepEqual(backend.mutations(), []);
  assert.equal(backend.state.size, 1);
  assert.ok(log.records.some(x => x.level === "warn" && /source unavailable/.test(x.msg)));
  await r.stop();
});

test("a burst of change events is coalesced into few passes", async () => {
  const { source, r } = setup(world([], [pod("web-1", { app: "web" })]));
  await r.start();
  const before = source.snapshots;
  for (let i = 0; i < 50; i++) source.emit("burst");
  await new Promise(res => setTimeout(res, 20));
  await r.idle();
  assert.ok(
    source.snapshots - before >= 1 && source.snapshots - before <= 2,
    `passes: ${source.snapshots - before}`,
  );
  await r.stop();
});

test("apply failures and compile errors become Failed results with reasons; a later pass retries", async () => {
  const backend = new RecordingBackend();
  backend.failKeys.add("default-web-1-app");
  backend.uncompilable.add("container:default/db-1/app");
  const { r, reported } = setup(
    world(
      [policy("p", { app: "web" }, ["/bin/sleep"]), policy("d", { app: "db" }, ["/bin/ls"])],
      [pod("web-1", { app: "web" }), pod("db-1", { app: "db" })],
    ),
    backend,
  );
  await r.start();
  const res = reported.at(-1)!;
  const web = res.find(x => x.workload === "container:default/web-1/app")!;
  assert.equal(web.status, "Failed");
  assert.match(web.reason, /kernel said no/);
  const db = res.find(x => x.workload === "container:default/db-1/app")!;
  assert.equal(db.status, "Failed");
  assert.match(db.reason, /cannot express/);
  backend.failKeys.clear();
  backend.calls.length = 0;
  await r.runNow("resync");
  assert.deepEqual(backend.mutations(), ["apply default-web-1-app"]);
  assert.equal(reported.at(-1)!.find(x => x.workload === "container:default/web-1/app")!.status, "Applied");
  await r.stop();
});

test("a backend that cannot list skips the pass instead of guessing", async () => {
  const backend = new RecordingBackend();
  const { r, log } = setup(
    world([policy("p", { app: "web" }, ["/bin/sleep"])], [pod("web-1", { app: "web" })]),
    backend,
  );
  backend.listFails = true;
  await r.start();
  assert.deepEqual(backend.mutations(), []);
  assert.ok(log.records.some(x => x.level === "error" && /cannot list/.test(x.msg)));
  await r.stop();
});

test("status is reported only when results change", async () => {
  const { r, reported } = setup(
    world([policy("p", { app: "web" }, ["/bin/sleep"])], [pod("web-1", { app: "web" })]),
  );
  await r.start();
  await r.runNow("resync");
  await r.runNow("resync");
  assert.equal(reported.length, 1);
  assert.deepEqual(
    reported[0]!.map(x => [x.policy.name, x.workload, x.status]),
    [["p", "container:default/web-1/app", "Applied"]],
  );
  await r.stop();
});

test("symlinked rule paths: each workload's resolver adds the resolved rules; changes are logged once", async () => {
  let target = "/usr/bin/sleep";
  const { backend, log, r } = setup(
    world([policy("host", { "kubearmor.io/hostname": "*" }, ["/bin/sleep"], "KubeArmorHostPolicy")], []),
    new RecordingBackend(),
    () => w => (w.kind === "host" ? p => (p === "/bin/sleep" ? target : p) : undefined),
  );
  await r.start();
  const eff = r.effective().get("host:node1")!.effective;
  assert.deepEqual(
    eff.rules.map(x => ("match" in x ? x.match : undefined)),
    [
      { type: "path", path: "/bin/sleep" },
      { type: "path", path: "/usr/bin/sleep" },
    ],
  );
  await r.runNow("resync");
  const logged = () => log.records.filter(x => /rule paths are symlinks/.test(x.msg)).length;
  assert.equal(logged(), 1, "an unchanged alias set is not logged again");
  // The link now points elsewhere (a package moved the binary): the next pass re-applies.
  backend.calls.length = 0;
  target = "/opt/bin/sleep";
  await r.runNow("resync");
  assert.deepEqual(backend.mutations(), ["apply host"]);
  assert.equal(logged(), 2);
  await r.stop();
});
