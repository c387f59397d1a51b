// SPDX-License-Identifier: Apache-2.0

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { run } from "./compile.js";

const ROOT = resolve(import.meta.dirname, "../../..");

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await run(argv);
    return { code, out: out.join(""), err: err.join("") };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

test("compile --out writes one file per container / host and target", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-compile-"));
  try {
    const pol = join(ROOT, "examples/policies");
    const host = join(ROOT, "examples/host");
    const wl = join(ROOT, "examples/workloads.yaml");
    const aa = await capture([
      "--target",
      "apparmor",
      "--policies",
      pol,
      host,
      "--workloads",
      wl,
      "--out",
      join(dir, "aa"),
    ]);
    assert.equal(aa.code, 0, aa.err);
    const files = readdirSync(join(dir, "aa"));
    assert.ok(
      files.includes("rampart-shop-nginx-nginx") && files.some(f => f.startsWith("rampart.host.")),
      files.join(" "),
    );
    assert.match(
      readFileSync(join(dir, "aa", "rampart-shop-nginx-nginx"), "utf8"),
      /^profile rampart-shop-nginx-nginx flags=/m,
    );
    const bpf = await capture([
      "--target",
      "bpf",
      "--policies",
      pol,
      "--workloads",
      wl,
      "--out",
      join(dir, "bpf"),
      "--output",
      "json",
    ]);
    assert.equal(bpf.code, 0, bpf.err);
    const j = JSON.parse(readFileSync(join(dir, "bpf", "rampart-shop-nginx-nginx.bpf.json"), "utf8"));
    assert.ok(Array.isArray(j.rules) && typeof j.workload.bytes === "string");
    const se = await capture([
      "--target",
      "selinux",
      "--policies",
      host,
      pol,
      "--workloads",
      wl,
      "--out",
      join(dir, "se"),
    ]);
    assert.equal(se.code, 0, se.err);
    assert.ok(
      readdirSync(join(dir, "se")).some(f => f.endsWith(".cil")) &&
        readdirSync(join(dir, "se")).some(f => f.endsWith(".fc")),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("compile to stdout with separators; compile errors name the rule and exit 1; usage errors exit 2", async () => {
  const s = await capture([
    "--target",
    "bpf",
    "--policies",
    join(ROOT, "examples/policies/ksp-process.yaml"),
  ]);
  assert.equal(s.code, 0, s.err);
  assert.match(s.out, /^### rampart compile: bpf .*\.bpf\.txt — container /m);
  const dir = mkdtempSync(join(tmpdir(), "rampart-compile-"));
  try {
    const f = join(dir, "p.yaml");
    writeFileSync(
      f,
      `apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: glob, namespace: default}\nspec:\n  selector: {matchLabels: {app: x}}\n  file:\n    matchPatterns:\n      - pattern: /etc/${"?a".repeat(40)}\n  action: Block\n`,
    );
    const bad = await capture(["--target", "bpf", "--policies", f]);
    assert.equal(bad.code, 1, bad.err);
    assert.match(
      bad.err,
      /container .*: bpf: KubeArmorPolicy default\/glob spec\.file\.matchPatterns\[0\]: .*63.* \[glob-unsupported\]/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal((await capture(["--target", "nope", "--policies", "x"])).code, 2);
  assert.equal((await capture(["--policies", "x"])).code, 2);
  assert.equal((await capture(["--target", "bpf", "--policies", "/nonexistent/x"])).code, 2);
});
