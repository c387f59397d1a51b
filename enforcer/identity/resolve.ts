// SPDX-License-Identifier: Apache-2.0
//
// Resolve a policy path the way the kernel will see it inside one workload: every symlink along
// the path is followed *within the workload's root* (the host's `/`, or a container's
// `/proc/<pid>/root`), absolute link targets restart at that root, and `..` never climbs above
// it. What does not exist yet is kept literally after the last existing directory, so a rule on
// `/bin/not-yet-installed` still becomes `/usr/bin/not-yet-installed`. Used for rule aliases
// (enforcer/model/aliases.ts). At most 40 links per path, as the kernel allows.

import { lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { ResolvePath } from "../model/aliases.js";

const MAX_LINKS = 40;

export interface FsLinks {
  /** "link" with its target, "dir"/"other" for an existing entry, undefined when absent. */
  entry(realPath: string): { kind: "link"; target: string } | { kind: "dir" | "other" } | undefined;
}

export const realFs: FsLinks = {
  entry(p) {
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) return { kind: "link", target: readlinkSync(p) };
      return { kind: st.isDirectory() ? "dir" : "other" };
    } catch {
      return undefined;
    }
  },
};

/** A resolver for paths inside `root`; results are absolute paths as seen from inside it. */
export function rootResolver(root: string, fs: FsLinks = realFs): ResolvePath {
  const memo = new Map<string, string | undefined>();
  return (p: string) => {
    if (!memo.has(p)) memo.set(p, resolveIn(root, p, fs));
    return memo.get(p);
  };
}

export function resolveIn(root: string, path: string, fs: FsLinks = realFs): string | undefined {
  if (!path.startsWith("/")) return undefined;
  const done: string[] = [];
  let todo = path.split("/").filter(Boolean);
  let links = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === ".") continue;
    if (c === "..") {
      done.pop();
      continue;
    }
    const here = [...done, c];
    const e = fs.entry(join(root, ...here));
    if (e === undefined) {
      // The rest does not exist (yet): keep it literally.
      return "/" + [...here, ...todo].join("/");
    }
    if (e.kind === "link") {
      if (++links > MAX_LINKS) return undefined;
      const target = e.target.split("/").filter(Boolean);
      if (e.target.startsWith("/")) done.length = 0;
      todo = [...target, ...todo];
      continue;
    }
    if (e.kind === "other" && todo.length) return undefined; // a file used as a directory
    done.push(c);
  }
  return "/" + done.join("/");
}
