// SPDX-License-Identifier: Apache-2.0
//
// `rampart validate` and `rampart explain`: exit codes, one-line outputs, JSON output, help.
// Most cases run the command in-process (capturing stdout/stderr); one runs the real CLI
// entry point as a child process to pin the process exit code.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import * as explain from "./explain.js";
import * as validate from "./validate.js";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const EX = join(ROOT, "examples");

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => (
    out.push(String(s)),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (
    err.push(String(s)),
    true
  )) as typeof process.stderr.write;
  try {
    const code = await fn();
    return { code, out: out.join(""), err: err.join("") };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

const tmp = mkdtempSync(join(tmpdir(), "rampart-validate-test-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const GOOD = `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: good, namespace: default}
spec:
  process:
    matchPaths: [{path: /bin/sleep}]
`;
const WARN = `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: warn}
spec:
  process:
    matchPaths: [{path: /bin/ls, action: Allow}, {path: /bin/ls, action: Block}]
`;
const BAD = `apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata: {name: foo}
spec:
  process:
    matchPaths: [{path: /bin/sleep/}]
`;

describe("rampart validate", () => {
  it("follows symlinks like a ConfigMap mount, skips hidden entries, walks a looped tree once", async () => {
    const d = join(tmp, "configmap");
    mkdirSync(join(d, "..2026_12_01"), { recursive: true });
    writeFileSync(join(d, "..2026_12_01", "good.yaml"), GOOD);
    symlinkSync("..2026_12_01", join(d, "..data"));
    symlinkSync("..data/good.yaml", join(d, "good.yaml"));
    mkdirSync(join(d, "sub"));
    symlinkSync("..", join(d, "sub", "up")); // a loop back to the top
    mkdirSync(join(d, ".github"));
    writeFileSync(join(d, ".github", "ci.yml"), "on: push\n");
    const { files, missing } = validate.collectFiles([d]);
    assert.deepEqual(files, [join(d, "good.yaml")]);
    assert.deepEqual(missing, []);
    const r = await capture(() => validate.run([d]));
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^OK: 1 file\(s\), 1 document\(s\), 1 valid policy,/);
  });

  it("a dangling or looping link to a policy file is named with its reason, never skipped", async () => {
    const d = join(tmp, "dangling");
    mkdirSync(d);
    writeFileSync(join(d, "a.yaml"), GOOD);
    symlinkSync("gone.yaml", join(d, "b.yaml"));
    symlinkSync("c.yaml", join(d, "c.yaml"));
    symlinkSync("gone", join(d, "notes")); // not a policy name: not reported
    const r = await capture(() => validate.run([d]));
    assert.equal(r.code, 2);
    assert.equal(
      r.err.split("\n")[0],
      `rampart validate: cannot read ${join(d, "b.yaml")} (no such file or directory), ${join(d, "c.yaml")} (symlink loop)`,
    );
  });

  it("exit 0 on the valid examples (policies and host set)", async () => {
    const r = await capture(() => validate.run([join(EX, "policies"), join(EX, "host")]));
    assert.equal(r.code, 0, r.out);
    assert.match(
      r.out,
      /^OK: \d+ file\(s\), \d+ document\(s\), \d+ valid policies, 0 error\(s\), 0 warning\(s\)\n$/,
    );
  });

  it("exit 1 on examples/invalid; every line is one problem naming file#doc, kind and field", async () => {
    const r = await capture(() => validate.run([join(EX, "invalid")]));
    assert.equal(r.code, 1);
    const lines = r.out.trim().split("\n");
    const summary = lines.pop()!;
    assert.match(summary, /^FAILED: 6 file\(s\), .* [1-9]\d* error\(s\)/);
    for (const l of lines) assert.match(l, /^(warning: )?\S+\.yaml#\d+ (\(\S+( \S+)?\) )?\S+: \S/, l);
    assert.ok(
      lines.some(l =>
        l.includes(
          "bad-paths.yaml#1 (KubeArmorPolicy default/bad-paths) spec.process.matchPaths[0].path: must be an absolute path without a trailing slash",
        ),
      ),
    );
  });

  it("the issue's example line, verbatim", async () => {
    const f = join(tmp, "file.yaml");
    writeFileSync(f, "---\n" + GOOD + "---\n" + BAD);
    const r = await capture(() => validate.run(["-q", f]));
    assert.equal(r.code, 1);
    assert.equal(
      r.out,
      `${f}#2 (KubeArmorPolicy default/foo) spec.process.matchPaths[0].path: must be an absolute path without a trailing slash\n`,
    );
  });

  it("warnings never change the exit code unless --strict", async () => {
    const f = join(tmp, "warn.yaml");
    writeFileSync(f, WARN);
    const loose = await capture(() => validate.run([f]));
    assert.equal(loose.code, 0);
    assert.match(loose.out, /^warning: .*contradicts/m);
    const strict = await capture(() => validate.run(["--strict", f]));
    assert.equal(strict.code, 1);
    assert.doesNotMatch(strict.out, /^warning:/m);
  });

  it("directories are searched recursively for .yaml/.yml/.json; other files ignored", async () => {
    const d = join(tmp, "tree");
    mkdirSync(join(d, "a", "b"), { recursive: true });
    writeFileSync(join(d, "a", "one.yml"), GOOD);
    writeFileSync(
      join(d, "a", "b", "two.json"),
      JSON.stringify({
        apiVersion: "security.kubearmor.com/v1",
        kind: "KubeArmorClusterPolicy",
        metadata: { name: "j" },
        spec: { file: { matchPaths: [{ path: "/etc/x" }] } },
      }),
    );
    writeFileSync(join(d, "a", "b", "notes.txt"), "not yaml: [");
    const r = await capture(() => validate.run([d]));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /OK: 2 file\(s\), 2 document\(s\), 2 valid policies/);
  });

  it("a policy defined in two files is a warning (duplicate), reported once", async () => {
    const d = join(tmp, "dups");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "a.yaml"), GOOD);
    writeFileSync(join(d, "b.yaml"), GOOD + "---\n" + GOOD);
    const r = await capture(() => validate.run(["-q", d]));
    assert.equal(r.code, 0);
    const lines = r.out.trim().split("\n");
    assert.equal(lines.length, 2, r.out);
    assert.match(lines[0], /b\.yaml#1 .*duplicate policy: also defined at .*a\.yaml#1/);
    assert.match(lines[1], /b\.yaml#2 .*duplicate policy: also defined at .*b\.yaml#1/);
  });

  it("--output json", async () => {
    const f = join(tmp, "mixed.yaml");
    writeFileSync(f, GOOD + "---\n" + BAD);
    const r = await capture(() => validate.run(["--output", "json", f]));
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.equal(j.valid, false);
    assert.equal(j.documents, 2);
    assert.equal(j.errors, 1);
    assert.deepEqual(
      j.policies.map((p: { name: string }) => p.name),
      ["good"],
    );
    assert.equal(j.problems[0].path, "spec.process.matchPaths[0].path");
    assert.equal(j.problems[0].document, 2);
  });

  it("usage errors exit 2", async () => {
    for (const argv of [
      [],
      ["--bogus", EX],
      ["--output", "xml", EX],
      ["--output"],
      [join(tmp, "does-not-exist.yaml")],
    ]) {
      const r = await capture(() => validate.run(argv));
      assert.equal(r.code, 2, JSON.stringify(argv));
      assert.match(r.err, /^rampart validate: /);
    }
  });

  it("an unreadable path inside a directory walk is a problem, not a crash", async () => {
    const f = join(tmp, "dir.yaml");
    mkdirSync(f, { recursive: true }); // a directory named like a policy file: walked, contains nothing
    const r = await capture(() => validate.run([f]));
    assert.equal(r.code, 0);
  });

  it("help text documents every flag", () => {
    for (const flag of ["--strict", "--output", "--quiet", "--help", "Exit status"])
      assert.ok(validate.help.includes(flag), flag);
  });
});

