// SPDX-License-Identifier: Apache-2.0
//
// AppArmor profile names are built from user-controlled strings (namespace, owner, container).
// They end up in profile text, in a Pod's securityContext and in file names under
// /etc/apparmor.d, so they are reduced to a safe alphabet and bounded in length. A hash of the
// unsanitised input keeps two different workloads from colliding after sanitising/truncating.

import { createHash } from "node:crypto";

export const PROFILE_PREFIX = "rampart";
/** AppArmor accepts long names, but file names and annotations are nicer short; 200 leaves room. */
export const MAX_PROFILE_NAME = 200;

function clean(part: string): string {
  return part
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "_")
    .replace(/^[._-]+/, "");
}

/** `rampart-<namespace>-<owner>-<container>`, sanitised; stable for the same inputs. */
export function profileName(namespace: string, owner: string, container: string): string {
  const raw = `${PROFILE_PREFIX}-${namespace}-${owner}-${container}`;
  const safe = `${PROFILE_PREFIX}-${clean(namespace)}-${clean(owner)}-${clean(container)}`;
  if (safe === raw && safe.length <= MAX_PROFILE_NAME) return safe;
  const digest = createHash("sha256").update(raw).digest("hex").slice(0, 10);
  return `${safe.slice(0, MAX_PROFILE_NAME - 11)}-${digest}`;
}

/** Profile name for host policies. */
export const HOST_PROFILE_NAME = `${PROFILE_PREFIX}.host`;
