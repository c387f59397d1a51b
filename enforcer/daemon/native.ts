// SPDX-License-Identifier: Apache-2.0
//
// Loads the native addon (native/index.js: napi-rs, BPF monitor + BPF-LSM enforcer) lazily, so
// the daemon runs without it (apparmor / none backends; no monitor events) and says why.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { findProjectRoot } from "../probe/bpf-lsm.js";

export function nativeEntry(): string | undefined {
  if (process.env.RAMPART_NATIVE) return resolve(process.env.RAMPART_NATIVE);
  const starts = [
    typeof __filename === "string" ? __filename : "",
    process.argv[1] ?? "",
    process.cwd(),
  ].filter(Boolean);
  const root = findProjectRoot(starts.map(s => resolve(s, "..")));
  return root ? join(root, "native", "index.js") : undefined;
}

/** The addon module, or an error saying why it is unavailable. */
export function loadNative():
  | { ok: true; mod: Record<string, unknown>; entry: string }
  | { ok: false; reason: string } {
  const entry = nativeEntry();
  if (!entry || !existsSync(entry))
    return {
      ok: false,
      reason: `native addon not built (${entry ?? "native/index.js"} missing; run native/build.sh)`,
    };
  try {
    return { ok: true, mod: createRequire(entry)(entry) as Record<string, unknown>, entry };
  } catch (err) {
    return {
      ok: false,
      reason: `native addon ${entry} failed to load: ${(err as Error).message.split("\n")[0]}`,
    };
  }
}

/** Repository / install root (examples/, native/). */
export function projectRoot(): string | undefined {
  const starts = [
    typeof __filename === "string" ? __filename : "",
    process.argv[1] ?? "",
    process.cwd(),
  ].filter(Boolean);
  return findProjectRoot(starts.map(s => resolve(s, "..")));
}