describe("rampart explain", () => {
  const args = [
    "--policies",
    join(EX, "policies"),
    join(EX, "host"),
    "--workloads",
    join(EX, "workloads.yaml"),
  ];
  it("text: per container and host, policies, postures, state and rules", async () => {
    const r = await capture(() => explain.run(args));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^container multiubuntu\/ubuntu-1\/ubuntu-1-container \(Pod ubuntu-1\)$/m);
    assert.match(
      r.out,
      /^container shop\/nginx\/nginx \(Deployment nginx\)\n  state: enabled\n  postures: file=block network=audit capabilities=audit  allow-list: file=yes network=no capabilities=no$/m,
    );
    assert.match(r.out, /^host worker-3\n  state: audited$/m);
    assert.match(
      r.out,
      /Block process path \/bin\/sleep severity 7 {2}\[ksp multiubuntu\/block-sleep-group-1 spec\.process\.matchPaths\[0\]\]/,
    );
    assert.doesNotMatch(r.out, /kube-system/, "untracked namespaces are not listed");
    assert.match(r.err, /namespace multicontainer: kubearmor-network-posture: invalid posture "deny"/);
    assert.match(r.out, /\d+ container\(s\), 3 host\(s\), \d+ valid policies\n$/);
  });
  it("json: EffectivePolicy objects", async () => {
    const r = await capture(() => explain.run([...args, "--output", "json"]));
    assert.equal(r.code, 0);
    const j = JSON.parse(r.out);
    const c = j.effective.find(
      (e: { target: { pod?: string; container?: string } }) =>
        e.target.pod === "multicontainer" && e.target.container === "container-2",
    );
    assert.deepEqual(c.policies, []);
    const u3 = j.effective.find((e: { target: { pod?: string } }) => e.target.pod === "ubuntu-3");
    assert.equal(u3.state, "audited");
  });
  it("invalid policies are reported on stderr and make the exit code 1", async () => {
    const r = await capture(() =>
      explain.run(["--policies", join(EX, "invalid"), "--workloads", join(EX, "workloads.yaml")]),
    );
    assert.equal(r.code, 1);
    assert.match(r.err, /bad-paths\.yaml#1 \(KubeArmorPolicy default\/bad-paths\)/);
  });
  it("usage errors exit 2", async () => {
    for (const argv of [
      [],
      ["--policies", EX],
      ["--workloads", EX],
      ["stray"],
      ["--policies", "/nope", "--workloads", EX],
    ]) {
      const r = await capture(() => explain.run(argv));
      assert.equal(r.code, 2, JSON.stringify(argv));
    }
  });
  it("help text documents every flag", () => {
    for (const flag of ["--policies", "--workloads", "--strict", "--output", "--help"])
      assert.ok(explain.help.includes(flag), flag);
  });
});

describe("the real CLI process", () => {
  it("exit codes 0/1/2 and --help through enforcer/cli/main.ts", () => {
    const runCli = (...a: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "enforcer/cli/main.ts"), ...a], {
        cwd: ROOT,
        encoding: "utf8",
      });
    assert.equal(runCli("validate", join(EX, "policies")).status, 0);
    assert.equal(runCli("validate", join(EX, "invalid")).status, 1);
    assert.equal(runCli("validate").status, 2);
    const h = runCli("validate", "--help");
    assert.equal(h.status, 0);
    assert.match(h.stdout, /^Usage: rampart validate/);
  });
});
