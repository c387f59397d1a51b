// SPDX-License-Identifier: Apache-2.0
// The SELinux backend against the real `semodule`, on a copy of Debian's reference policy store
// (selinux-policy-default): the compiled host module must link into the real base policy, its
// file contexts must reach the store's file_contexts, updates replace it and removal takes it
// out. The host kernel has no SELinux, so the store is built without loading (`semodule -N`) and
// nothing is relabelled; test/vm/tests/daemon-selinux.sh loads, relabels and enforces in the VM.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { dir, effective, file, path, proc } from "../compilers/fixtures.js";
import type { EffectivePolicy } from "../model/types.js";
import type { WorkloadInput } from "../reconcile/types.js";
import { CompileError } from "./types.js";
import { SELINUX_MODULE, SELinuxBackend, ownType } from "./selinux.js";

const STORE = "/var/lib/selinux/default";
const POLICY = "/etc/selinux/default";
const skip = existsSync(STORE) && existsSync(POLICY) ? false : "selinux-policy-default is not installed";

const work = mkdtempSync(join(tmpdir(), "rampart-selinux-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A private copy of the reference policy root, so the real store is never touched. */
function policyRoot(): string {
  const root = join(work, "root");
  mkdirSync(join(root, "etc/selinux"), { recursive: true });
  mkdirSync(join(root, "var/lib/selinux"), { recursive: true });
  cpSync(STORE, join(root, "var/lib/selinux/default"), { recursive: true });
  cpSync(POLICY, join(root, "etc/selinux/default"), { recursive: true });
  for (const f of ["config", "semanage.conf"]) cpSync(`/etc/selinux/${f}`, join(root, "etc/selinux", f));
  return root;
}

/** The fixture's effective policy, attributed to one host policy (the backend loads nothing without one). */
const hostPolicy = (rules: Parameters<typeof effective>[0]): EffectivePolicy => ({
  ...effective(rules, { host: true }),
  policies: [{ kind: "KubeArmorHostPolicy", name: "demo" }],
});

const host: WorkloadInput = {
  kind: "host",
  id: "host:node-1",
  node: { name: "node-1", labels: {}, annotations: {} },
};
const fileContexts = (root: string) =>
  readFileSync(join(root, "etc/selinux/default/contexts/files/file_contexts"), "utf8");

test("ownType: the type field of /proc/self/attr/current, validated", () => {
  assert.equal(ownType("system_u:unconfined_r:unconfined_t:s0\0"), "unconfined_t");
  assert.equal(ownType("kernel"), undefined);
  assert.equal(ownType(null), undefined);
  assert.equal(ownType("u:r:bad type)(:s0"), undefined);
});

test("containers are refused with a reason; a host without policies loads nothing", () => {
  const b = new SELinuxBackend({ dir: join(work, "unused") });
  const ctr = { kind: "container", id: "container:ns/p/c" } as unknown as WorkloadInput;
  assert.throws(() => b.compile(hostPolicy([proc("Block", path("/bin/x"))]), ctr), CompileError);
  assert.equal(b.compile(effective([], { host: true }), host), null);
});

test(
  "install → list → update → remove against Debian's reference policy (real semodule)",
  { skip, timeout: 240_000 },
  async () => {
    const root = policyRoot();
    const b = new SELinuxBackend({
      dir: join(work, "state"),
      policyRoot: root,
      noReload: true,
      relabel: false,
    });
    assert.deepEqual(await b.list(), []);

    const v1 = b.compile(
      hostPolicy([
        proc("Block", dir("/opt/tools/", true)),
        file("Block", path("/etc/demo-secret"), { readOnly: true }),
        file("Allow", path("/etc/demo-key"), { fromSource: ["/usr/bin/head"] }),
        file("Block", path("/etc/demo-conf"), { fromSource: ["/usr/bin/head"] }),
        file("Audit", path("/etc/demo-audited")),
      ]),
      host,
    )!;
    assert.equal(v1.key, SELINUX_MODULE);
    const r1 = await b.apply(v1);
    assert.ok(r1.ok, r1.reason);
    assert.deepEqual(await b.list(), [{ key: SELINUX_MODULE, hash: v1.hash }]);
    const fc = fileContexts(root);
    assert.match(fc, /^\/opt\/tools\(\/\.\*\)\?\s+system_u:object_r:rampart_block_t:s0$/m);
    assert.match(fc, /^\/etc\/demo-secret\s+system_u:object_r:rampart_readonly_t:s0$/m);
    assert.match(fc, /^\/usr\/bin\/head\s+--\s+system_u:object_r:rampart_s0_exec_t:s0$/m);

    // An update is one replacing install: the old labels are gone, the new ones are there.
    const v2 = b.compile(hostPolicy([file("Block", path("/etc/demo-other"))]), host)!;
    assert.notEqual(v2.hash, v1.hash);
    const r2 = await b.apply(v2);
    assert.ok(r2.ok, r2.reason);
    assert.deepEqual(await b.list(), [{ key: SELINUX_MODULE, hash: v2.hash }]);
    assert.doesNotMatch(fileContexts(root), /demo-secret|rampart_s0_exec_t/);
    assert.match(fileContexts(root), /^\/etc\/demo-other\s+system_u:object_r:rampart_block_t:s0$/m);

    await b.remove({ key: SELINUX_MODULE, hash: v2.hash });
    assert.deepEqual(await b.list(), []);
    assert.doesNotMatch(fileContexts(root), /rampart_/);
  },
);

test(
  "a module the real base refuses is a Failed result, and the previous module stays",
  { skip, timeout: 240_000 },
  async () => {
    const root = join(work, "root");
    if (!existsSync(root)) policyRoot();
    const b = new SELinuxBackend({
      dir: join(work, "state-bad"),
      policyRoot: root,
      noReload: true,
      relabel: false,
    });
    const good = b.compile(hostPolicy([file("Block", path("/etc/demo-x"))]), host)!;
    assert.ok((await b.apply(good)).ok);
    const broken = {
      ...good,
      hash: "0".repeat(64),
      content: { cil: "(allow no_such_t self (file (read)))\n", paths: [], warnings: [] },
    };
    const r = await b.apply(broken);
    assert.equal(r.ok, false);
    assert.match(r.reason ?? "", /semodule rejected module rampart_host/);
    assert.deepEqual(await b.list(), [{ key: SELINUX_MODULE, hash: good.hash }]);
    await b.remove({ key: SELINUX_MODULE, hash: good.hash });
  },
);
