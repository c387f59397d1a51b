// SPDX-License-Identifier: Apache-2.0
//
// The Rampart Pepr capability: thin callbacks that hand plain objects to the pure decision
// functions (policy-admission, pod-mutation, namespace-posture, policy-status) and apply the
// result. Nothing here calls the API server on the admission path; the node view and the
// server version are read in the background (node-watch.ts).

import { Capability, a, type PeprMutateRequest, type PeprValidateRequest } from "pepr";
import { decidePolicyAdmission, denialMessage } from "./policy-admission.js";
import { addMutationWarning } from "./mutation-warnings.js";
import { postureRewrites, postureWarning } from "./namespace-posture.js";
import { MemoryNodeView } from "./node-view.js";
import { applyPodPlan, planPodMutation, type PodLike } from "./pod-mutation.js";
import { REPORT_GROUP, REPORT_KIND, REPORT_PLURAL, REPORT_VERSION } from "./policy-status.js";
import { onNodeReport } from "./status-controller.js";

export const nodeView = new MemoryNodeView();
/** Set once at start from /version; undefined ⇒ the legacy annotation is used. */
export const runtimeInfo: { serverMinor?: number } = {};

export const Rampart = new Capability({
  name: "rampart",
  description:
    "Validates KubeArmor policies, assigns AppArmor profiles to pods, normalizes namespace postures, aggregates policy status",
  namespaces: [],
});
const { When } = Rampart;

const POLICY_KINDS = [
  { kind: "KubeArmorPolicy", plural: "kubearmorpolicies" },
  { kind: "KubeArmorClusterPolicy", plural: "kubearmorclusterpolicies" },
  { kind: "KubeArmorHostPolicy", plural: "kubearmorhostpolicies" },
] as const;

export function validatePolicyRequest(req: PeprValidateRequest<a.GenericKind>) {
  const obj = req.Raw as unknown as { kind?: string; metadata?: { name?: string; namespace?: string } };
  // Status-only and metadata-only updates (e.g. the aggregator, finalizers) keep the spec: do
  // not re-judge an unchanged spec, so tightening validation never wedges existing objects.
  if (req.Request.operation === "UPDATE" && specUnchanged(req)) return req.Approve();
  const v = decidePolicyAdmission(req.Raw);
  if (!v.allowed) {
    return req.Deny(
      denialMessage(obj.kind ?? "policy", obj.metadata?.namespace, obj.metadata?.name, v.reasons),
      422,
      v.warnings.length ? v.warnings : undefined,
    );
  }
  return req.Approve(v.warnings.length ? v.warnings : undefined);
}

function specUnchanged(req: PeprValidateRequest<a.GenericKind>): boolean {
  const before = (req.OldResource as { spec?: unknown } | undefined)?.spec;
  const after = (req.Raw as { spec?: unknown }).spec;
  return before !== undefined && JSON.stringify(before) === JSON.stringify(after);
}

for (const { kind, plural } of POLICY_KINDS) {
  When(a.GenericKind, { group: "security.kubearmor.com", version: "v1", kind, plural })
    .IsCreatedOrUpdated()
    .Validate(validatePolicyRequest);
}

export function mutatePod(req: PeprMutateRequest<a.Pod>): void {
  const pod = req.Raw as unknown as PodLike;
  const plan = planPodMutation(pod, { nodes: nodeView, ...runtimeInfo });
  applyPodPlan(pod, plan);
}

When(a.Pod).IsCreated().Mutate(mutatePod);

export function mutateNamespace(req: PeprMutateRequest<a.Namespace>): void {
  const ns = req.Raw;
  const rewrites = postureRewrites(ns.metadata?.annotations);
  for (const r of rewrites) {
    req.SetAnnotation(r.key, r.to);
    addMutationWarning(req.Request.uid, postureWarning(ns.metadata?.name ?? "", r));
  }
}

When(a.Namespace).IsCreatedOrUpdated().Mutate(mutateNamespace);

// Policy status: aggregate the node daemons' RampartNodeReports (watcher / dev mode only).
const reportKind = { group: REPORT_GROUP, version: REPORT_VERSION, kind: REPORT_KIND, plural: REPORT_PLURAL };
When(a.GenericKind, reportKind)
  .IsCreatedOrUpdated()
  .Reconcile(obj => onNodeReport(obj, false));
When(a.GenericKind, reportKind)
  .IsDeleted()
  .Watch(obj => onNodeReport(obj, true));
