// SPDX-License-Identifier: Apache-2.0
//
// AppArmor compiler: the §14.3 mapping table line by line, fromSource child profiles (§21.2
// fixes), injection attempts, and acceptance of every generated profile by the real
// apparmor_parser (--skip-kernel-load: the host kernel has no AppArmor).

import { test } from "node:test";
import assert from "node:assert/strict";
import type { EffectivePolicy } from "../model/types.js";
import { compileAppArmor, type AppArmorProfile } from "./apparmor.js";
import { cap, dir, effective, execname, file, net, path, pattern, proc } from "./fixtures.js";
import { generateCases } from "./bpf/cases.js";
import { apparmorParse, POST, structure } from "./testing-tools.js";

function compile(policy: EffectivePolicy): AppArmorProfile {
  const r = compileAppArmor(policy);
  if (!r.ok) assert.fail(JSON.stringify(r.errors));
  return r.value;
}

function rulesOf(p: AppArmorProfile, profile = p.name): string[] {
  return structure(p)
    .get(profile)!
    .filter(l => !POST.has(l) && l !== "#include <abstractions/base>");
}

test("§14.3 mapping table, line by line", () => {
  const P = "/etc/shadow";
  const table: Array<
    [
      ReturnType<typeof file> | ReturnType<typeof proc> | ReturnType<typeof net> | ReturnType<typeof cap>,
      string[],
    ]
  > = [
    [file("Block", path(P)), [`deny "${P}" klmrw,`]],
    [file("Block", path(P), { readOnly: true }), [`deny "${P}" klw,`]],
    [file("Block", path(P), { ownerOnly: true }), [`owner "${P}" klmrw,`, `deny other "${P}" klmrw,`]],
    [
      file("Block", path(P), { readOnly: true, ownerOnly: true }),
      [`deny owner "${P}" klw,`, `deny other "${P}" klmrw,`],
    ],
    [file("Allow", path(P)), [`"${P}" klmrw,`]],
    [file("Allow", path(P), { readOnly: true }), [`"${P}" klr,`]],
    [file("Allow", path(P), { ownerOnly: true }), [`owner "${P}" klmrw,`]],
    [file("Allow", path(P), { readOnly: true, ownerOnly: true }), [`owner "${P}" klr,`]],
    [file("Block", pattern("/etc/*hado?")), [`deny "/etc/*hado?" klmrw,`]],
    [file("Block", dir("/credentials/", true)), [`deny "/credentials/{,**}" klmrw,`]],
    [file("Block", dir("/credentials/")), [`deny "/credentials/{,*}" klmrw,`]],
    [proc("Block", path("/bin/sleep")), [`deny "/bin/sleep" x,`]],
    [
      proc("Block", path("/bin/sleep"), { ownerOnly: true }),
      [`owner "/bin/sleep" ix,`, `deny other "/bin/sleep" x,`],
    ],
    [proc("Block", execname("apt")), [`deny "/**/apt" x,`]],
    [proc("Allow", path("/bin/sh")), [`"/bin/sh" ix,`]],
    [proc("Allow", path("/bin/sh"), { ownerOnly: true }), [`owner "/bin/sh" ix,`]],
    [proc("Allow", dir("/bin/")), [`"/bin/{,*}" ix,`]],
    [proc("Allow", dir("/bin/", true)), [`"/bin/{,**}" ix,`]],
    [proc("Allow", pattern("/usr/bin/*")), [`"/usr/bin/*" ix,`]], // §21.2: process Allow patterns grant
    [net("Block", "raw"), ["deny network raw,"]],
    [net("Allow", "tcp"), ["network tcp,"]],
    [net("Block", "all"), ["deny network,"]],
    [net("Allow", "icmpv6"), ["network icmp,"]],
    [cap("Block", "net_raw"), ["deny capability net_raw,"]], // §21.2: one line
    [cap("Allow", "net_bind_service"), ["capability net_bind_service,"]],
    [file("Audit", path(P)), []],
    [proc("Audit", path("/bin/sleep")), []],
    [net("Audit", "icmp"), []],
  ];
  for (const [rule, want] of table) {
    // Blacklist mode for Block/Audit rows; for Allow rows the header stays (posture audit).
    const p = compile(effective([rule]));
    const got = rulesOf(p).filter(l => !["file,", "network,", "capability,"].includes(l));
    assert.deepEqual(
      got,
      want,
      `${rule.category} ${rule.action} ${JSON.stringify("match" in rule ? rule.match : rule)}`,
    );
    apparmorParse(p.text);
  }
});

