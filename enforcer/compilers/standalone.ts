// SPDX-License-Identifier: Apache-2.0
//
// An EffectivePolicy for one policy on its own (`rampart compile` without --workloads): the policy's
// rules as if it selected one container (KSP/CSP) or the host (HSP), with default postures.

import type { Defaults, EffectivePolicy, NormalizedPolicy } from "../model/types.js";
import { DEFAULTS } from "../model/types.js";

export function standaloneEffective(
  policy: NormalizedPolicy,
  defaults: Defaults = DEFAULTS,
): EffectivePolicy {
  const host = policy.kind === "KubeArmorHostPolicy";
  const has = (cats: string[]) => policy.rules.some(r => cats.includes(r.category) && r.action === "Allow");
  const ns = policy.namespace ?? "cluster";
  return {
    target: host
      ? { kind: "host", hostname: policy.name, labels: {} }
      : {
          kind: "container",
          namespace: ns,
          pod: policy.name,
          container: policy.name,
          owner: { kind: "Policy", name: policy.name, namespace: ns },
          labels: {},
        },
    state: "enabled",
    postures: host ? defaults.hostPostures : defaults.postures,
    allowList: {
      file: has(["process", "file"]),
      network: has(["network"]),
      capabilities: has(["capabilities"]),
    },
    visibility: host ? defaults.hostVisibility : defaults.visibility,
    rules: policy.rules,
    apparmor: policy.apparmor
      ? [
          {
            origin: {
              kind: policy.kind,
              name: policy.name,
              ...(policy.namespace ? { namespace: policy.namespace } : {}),
              path: "spec.apparmor",
            },
            text: policy.apparmor,
          },
        ]
      : [],
    policies: [
      { kind: policy.kind, name: policy.name, ...(policy.namespace ? { namespace: policy.namespace } : {}) },
    ],
  };
}
