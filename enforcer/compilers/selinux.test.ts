// SPDX-License-Identifier: Apache-2.0
//
// SELinux compiler: CIL modules checked by Debian's real secilc against a minimal base policy
// (selinux-test-base.cil) that declares what refpolicy provides; labels, domains, limits.

import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSELinux, pathRegex } from "./selinux.js";
import { cap, dir, effective, file, path, pattern, proc } from "./fixtures.js";
import { secilcCheck } from "./testing-tools.js";

test("host module: labels, source domains, and secilc accepts it", () => {
  const p = effective(
    [
      proc("Block", path("/usr/bin/diff")),
      file("Block", path("/etc/shadow"), { readOnly: true }),
      file("Block", dir("/etc/secret/", true)),
      file("Audit", dir("/var/log/"), { readOnly: true }),
      proc("Block", path("/usr/bin/date"), { fromSource: ["/usr/bin/bash"] }),
      file("Allow", path("/etc/hostname"), { fromSource: ["/usr/bin/head"] }),
      file("Audit", path("/etc/hosts"), { fromSource: ["/home/user/bin/a.out"] }),
    ],
    { host: true },
  );
  const r = compileSELinux(p);
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  const m = r.value;
  assert.match(m.name, /^rampart_host_node_1_[0-9a-f]{8}$/);
  assert.match(m.cil, /\(filecon "\/usr\/bin\/diff" any \(system_u object_r rampart_block_t/);
  assert.match(m.cil, /\(filecon "\/etc\/secret\(\/\.\*\)\?" any \(system_u object_r rampart_block_t/);
  assert.match(m.cil, /\(filecon "\/etc\/shadow" any \(system_u object_r rampart_readonly_t/);
  assert.match(m.cil, /\(typetransition unconfined_t rampart_s0_exec_t process rampart_s0_t\)/);
  assert.match(m.cil, /\(filecon "\/usr\/bin\/bash" file \(system_u object_r rampart_s0_exec_t/);
  assert.ok(
    !/\(allow (?!rampart_relabeler )[a-z0-9_]+ rampart_block_t/.test(m.cil),
    "a Block type is granted to nobody but the relabeler",
  );
  // The relabeler (the daemon's domain, added by the backend) may only read and change labels.
  assert.match(
    m.cil,
    /\(allow rampart_relabeler rampart_block_t \(file \(getattr relabelfrom relabelto\)\)\)/,
  );
  assert.match(m.cil, /\(allow rampart_block_t filesystem_type \(filesystem \(associate\)\)\)/);
  assert.match(m.cil, /\(allow rampart_s1_t rampart_s1_allow_t \(file/);
  assert.ok(
    !/\(allow (unconfined_t|unconfined_domain_type) rampart_s1_allow_t/.test(m.cil),
    "only the source may use its allowed files",
  );
  assert.match(m.cil, /\(auditallow unconfined_domain_type rampart_audit_write_t \(file \(write/);
  // Block fromSource S: every unconfined domain but S keeps access (attribute expression).
  assert.match(
    m.cil,
    /\(typeattributeset rampart_not_s0 \(and \(unconfined_domain_type\) \(not \(rampart_s0_t\)\)\)\)/,
  );
  assert.match(m.cil, /\(allow rampart_not_s0 rampart_s0_block_t \(file/);
  assert.ok(!/\(allow rampart_s0_t rampart_s0_block_t/.test(m.cil), "the source itself is blocked");
  assert.match(m.fileContexts, /^\/home\/user\/bin\/a\\\.out\t--\tsystem_u:object_r:rampart_s2_exec_t:s0$/m);
  secilcCheck(m.cil);
});

test("relabel paths: where each labelled file, directory and source binary starts", () => {
  const r = compileSELinux(
    effective(
      [
        file("Audit", path("/usr/bin/passwd")),
        file("Block", dir("/etc/secret/", true)),
        file("Block", dir("/srv/data/")),
        file("Block", path("/tmp/a.txt"), { fromSource: ["/usr/bin/head"] }),
        file("Audit", dir("/", true)),
      ],
      { host: true },
    ),
  );
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  assert.deepEqual(r.value.relabelPaths, [
    "/",
    "/etc/secret",
    "/srv/data",
    "/tmp/a.txt",
    "/usr/bin/head",
    "/usr/bin/passwd",
  ]);
});

test("limits are reported, not silently dropped; containers are refused", () => {
  const p = effective(
    [
      file("Block", pattern("/etc/*hado?")),
      cap("Block", "net_raw"),
      file("Block", path("/x"), { ownerOnly: true }),
    ],
    { host: true },
  );
  const r = compileSELinux(p);
  assert.ok(r.ok);
  if (r.ok) {
    assert.deepEqual(r.warnings.map(w => w.code).sort(), ["not-enforced", "not-enforced", "owner-ignored"]);
    secilcCheck(r.value.cil);
  }
  const c = compileSELinux(effective([file("Block", path("/x"))]));
  assert.ok(!c.ok && c.errors[0]!.code === "host-only");
});

test("one label per file: conflicting decisions on one path are a compile error", () => {
  const r = compileSELinux(effective([file("Block", path("/x")), file("Audit", path("/x"))], { host: true }));
  assert.ok(!r.ok && r.errors[0]!.code === "conflicting-labels");
});

test("unsafe strings are refused; regex metacharacters are escaped", () => {
  for (const bad of ["/tmp/a b", '/tmp/a"b', "/tmp/a\nb", "/tmp/a\tb"]) {
    const r = compileSELinux(effective([file("Block", path(bad))], { host: true }));
    assert.ok(!r.ok && r.errors[0]!.code === "unsafe-string", bad);
  }
  assert.equal(
    pathRegex("/a.b/c+d/[x]/(y)/{z}/$|^*?\\"),
    "/a\\.b/c\\+d/\\[x\\]/\\(y\\)/\\{z\\}/\\$\\|\\^\\*\\?\\\\",
  );
  const r = compileSELinux(
    effective([file("Block", path("/a.b/c+d/(y)")), proc("Block", path("/usr/bin/x[1]"))], { host: true }),
  );
  assert.ok(r.ok);
  if (r.ok) secilcCheck(r.value.cil);
});
