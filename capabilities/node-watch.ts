// SPDX-License-Identifier: Apache-2.0
//
// Keeps a MemoryNodeView current from the API server: one LIST at start (marks the view synced),
// then a WATCH (kfc relists on 410 and periodically). Runs in the admission process itself,
// because Pepr's own .Watch() bindings only run in the watcher Deployment, and the admission
// replicas must answer from memory. Retries forever: a missing view only means "no profile".

import { K8s, kind, Log } from "pepr";
import type { MemoryNodeView } from "./node-view.js";

export async function startNodeWatch(view: MemoryNodeView): Promise<void> {
  const listOnce = async (): Promise<void> => {
    const list = await K8s(kind.Node).Get();
    view.reset(
      list.items.map(n => ({ name: n.metadata?.name ?? "", labels: { ...(n.metadata?.labels ?? {}) } })),
    );
    Log.info(`rampart: node view synced (${list.items.length} nodes)`);
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await listOnce();
      break;
    } catch (e) {
      Log.warn(`rampart: listing nodes failed (attempt ${attempt}): ${describe(e)}`);
      await new Promise(r => setTimeout(r, Math.min(30_000, 1000 * attempt)));
    }
  }
  const watcher = K8s(kind.Node).Watch(
    (node, phase) => {
      const name = node.metadata?.name;
      if (!name) return;
      if (phase === "DELETED") view.remove(name);
      else view.upsert(name, node.metadata?.labels);
    },
    { resyncDelaySec: 5, lastSeenLimitSeconds: 60, relistIntervalSec: 120 },
  );
  await watcher.start();
}

/** The API server version's minor number, read once at start (not on the hot path). */
export async function serverMinorVersion(): Promise<number | undefined> {
  try {
    const v = await K8s(kind.Namespace).Raw("/version");
    const minor = parseInt(String((v as unknown as { minor?: string }).minor ?? "").replace(/\D+$/, ""), 10);
    return Number.isFinite(minor) ? minor : undefined;
  } catch (e) {
    Log.warn(`rampart: cannot read the API server version: ${describe(e)}`);
    return undefined;
  }
}

export function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === "object" && "status" in e) {
    const r = e as { status?: number; statusText?: string; data?: unknown };
    return `HTTP ${r.status} ${r.statusText ?? ""} ${typeof r.data === "string" ? r.data : JSON.stringify(r.data ?? "")}`.slice(
      0,
      300,
    );
  }
  return String(e);
}
