// SPDX-License-Identifier: Apache-2.0
// This host as a NodeInfo for host-policy selection in standalone mode.
import { hostname } from "node:os";
import type { NodeInfo } from "../model/types.js";

/** Parse `k=v,k2=v2` (the --node-labels flag). Throws with a one-line message on bad input. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const part of text.split(",")) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf("=");
    if (eq <= 0) throw new Error(`--node-labels: "${item}" is not key=value`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

export function localNode(name: string = hostname(), labels: Record<string, string> = {}): NodeInfo {
  return {
    name,
    labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", ...labels },
    annotations: {},
  };
}
