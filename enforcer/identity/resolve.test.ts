// SPDX-License-Identifier: Apache-2.0
// Path resolution inside a workload root, on a real directory tree with real symlinks.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { resolveIn, rootResolver } from "./resolve.js";

const root = mkdtempSync(join(tmpdir(), "rampart-resolve-"));
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "usr/bin"), { recursive: true });
mkdirSync(join(root, "usr/lib"), { recursive: true });
writeFileSync(join(root, "usr/bin/dash"), "");
symlinkSync("usr/bin", join(root, "bin")); // Debian 12: relative /bin -> usr/bin
symlinkSync("/usr/lib", join(root, "lib")); // absolute: must stay inside the root
symlinkSync("dash", join(root, "usr/bin/sh"));
symlinkSync("../../../../../etc", join(root, "usr/up")); // tries to climb out of the root
symlinkSync("loop-b", join(root, "loop-a"));
symlinkSync("loop-a", join(root, "loop-b"));

test("symlinks are followed inside the root; absolute targets restart at the root", () => {
  assert.equal(resolveIn(root, "/bin/sh"), "/usr/bin/dash");
  assert.equal(resolveIn(root, "/bin/"), "/usr/bin");
  assert.equal(resolveIn(root, "/lib/x.so"), "/usr/lib/x.so");
  assert.equal(resolveIn(root, "/usr/bin/dash"), "/usr/bin/dash");
});

test("what does not exist yet keeps its literal tail after the resolved directories", () => {
  assert.equal(resolveIn(root, "/bin/not-yet/installed"), "/usr/bin/not-yet/installed");
  assert.equal(resolveIn(root, "/nowhere/x"), "/nowhere/x");
});

test("'..' in link targets never leaves the root; loops and files-as-directories resolve to nothing", () => {
  assert.equal(resolveIn(root, "/usr/up/passwd"), "/etc/passwd");
  assert.equal(resolveIn(root, "/loop-a"), undefined);
  assert.equal(resolveIn(root, "/usr/bin/dash/x"), undefined);
  assert.equal(resolveIn(root, "relative"), undefined);
});

test("the resolver memoizes per path", () => {
  let calls = 0;
  const r = rootResolver("/r", { entry: () => (calls++, { kind: "dir" }) });
  assert.equal(r("/a/b"), "/a/b");
  assert.equal(r("/a/b"), "/a/b");
  assert.equal(calls, 2);
});
