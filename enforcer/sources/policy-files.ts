// SPDX-License-Identifier: Apache-2.0
//
// Which files under a directory are policy files: the one walk shared by `rampart validate /
// explain / compile DIR` and the daemon's `--policies DIR`, so both read the same set.
import { readdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";

/** Names read as policy files (JSON is YAML). */
export const POLICY_FILE = /\.(ya?ml|json)$/i;

/** A short reason for a failed fs call: `no such file or directory`, `symlink loop`, … */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "ELOOP") return "symlink loop";
  if (code === "EACCES") return "permission denied";
  return (err as Error).message;
}

export interface PolicyFileWalk {
  /** Policy files, depth first, each directory's entries in name order. */
  files: string[];
  /** Directories and policy-named entries that could not be read: input that would be lost. */
  unreadable: Array<{ path: string; kind: "dir" | "file"; reason: string }>;
}

/**
 * Walk `root` recursively. Symlinks are followed (GitOps trees and ConfigMap mounts use them) and
 * each directory is walked once, so a link back into the tree ends. Hidden entries are skipped:
 * `.git`, `.github` workflows, and a ConfigMap mount's `..data` (its files are also linked at the
 * top).
 */
export function walkPolicyFiles(root: string): PolicyFileWalk {
  const out: PolicyFileWalk = { files: [], unreadable: [] };
  const walked = new Set<string>();
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      const real = realpathSync(dir);
      if (walked.has(real)) return;
      walked.add(real);
      entries = readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    } catch (err) {
      out.unreadable.push({ path: dir, kind: "dir", reason: fsReason(err) });
      return;
    }
    for (const name of entries) {
      if (name.startsWith(".")) continue;
      const p = join(dir, name);
      let st;
      try {
        st = statSync(p); // follows symlinks
      } catch (err) {
        if (POLICY_FILE.test(name)) out.unreadable.push({ path: p, kind: "file", reason: fsReason(err) });
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && POLICY_FILE.test(name)) out.files.push(p);
    }
  };
  walk(root);
  return out;
}
