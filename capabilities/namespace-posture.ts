// SPDX-License-Identifier: Apache-2.0
//
// Namespace default-posture annotations (kubearmor-compat §5.7, §7.2). KubeArmor's daemon
// rewrites an invalid `kubearmor-<category>-posture` value to the global default; Rampart does
// the same at admission (so the stored object is what is enforced) and says so in a warning
// returned to the client, instead of silently changing it later.

import type { Defaults, Posture, Postures } from "../enforcer/model/types.js";
import { DEFAULTS } from "../enforcer/model/types.js";

export const POSTURE_KEYS = {
  file: "kubearmor-file-posture",
  network: "kubearmor-network-posture",
  capabilities: "kubearmor-capabilities-posture",
} as const;

export interface PostureRewrite {
  key: string;
  from: string;
  to: Posture;
}

const VALID: readonly string[] = ["audit", "block"];

/** Which posture annotations must be rewritten, and to what. Pure. */
export function postureRewrites(
  annotations: Record<string, string> | undefined,
  postures: Postures = (DEFAULTS as Defaults).postures,
): PostureRewrite[] {
  const out: PostureRewrite[] = [];
  for (const [cat, key] of Object.entries(POSTURE_KEYS) as Array<[keyof Postures, string]>) {
    const v = annotations?.[key];
    if (v === undefined || VALID.includes(v)) continue;
    out.push({ key, from: v, to: postures[cat] });
  }
  return out;
}

/** The warning text shown by kubectl for one rewrite. */
export function postureWarning(namespace: string, r: PostureRewrite): string {
  const shown = JSON.stringify(r.from.length > 60 ? `${r.from.slice(0, 60)}…` : r.from);
  return `namespace ${namespace}: metadata.annotations[${r.key}]: invalid value ${shown} (expected audit or block); rewritten to the global default "${r.to}"`;
}
