// SPDX-License-Identifier: Apache-2.0
// Content hashes for artifacts: stable across runs (canonical JSON: sorted keys, bigint as string).
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === "bigint") return `${v.toString()}n`;
    if (v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(o)
          .sort()
          .map(k => [k, o[k]]),
      );
    }
    return v;
  });
}

export function contentHash(content: unknown): string {
  const text = typeof content === "string" ? content : canonicalJson(content);
  return createHash("sha256").update(text).digest("hex");
}