test("allow-list headers: dropped only when the category has an Allow rule and posture block", () => {
  const rules = [file("Allow", path("/x")), net("Allow", "tcp"), cap("Allow", "chown")];
  assert.deepEqual(rulesOf(compile(effective(rules))).slice(0, 3), ["file,", "network,", "capability,"]);
  const blocked = rulesOf(
    compile(effective(rules, { postures: { file: "block", network: "block", capabilities: "block" } })),
  );
  for (const h of ["file,", "network,", "capability,"]) assert.ok(!blocked.includes(h), h);
  const onlyFile = rulesOf(
    compile(effective([file("Allow", path("/x"))], { postures: { file: "block", network: "block" } })),
  );
  assert.ok(
    !onlyFile.includes("file,") && onlyFile.includes("network,"),
    "network has no Allow rule: blacklist mode",
  );
});

test("fromSource: child profiles inherit the allow-list headers and the global rules (§21.2 fix)", () => {
  const secret = file("Allow", path("/secret.txt"), { fromSource: ["/bin/cat"] });
  const deny = file("Block", path("/etc/shadow"));
  const blockNc = net("Block", "all", { fromSource: ["/usr/bin/nc"] });
  const allowCat = proc("Allow", path("/bin/cat"));
  const p = compile(
    effective([secret, deny, blockNc, allowCat, net("Allow", "tcp")], {
      postures: { file: "block", network: "block", capabilities: "block" },
    }),
  );
  const s = structure(p);
  const main = s.get(p.name)!;
  assert.ok(!main.includes("file,") && !main.includes("network,"), "main profile is an allow-list");
  assert.ok(main.includes("capability,"), "capabilities have no Allow rule");
  assert.ok(main.some(l => /^"\/bin\/cat" cx -> src_cat_[0-9a-f]{8},$/.test(l)));
  assert.ok(
    !main.includes('"/bin/cat" ix,'),
    "the transition replaces the ix grant (no conflicting x modifiers)",
  );
  const cat = s.get(`${p.name}//${p.children.find(c => c.startsWith("src_cat_"))}`)!;
  assert.ok(
    !cat.includes("file,") && !cat.includes("network,"),
    "child keeps the container's allow-list (no escape)",
  );
  assert.ok(
    cat.includes('"/secret.txt" klmrw,') &&
      cat.includes('deny "/etc/shadow" klmrw,') &&
      cat.includes('"/bin/cat" rix,'),
  );
  assert.ok(cat.includes("network tcp,"), "global grants are inherited");
  const nc = s.get(`${p.name}//${p.children.find(c => c.startsWith("src_nc_"))}`)!;
  assert.ok(
    nc.includes("deny network,") && !nc.includes("file,"),
    "nc: its own deny plus inherited allow-list",
  );
  assert.ok(
    nc.some(l => l.startsWith('"/bin/cat" px -> ')),
    "sibling transitions",
  );
  assert.deepEqual(apparmorParse(p.text).sort(), [p.name, ...p.children.map(c => `${p.name}//${c}`)].sort());
});

test("a source-specific rule overrides the global rule for the same resource in its child", () => {
  const sa = "/run/secrets/kubernetes.io/serviceaccount/";
  const p = compile(
    effective([
      file("Block", dir(sa, true)),
      file("Allow", dir("/", true)),
      file("Allow", dir(sa, true), { fromSource: ["/bin/cat"] }),
      proc("Allow", dir("/", true)),
    ]),
  );
  const s = structure(p);
  const cat = s.get(`${p.name}//${p.children[0]}`)!;
  assert.ok(cat.includes(`"${sa}{,**}" klmrw,`) && !cat.includes(`deny "${sa}{,**}" klmrw,`));
  assert.ok(s.get(p.name)!.includes(`deny "${sa}{,**}" klmrw,`));
  apparmorParse(p.text);
});

test("policy state audited / disabled: an allow-all profile with the baseline only", () => {
  for (const state of ["audited", "disabled"] as const) {
    const p = compile(
      effective([file("Block", path("/x")), file("Allow", path("/y"))], {
        state,
        postures: { file: "block" },
      }),
    );
    const r = rulesOf(p);
    assert.deepEqual(r, [
      "file,",
      "network,",
      "capability,",
      `# policy state ${state}: nothing is enforced by AppArmor`,
    ]);
    apparmorParse(p.text);
  }
});

test("host profile attaches to shells and is named rampart.host", () => {
  const p = compile(effective([proc("Block", path("/usr/bin/diff"))], { host: true }));
  assert.equal(p.name, "rampart.host");
  assert.match(p.text, /^profile rampart\.host \/\{usr\/,\}bin\/\*sh flags=/m);
  assert.deepEqual(apparmorParse(p.text), ["rampart.host"]);
});

