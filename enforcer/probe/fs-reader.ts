// SPDX-License-Identifier: Apache-2.0
//
// The probe's only view of the machine's filesystem. Every kernel fact the probe reports comes
// from /proc and /sys through this interface, so tests can point it at a fixture directory that
// mimics a node (testdata/<node>/proc/..., testdata/<node>/sys/...).

import * as fs from "node:fs";
import * as path from "node:path";

/** A failed filesystem access, with the errno code (ENOENT, EACCES, EPERM, ...). */
export interface FsMiss {
  ok: false;
  code: string;
}

export type FsResult<T> = { ok: true; value: T } | FsMiss;

export interface FsReader {
  /** Whole file as UTF-8 text (small pseudo-files only). */
  readText(absPath: string): FsResult<string>;
  /** Entry names of a directory. */
  list(absPath: string): FsResult<string[]>;
  /** Whether the path exists, and what it is. */
  stat(absPath: string): FsResult<{ kind: "file" | "dir" | "other"; size: number }>;
}

function miss(err: unknown): FsMiss {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return { ok: false, code: typeof code === "string" ? code : "EIO" };
}

/**
 * A reader that resolves absolute paths under `root`: "/" for the real machine, a fixture
 * directory in tests. Paths never escape the root (".." is resolved before prefixing).
 */
export function rootedFsReader(root: string): FsReader {
  const at = (p: string): string => path.join(root, path.posix.resolve("/", p));
  return {
    readText(p) {
      try {
        return { ok: true, value: fs.readFileSync(at(p), "utf8") };
      } catch (err) {
        return miss(err);
      }
    },
    list(p) {
      try {
        return { ok: true, value: fs.readdirSync(at(p)).sort() };
      } catch (err) {
        return miss(err);
      }
    },
    stat(p) {
      try {
        const st = fs.statSync(at(p));
        const kind = st.isFile() ? "file" : st.isDirectory() ? "dir" : "other";
        return { ok: true, value: { kind, size: st.size } };
      } catch (err) {
        return miss(err);
      }
    },
  };
}
