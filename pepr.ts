// SPDX-License-Identifier: Apache-2.0
//
// The Rampart Pepr module: admission (policy validation, pod/namespace mutation) and the policy
// status aggregator. Loaded by `pepr build` (PEPR_MODE=build: only registers bindings), by the
// admission Deployment (PEPR_WATCH_MODE=false), by the watcher Deployment (PEPR_WATCH_MODE=true)
// and by the test harness (PEPR_MODE=dev runs both in one process).

import https from "node:https";
import { PeprModule } from "pepr";
import cfg from "./package.json";
import { attachWarnings } from "./capabilities/mutation-warnings.js";
import { startNodeWatch, serverMinorVersion } from "./capabilities/node-watch.js";
import { Rampart, nodeView, runtimeInfo } from "./capabilities/rampart.js";

// Pepr 1.1.4 keeps Node's 5 s keep-alive timeout; the API server reuses idle webhook connections
// for longer and then sees EOF/reset (fixed upstream in 1.1.6). Raise the timeouts.
const createServer = https.createServer;
(https as unknown as { createServer: typeof createServer }).createServer = ((...args: unknown[]) => {
  const srv = (createServer as (...a: unknown[]) => https.Server)(...args);
  srv.keepAliveTimeout = 90_000;
  srv.headersTimeout = 32_000;
  return srv;
}) as typeof createServer;

const building = process.env.PEPR_MODE === "build";
const admission = process.env.PEPR_WATCH_MODE !== "true";

const module = new PeprModule(cfg, [Rampart], {
  deferStart: true,
  // Mutators cannot return AdmissionResponse warnings in Pepr 1.1.4; they park them by uid.
  afterHook: res => attachWarnings(res as { uid?: string; warnings?: string[] }),
});

if (!building) {
  if (admission) {
    // The node view is marked synced only after the version is known, so no pod is mutated
    // with a guess about the API server's AppArmor field support.
    void serverMinorVersion()
      .then(m => {
        if (m !== undefined) runtimeInfo.serverMinor = m;
      })
      .finally(() => startNodeWatch(nodeView));
  }
  // The port is fixed at 3000 in Pepr's manifests; the test harness picks a private one.
  module.start(Number(process.env.RAMPART_WEBHOOK_PORT ?? 3000));
}
