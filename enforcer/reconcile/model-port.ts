// SPDX-License-Identifier: Apache-2.0
// The reconcile loop's view of the policy model (enforcer/model), with the daemon's defaults bound.
import { DEFAULTS, effectiveForContainer, effectiveForHost, type Defaults } from "../model/index.js";
import type { PolicyModel } from "./types.js";

export function modelPort(defaults: Defaults = DEFAULTS): PolicyModel {
  return {
    forContainer: (policies, pod, container, ns) =>
      effectiveForContainer(policies, pod, container, ns, defaults),
    forHost: (policies, node) => effectiveForHost(policies, node, defaults),
  };
}