test("deterministic output with its sha256 in the header", async () => {
  const { createHash } = await import("node:crypto");
  const policy = effective([
    file("Block", path("/a")),
    proc("Allow", dir("/bin/", true), { fromSource: ["/bin/sh"] }),
  ]);
  const a = compile(policy);
  const b = compile(policy);
  assert.equal(a.text, b.text);
  const body = a.text.slice(a.text.indexOf("#include <tunables/global>"));
  assert.equal(createHash("sha256").update(body).digest("hex"), a.sha256);
  assert.ok(a.text.includes(`# rampart-sha256: ${a.sha256}`));
});

test("injection: policy strings never add a rule or a profile", () => {
  const evil = [
    "/tmp/x, /etc/shadow rw",
    "/tmp/x,\n/etc/shadow rw",
    '/tmp/x" rw,\n  /etc/shadow rw, "',
    "/tmp/a} profile evil { file,",
    "/tmp/#include <abstractions/evil>",
    "/tmp/x -> px",
    "/tmp/x px -> unconfined,",
    "/tmp/{,**}",
    "/tmp/@{HOME}",
    "/tmp/x\\",
    "/tmp/\u0000null",
    "/tmp/\r",
    "/tmp/}",
    "/tmp/a\\",
    "/tmp/a\\\\",
    '/tmp/a\\"',
  ];
  let rejected = 0;
  let quoted = 0;
  for (const s of evil) {
    for (const mk of [
      () => file("Block", path(s)),
      () => file("Allow", dir(s.endsWith("/") ? s : s + "/", true)),
      () => proc("Block", path(s)),
      () => file("Allow", path("/ok"), { fromSource: [s] }),
      () => proc("Block", execname(s.replace(/\//g, ""))),
      () => file("Block", pattern(s)),
    ]) {
      const rule = mk();
      const r = compileAppArmor(effective([rule]));
      if (!r.ok) {
        rejected++;
        assert.ok(
          r.errors.every(e => e.code === "unsafe-string" && e.origin === rule.origin),
          JSON.stringify(r.errors),
        );
        continue;
      }
      quoted++;
      const st = structure(r.value); // every line is a known single-rule form
      const ruleLines = [...st.values()]
        .flat()
        .filter(
          l =>
            !POST.has(l) && !/^(file|network|capability),$/.test(l) && l !== "#include <abstractions/base>",
        );
      // One rule (two for ownerOnly forms / a source child) and nothing else.
      assert.ok(ruleLines.length <= 4, `${JSON.stringify(s)} produced ${JSON.stringify(ruleLines)}`);
      const names = apparmorParse(r.value.text);
      assert.deepEqual(
        names.sort(),
        [r.value.name, ...r.value.children.map(c => `${r.value.name}//${c}`)].sort(),
        JSON.stringify(s),
      );
    }
  }
  assert.ok(rejected > 10 && quoted > 10, `${rejected} rejected, ${quoted} quoted`);
});

test("injection through spec.apparmor is refused", () => {
  const bad = [
    "deny /x rw, } profile evil { file,",
    "/x rw, }",
    "/x rw,\n}\nprofile e {",
    "deny /x r, # }",
    "/x px -> unconfined,",
    "/x {rw,",
  ];
  for (const text of bad) {
    const p = effective([]);
    p.apparmor = [
      { origin: { kind: "KubeArmorPolicy", name: "n", namespace: "d", path: "spec.apparmor" }, text },
    ];
    const r = compileAppArmor(p);
    assert.ok(!r.ok, `accepted ${JSON.stringify(text)}`);
  }
  const ok = effective([]);
  ok.apparmor = [
    {
      origin: { kind: "KubeArmorPolicy", name: "n", namespace: "d", path: "spec.apparmor" },
      text: "deny /etc/{*,**} rw,",
    },
  ];
  const r = compileAppArmor(ok);
  assert.ok(r.ok);
  if (r.ok) {
    assert.ok(r.value.text.includes("  deny /etc/{*,**} rw,"));
    apparmorParse(r.value.text);
  }
});

test("apparmor_parser accepts the profiles of 80 generated policies", () => {
  const cases = generateCases(77, 80, 1);
  for (const c of cases) {
    const r = compileAppArmor(c.policy);
    if (!r.ok) assert.fail(JSON.stringify(r.errors));
    structure(r.value);
    const names = apparmorParse(r.value.text);
    assert.deepEqual(
      names.sort(),
      [r.value.name, ...r.value.children.map(c => `${r.value.name}//${c}`)].sort(),
    );
  }
});
