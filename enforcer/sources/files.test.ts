// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { memoryLogger } from "../daemon/log.js";
import { FileSource } from "./files.js";
import { localNode, parseLabels } from "./node.js";

const root = mkdtempSync(join(tmpdir(), "rampart-src-"));
after(() => rmSync(root, { recursive: true, force: true }));

const hsp = (name: string, path: string) => `apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: ${name}
spec:
  nodeSelector:
    matchLabels:
      kubearmor.io/hostname: "*"
  process:
    matchPaths:
      - path: ${path}
  action: Block
`;

test("--node-labels parsing", () => {
  assert.deepEqual(parseLabels("a=1, b = x ,"), { a: "1", b: "x" });
  assert.throws(() => parseLabels("oops"), /--node-labels: "oops" is not key=value/);
  assert.equal(localNode("n1", { zone: "z" }).labels["kubernetes.io/hostname"], "n1");
});

test("valid files load; an invalid file is reported in one line and skipped; others unaffected", async () => {
  const dir = mkdtempSync(join(root, "a-"));
  writeFileSync(join(dir, "one.yaml"), hsp("one", "/usr/bin/sleep"));
  writeFileSync(join(dir, "bad.yaml"), hsp("bad", "relative/path"));
  writeFileSync(join(dir, "notes.txt"), "not yaml");
  const log = memoryLogger();
  const src = new FileSource({ dir, node: localNode("n1"), log });
  const w = await src.snapshot();
  assert.deepEqual(
    w.policies.map(p => p.name),
    ["one"],
  );
  assert.deepEqual(
    w.workloads.map(x => x.id),
    ["host:n1"],
  );
  const err = log.records.find(r => r.level === "error")!;
  assert.match(
    err.msg,
    /^policies: bad\.yaml#1 \(KubeArmorHostPolicy bad\) spec\.process\.matchPaths\[0\]\.path: /,
  );
  assert.ok(!err.msg.includes("\n"));
});

test("a ConfigMap-style tree of symlinks loads once; a broken link is warned about once, then loads when fixed", async () => {
  const dir = mkdtempSync(join(root, "cm-"));
  mkdirSync(join(dir, "..2026_12_01"));
  writeFileSync(join(dir, "..2026_12_01", "one.yaml"), hsp("one", "/usr/bin/sleep"));
  symlinkSync("..2026_12_01", join(dir, "..data"));
  symlinkSync("..data/one.yaml", join(dir, "one.yaml"));
  const shared = mkdtempSync(join(root, "shared-"));
  writeFileSync(join(shared, "two.yaml"), hsp("two", "/usr/bin/true"));
  symlinkSync(shared, join(dir, "linked-dir"));
  symlinkSync("..", join(dir, "..2026_12_01", "loop")); // hidden, and a loop: neither walked
  const outside = mkdtempSync(join(root, "outside-"));
  symlinkSync(join(outside, "three.yaml"), join(dir, "three.yaml")); // dangling for now
  const log = memoryLogger();
  const src = new FileSource({ dir, node: localNode("n1"), log });
  let w = await src.snapshot();
  assert.deepEqual(w.policies.map(p => p.name).sort(), ["one", "two"]);
  await src.snapshot();
  const warned = log.records.filter(r => /cannot be read/.test(r.msg));
  assert.equal(warned.length, 1, "warned once while it stays broken");
  assert.equal(warned[0]!.meta?.file, "three.yaml");
  writeFileSync(join(outside, "three.yaml"), hsp("three", "/usr/bin/env"));
  w = await src.snapshot();
  assert.deepEqual(w.policies.map(p => p.name).sort(), ["one", "three", "two"]);
});

test("a file that becomes invalid keeps its last good version; a deleted file's policies go away", async () => {
  const dir = mkdtempSync(join(root, "b-"));
  writeFileSync(join(dir, "one.yaml"), hsp("one", "/usr/bin/sleep"));
  writeFileSync(join(dir, "two.yaml"), hsp("two", "/usr/bin/nc"));
  const log = memoryLogger();
  const src = new FileSource({ dir, node: localNode("n1"), log });
  assert.deepEqual(
    (await src.snapshot()).policies.map(p => p.name),
    ["one", "two"],
  );
  writeFileSync(join(dir, "one.yaml"), "kind: KubeArmorHostPolicy\nspec: [unclosed\n");
  const w = await src.snapshot();
  assert.deepEqual(
    w.policies.map(p => p.name),
    ["one", "two"],
  );
  assert.ok(log.records.some(r => r.level === "warn" && /keeping its last good version/.test(r.msg)));
  writeFileSync(join(dir, "one.yaml"), hsp("one", "/usr/bin/true"));
  const rules = (await src.snapshot()).policies.find(p => p.name === "one")!.rules;
  assert.deepEqual(
    rules.map(r => ("match" in r && r.match.type === "path" ? r.match.path : "")),
    ["/usr/bin/true"],
  );
  unlinkSync(join(dir, "two.yaml"));
  assert.deepEqual(
    (await src.snapshot()).policies.map(p => p.name),
    ["one"],
  );
});

test("a missing directory makes the source unavailable (the loop then keeps what is applied)", async () => {
  const src = new FileSource({ dir: join(root, "nope"), node: localNode("n1"), log: memoryLogger() });
  await assert.rejects(src.snapshot(), /ENOENT/);
});

test("changes in the directory are noticed by the watch", async () => {
  const dir = mkdtempSync(join(root, "c-"));
  const src = new FileSource({ dir, node: localNode("n1"), log: memoryLogger(), rescanMs: 0 });
  const seen = new Promise<string>(resolve => src.onChange(resolve));
  src.start();
  writeFileSync(join(dir, "new.yaml"), hsp("new", "/usr/bin/sleep"));
  assert.match(await seen, /new\.yaml/);
  src.stop();
});

test("containers from the runtime become workloads; an unreachable runtime keeps the last list", async () => {
  const dir = mkdtempSync(join(root, "d-"));
  let up = true;
  const runtime = {
    list: async () => {
      if (!up) throw new Error("connect ENOENT /run/containerd/containerd.sock");
      return [
        {
          containerId: "c".repeat(64),
          name: "app",
          podName: "web-0",
          podNamespace: "shop",
          labels: { app: "web" },
          cgroupId: 42n,
        },
      ];
    },
    close: () => undefined,
  };
  const log = memoryLogger();
  const src = new FileSource({ dir, node: localNode("n1"), log, runtime });
  const ids = async () => (await src.snapshot()).workloads.map(w => w.id);
  assert.deepEqual(await ids(), ["host:n1", "container:shop/web-0/app"]);
  up = false;
  assert.deepEqual(await ids(), ["host:n1", "container:shop/web-0/app"]);
  assert.ok(log.records.some(r => /runtime unreachable/.test(r.msg)));
});
