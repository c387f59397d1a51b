// SPDX-License-Identifier: Apache-2.0
//
// Pepr 1.1.4 has no way for a Mutate callback to return AdmissionResponse warnings (it only adds
// its own "Action failed" ones). Mutators park their warnings here under the request uid, and the
// module's afterHook (pepr.ts) moves them onto the outgoing response. Bounded: entries whose
// response never came (a crashed request) are evicted oldest-first.

const MAX_PENDING = 1024;
const pending = new Map<string, string[]>();

export function addMutationWarning(uid: string | undefined, warning: string): void {
  if (!uid) return;
  const list = pending.get(uid);
  if (list) list.push(warning);
  else {
    if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value as string);
    pending.set(uid, [warning]);
  }
}

/** Remove and return the warnings parked for a request. */
export function takeMutationWarnings(uid: string | undefined): string[] {
  if (!uid) return [];
  const list = pending.get(uid) ?? [];
  pending.delete(uid);
  return list;
}

/** For the afterHook: attach parked warnings to a Mutate/Validate response object. */
export function attachWarnings(res: { uid?: string; warnings?: string[] }): void {
  const extra = takeMutationWarnings(res.uid);
  if (extra.length) res.warnings = [...(res.warnings ?? []), ...extra];
}
