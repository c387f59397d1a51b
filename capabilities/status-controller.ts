// SPDX-License-Identifier: Apache-2.0
//
// The I/O half of policy status: feeds RampartNodeReport events into the pure StatusAggregator
// and merge-patches each changed policy's /status. Runs in the Pepr watcher (Reconcile binding,
// one FIFO per report object). Idempotent: after a restart every report arrives again as ADDED
// and every status is recomputed from scratch.

import { K8s, Log, a } from "pepr";
import { describe } from "./node-watch.js";
import {
  POLICY_PLURALS,
  StatusAggregator,
  parseKey,
  reportFromObject,
  type PolicyStatus,
} from "./policy-status.js";

export const aggregator = new StatusAggregator();

async function writeStatus(key: string, s: PolicyStatus): Promise<void> {
  const { kind, namespace, name } = parseKey(key);
  const api = K8s(a.GenericKind, {
    kindOverride: { group: "security.kubearmor.com", version: "v1", kind, plural: POLICY_PLURALS[kind] },
  });
  try {
    await api.PatchStatus({
      metadata: { name, ...(namespace ? { namespace } : {}) },
      status: {
        status: s.status,
        applied: s.applied,
        failed: s.failed,
        nodes: s.nodes,
        omittedNodes: s.omittedNodes,
      },
    } as never);
    aggregator.markWritten(key, s);
  } catch (e) {
    const status = (e as { status?: number }).status;
    if (status === 404) {
      aggregator.forget(key); // the policy is gone; nothing to write
      return;
    }
    Log.warn(`rampart: writing status of ${key} failed (retrying in 5 s): ${describe(e)}`);
    setTimeout(() => void retry(key), 5000).unref();
  }
}

async function retry(key: string): Promise<void> {
  const s = aggregator.pending(key);
  if (s) await writeStatus(key, s);
}

/** Handle one report event (object = the RampartNodeReport; deleted = it was removed). */
export async function onNodeReport(obj: unknown, deleted: boolean): Promise<void> {
  const o = obj as { metadata?: { name?: string } };
  const node = o.metadata?.name;
  if (!node) return;
  const keys = aggregator.update(node, deleted ? undefined : reportFromObject(obj));
  for (const key of keys) {
    const s = aggregator.pending(key);
    if (s) await writeStatus(key, s);
  }
}
