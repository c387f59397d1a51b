// SPDX-License-Identifier: Apache-2.0
// The AppArmor backend against the real apparmor_parser. The host kernel has no AppArmor, so the
// parser runs with --skip-kernel-load (full parse + compile, no load); test/vm/tests/daemon-apparmor.sh
// does the real load and enforcement inside the VM.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DEFAULTS, type EffectivePolicy } from "../model/types.js";
import type { WorkloadInput } from "../reconcile/types.js";
import { AppArmorBackend, profileFor } from "./apparmor.js";

let parserOk = true;
try {
  execFileSync("apparmor_parser", ["--version"], { stdio: "ignore" });
} catch {
  parserOk = false;
}
const skip = parserOk
  ? false
  : "apparmor_parser not installed (scripts/setup.sh installs the apparmor package)";

const dir = mkdtempSync(join(tmpdir(), "rampart-aa-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const eff = (deny: string[]): EffectivePolicy => ({
  target: { kind: "host", hostname: "h", labels: {} },
  state: "enabled",
  postures: DEFAULTS.hostPostures,
  allowList: { file: false, network: false, capabilities: false },
  visibility: DEFAULTS.hostVisibility,
  rules: [],
  apparmor: [],
  policies: [{ kind: "KubeArmorHostPolicy", name: "p" }],
  // test renderer input: stash the paths on the effective policy's apparmor snippets
  ...{ _deny: deny },
});
// A tiny renderer standing in for the compiler (whose own tests cover profile text); what is
// under test here is file handling, ownership and the parser round trip.
const render = (e: EffectivePolicy, name: string) =>
  `#include <tunables/global>\nprofile ${name} flags=(attach_disconnected,mediate_deleted) {\n  #include <abstractions/base>\n  file,\n${(e as unknown as { _deny: string[] })._deny.map(p => `  deny ${p} x,\n`).join("")}}\n`;

const host: WorkloadInput = { kind: "host", id: "host:h", node: { name: "h", labels: {}, annotations: {} } };
const ctr: WorkloadInput = {
  kind: "container",
  id: "container:ns/web-7c9/app",
  container: "app",
  pod: {
    namespace: "ns",
    name: "web-7c9",
    labels: {},
    annotations: {},
    owner: { kind: "Deployment", name: "web" },
    containers: [{ name: "app" }],
  },
  namespace: { name: "ns", labels: {}, annotations: {} },
};

test("profile names follow rampart-<ns>-<owner>-<container>; the host uses rampart.host", () => {
  assert.equal(profileFor(ctr), "rampart-ns-web-app");
  assert.equal(profileFor(host), "rampart.host");
});

test("apply → list → re-apply → remove with the real parser; foreign files untouched", { skip }, async () => {
  const be = new AppArmorBackend({ render, dir, skipKernelLoad: true });
  writeFileSync(join(dir, "someone-elses-profile"), "profile other {}\n");
  const a1 = be.compile(eff(["/usr/bin/sleep"]), host)!;
  assert.equal(a1.key, "rampart.host");
  const r1 = await be.apply(a1);
  assert.ok(r1.ok, r1.reason);
  assert.deepEqual(await be.list(), [{ key: "rampart.host", hash: a1.hash }]);
  const text = readFileSync(join(dir, "rampart.host"), "utf8");
  assert.match(text, /^# rampart-managed sha256=[0-9a-f]{64} profile=rampart\.host\n/);
  assert.match(text, /deny \/usr\/bin\/sleep x,/);

  // A changed policy gives a new hash; the file is replaced.
  const a2 = be.compile(eff(["/usr/bin/sleep", "/usr/bin/nc"]), host)!;
  assert.notEqual(a2.hash, a1.hash);
  assert.ok((await be.apply(a2)).ok);
  assert.deepEqual(await be.list(), [{ key: "rampart.host", hash: a2.hash }]);

  // A profile the parser rejects: Failed with the parser's message; the loaded one stays.
  const bad = be.compile(eff(["/usr/bin/sleep", "/oops x, } junk {"]), host)!;
  const r3 = await be.apply(bad);
  assert.equal(r3.ok, false);
  assert.match(r3.reason!, /apparmor_parser rejected profile rampart\.host: .*(syntax|error)/i);
  assert.deepEqual(await be.list(), [{ key: "rampart.host", hash: a2.hash }]);
  assert.deepEqual(
    readdirSync(dir).filter(f => f.startsWith(".")),
    [],
    "no temp files left behind",
  );

  await be.remove({ key: "rampart.host", hash: a2.hash });
  assert.deepEqual(await be.list(), []);
  // Never touches what it does not own, even when asked to.
  await be.remove({ key: "someone-elses-profile", hash: "x" });
  assert.ok(existsSync(join(dir, "someone-elses-profile")));
});

test(
  "container workloads always get a profile (pods annotated with it must find it loaded)",
  { skip },
  async () => {
    const be = new AppArmorBackend({ render, dir, skipKernelLoad: true });
    const none = { ...eff([]), policies: [] };
    assert.equal(be.compile(none, host), null);
    const a = be.compile(none, ctr)!;
    assert.equal(a.key, "rampart-ns-web-app");
    assert.ok((await be.apply(a)).ok);
    await be.remove({ key: a.key, hash: a.hash });
  },
);
