// SPDX-License-Identifier: Apache-2.0
//
// Oracle table tests: KubeArmor's test scenarios (kubearmor-compat §20) at the decision level,
// plus the specificity, option and state rules of docs/compilers.md. Every case also runs through
// the BPF compiler + kernel-lookup model, so each scenario is checked on both sides.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { EffectivePolicy, Rule } from "../model/types.js";
import { decide, dirCovers, globAnchor, globMatches, type OracleEvent } from "./oracle.js";
import { cap, dir, effective, execname, file, net, path, pattern, proc } from "./fixtures.js";
import { compileBpf, decodeEntries, toBinary } from "./bpf/compile.js";
import { lookupModel } from "./bpf/lookup.js";

type Want = {
  verdict: "Allow" | "Audit" | "Block";
  rule?: Rule;
  posture?: "file" | "network" | "capabilities";
  wouldBlock?: boolean;
};

function check(policy: EffectivePolicy, ev: OracleEvent, want: Want, label: string) {
  const d = decide(policy, ev);
  assert.equal(d.verdict, want.verdict, `${label}: verdict (${d.reason})`);
  assert.equal(d.rule, want.rule, `${label}: rule (${d.reason})`);
  assert.equal(d.defaultPosture, want.posture, `${label}: posture`);
  assert.equal(d.wouldBlock ?? false, want.wouldBlock ?? false, `${label}: wouldBlock`);
  const res = compileBpf(policy);
  assert.ok(res.ok, `${label}: compiles to BPF`);
  if (!res.ok) return;
  const m = lookupModel(decodeEntries(toBinary(res.value)), ev);
  assert.equal(m.verdict, want.verdict, `${label}: BPF model verdict`);
  assert.equal(m.ruleId, want.rule ? policy.rules.indexOf(want.rule) + 1 : 0, `${label}: BPF model rule id`);
  assert.equal(m.defaultPosture, want.posture, `${label}: BPF model posture`);
}

const exec = (p: string, extra: Partial<OracleEvent> = {}): OracleEvent => ({
  operation: "process",
  path: p,
  ...extra,
});
const open = (p: string, extra: Partial<OracleEvent> = {}): OracleEvent => ({
  operation: "file",
  path: p,
  ...extra,
});
const root = { uid: 0, ownerUid: 1000 };
const user1 = { uid: 1000, ownerUid: 1000 };

test("§20 process scenarios (3, 4, 5, 6, 7, 11, 15)", () => {
  const sleep = proc("Block", path("/bin/sleep"));
  check(effective([sleep]), exec("/bin/sleep"), { verdict: "Block", rule: sleep }, "#3 block sleep");
  const audit = proc("Audit", path("/bin/sleep"));
  check(effective([audit]), exec("/bin/sleep"), { verdict: "Audit", rule: audit }, "#4 audit sleep");
  const sbin = proc("Block", dir("/sbin/"));
  check(effective([sbin]), exec("/sbin/route"), { verdict: "Block", rule: sbin }, "#5 dir");
  check(effective([sbin]), exec("/sbin/x/route"), { verdict: "Allow" }, "#5 dir is not recursive");
  const usr = proc("Block", dir("/usr/", true));
  check(effective([usr]), exec("/usr/bin/whoami"), { verdict: "Block", rule: usr }, "#6 recursive");
  const ls = proc("Block", path("/bin/ls"), { fromSource: ["/bin/dash"] });
  check(
    effective([ls]),
    exec("/bin/ls", { source: "/bin/dash" }),
    { verdict: "Block", rule: ls },
    "#7 from dash",
  );
  check(effective([ls]), exec("/bin/ls", { source: "/bin/bash" }), { verdict: "Allow" }, "#7 from bash");
  check(effective([ls]), exec("/bin/pwd", { source: "/bin/dash" }), { verdict: "Allow" }, "#7 pwd");
  const apt = proc("Block", execname("apt"));
  check(effective([apt]), exec("/usr/bin/apt"), { verdict: "Block", rule: apt }, "#11 execname");
  check(effective([apt]), exec("/usr/bin/apt-get"), { verdict: "Allow" }, "#11 execname is exact");
  // pts: true = only with a TTY; false = only without one (types.ts contract).
  const ptsRule = proc("Block", path("/bin/sleep"), { pts: true });
  check(
    effective([ptsRule]),
    exec("/bin/sleep", { tty: true }),
    { verdict: "Block", rule: ptsRule },
    "#15 pts with tty",
  );
  check(
    effective([ptsRule]),
    exec("/bin/sleep", { tty: false }),
    { verdict: "Allow" },
    "#15 pts without tty",
  );
});

test("§20 allow-list scenarios (8, 9, 10, 17, 27, 28) and default posture", () => {
  const bin = proc("Allow", dir("/bin/", true));
  const creds = file("Allow", dir("/credentials/", true));
  const libs = file("Allow", dir("/bin/", true));
  const p8 = effective([bin, creds, libs], { postures: { file: "block" } });
  check(p8, open("/etc/hostname"), { verdict: "Block", posture: "file" }, "#8 hostname");
  check(p8, open("/credentials/password"), { verdict: "Allow", rule: creds }, "#8 password");
  check(p8, exec("/usr/bin/id"), { verdict: "Block", posture: "file" }, "#8 process outside the list");
  const p8audit = effective([bin, creds, libs]);
  check(p8audit, open("/etc/hostname"), { verdict: "Audit", posture: "file" }, "#8 audit posture");

  const hello = proc("Allow", path("/home/user1/hello"), { ownerOnly: true });
  const p9 = effective([hello, bin], { postures: { file: "block" } });
  check(p9, exec("/home/user1/hello", root), { verdict: "Block", posture: "file" }, "#9 root");
  check(p9, exec("/home/user1/hello", user1), { verdict: "Allow", rule: hello }, "#9 user1");

  const helloBlock = proc("Block", path("/home/user1/hello"), { ownerOnly: true });
  check(
    effective([helloBlock]),
    exec("/home/user1/hello", root),
    { verdict: "Block", rule: helloBlock },
    "#10 root",
  );
  check(
    effective([helloBlock]),
    exec("/home/user1/hello", user1),
    { verdict: "Allow", rule: helloBlock },
    "#10 user1",
  );

  const secret = file("Allow", path("/secret.txt"), { fromSource: ["/bin/cat"] });
  const p17 = effective([secret], { postures: { file: "block" } });
  check(
    p17,
    open("/etc/hostname", { source: "/bin/cat" }),
    { verdict: "Block", posture: "file" },
    "#17 hostname",
  );
  check(p17, open("/secret.txt", { source: "/bin/cat" }), { verdict: "Allow", rule: secret }, "#17 secret");
  check(
    p17,
    open("/secret.txt", { source: "/bin/head" }),
    { verdict: "Block", posture: "file" },
    "#17 other source",
  );

  const pw = file("Allow", path("/credentials/password"), { readOnly: true });
  const p27 = effective([pw], { postures: { file: "block" } });
  check(
    p27,
    open("/credentials/password", { write: true }),
    { verdict: "Block", posture: "file" },
    "#27 write",
  );
  check(p27, open("/credentials/password"), { verdict: "Allow", rule: pw }, "#27 read");
});

test("§20 file scenarios (16, 18, 19, 20, 21, 22, 23, 24, 25, 33, 36)", () => {
  const host = file("Block", path("/etc/hostname"), { pts: true });
  check(effective([host]), open("/etc/hostname", { tty: true }), { verdict: "Block", rule: host }, "#16 tty");
  check(effective([host]), open("/etc/hostname"), { verdict: "Allow" }, "#16 no tty");
  const creds = file("Block", dir("/credentials/", true));
  check(effective([creds]), open("/credentials/password"), { verdict: "Block", rule: creds }, "#18");
  check(
    effective([creds]),
    open("/credentials"),
    { verdict: "Block", rule: creds },
    "#18 the directory itself",
  );
  const a19 = file("Audit", path("/secret.txt"), { fromSource: ["/bin/cat"] });
  check(
    effective([a19]),
    open("/secret.txt", { source: "/bin/cat" }),
    { verdict: "Audit", rule: a19 },
    "#19",
  );
  const a20 = file("Audit", dir("/credentials/", true));
  check(effective([a20]), open("/credentials/keys/priv.key"), { verdict: "Audit", rule: a20 }, "#20 deep");
  const r21 = file("Block", path("/home/user1/secret_data1.txt"), { ownerOnly: true, readOnly: true });
  const p21 = effective([r21]);
  check(p21, open("/home/user1/secret_data1.txt", root), { verdict: "Block", rule: r21 }, "#21 root read");
  check(p21, open("/home/user1/secret_data1.txt", user1), { verdict: "Allow", rule: r21 }, "#21 user1 read");
  check(
    p21,
    open("/home/user1/secret_data1.txt", { ...user1, write: true }),
    { verdict: "Block", rule: r21 },
    "#21 user1 write",
  );
  check(
    p21,
    open("/home/user1/secret_data1.txt", { ...root, write: true }),
    { verdict: "Block", rule: r21 },
    "#21 root write",
  );
  const r22 = file("Block", path("/credentials/password"), { readOnly: true });
  check(
    effective([r22]),
    open("/credentials/password", { write: true }),
    { verdict: "Block", rule: r22 },
    "#22 write",
  );
  check(effective([r22]), open("/credentials/password"), { verdict: "Allow" }, "#22 read");
  const r23 = file("Audit", dir("/dev/shm/"), { readOnly: true });
  check(
    effective([r23]),
    open("/dev/shm/new", { write: true }),
    { verdict: "Audit", rule: r23 },
    "#23 write",
  );
  check(effective([r23]), open("/dev/shm/new"), { verdict: "Allow" }, "#23 read");
  const r24 = file("Block", pattern("/etc/*hado?"));
  check(effective([r24]), open("/etc/shadow"), { verdict: "Block", rule: r24 }, "#24 shadow");
  check(effective([r24]), open("/etc/gshadow"), { verdict: "Block", rule: r24 }, "#24 gshadow");
  check(effective([r24]), open("/etc/passwd"), { verdict: "Allow" }, "#24 passwd");
  const r25 = file("Block", dir("/run/secrets/", true));
  check(
    effective([r25]),
    open("/run/secrets/kubernetes.io/serviceaccount/token"),
    { verdict: "Block", rule: r25 },
    "#25",
  );
  const r36 = file("Block", dir("/dev/shm/", true), { readOnly: true });
  check(
    effective([r36]),
    open("/dev/shm/new", { write: true }),
    { verdict: "Block", rule: r36 },
    "#36 write",
  );
  check(effective([r36]), open("/dev/shm/a/b"), { verdict: "Allow" }, "#36 read");
});

test("§20 #34 lenient allow: source-specific directory beats the global deny", () => {
  const sa = "/run/secrets/kubernetes.io/serviceaccount/";
  const deny = file("Block", dir(sa, true));
  const all = file("Allow", dir("/", true));
  const catOnly = file("Allow", dir(sa, true), { fromSource: ["/bin/cat"] });
  const procAll = proc("Allow", dir("/", true));
  const p = effective([deny, all, catOnly, procAll]);
  check(p, open(sa + "token", { source: "/usr/bin/head" }), { verdict: "Block", rule: deny }, "head token");
  check(p, open(sa + "token", { source: "/bin/cat" }), { verdict: "Allow", rule: catOnly }, "cat token");
  check(p, open("/etc/passwd", { source: "/bin/cat" }), { verdict: "Allow", rule: all }, "cat passwd");
  check(p, open("/etc/passwd", { source: "/usr/bin/head" }), { verdict: "Allow", rule: all }, "head passwd");
});

test("§20 network and capability scenarios (1, 2, 42, 43, 45)", () => {
  const raw = cap("Block", "net_raw");
  check(
    effective([raw]),
    { operation: "capability", capability: "net_raw" },
    { verdict: "Block", rule: raw },
    "#1",
  );
  const raw2 = cap("Block", "net_raw", { fromSource: ["/usr/sbin/arping"] });
  check(
    effective([raw2]),
    { operation: "capability", capability: "net_raw", source: "/usr/sbin/arping" },
    { verdict: "Block", rule: raw2 },
    "#2 arping",
  );
  check(
    effective([raw2]),
    { operation: "capability", capability: "net_raw", source: "/bin/ping" },
    { verdict: "Allow" },
    "#2 ping",
  );
  const icmp = net("Audit", "icmp");
  check(
    effective([icmp]),
    { operation: "network", sockType: "dgram", protocol: "icmp" },
    { verdict: "Audit", rule: icmp },
    "#42",
  );
  const rawNet = net("Block", "raw");
  check(
    effective([rawNet]),
    { operation: "network", sockType: "raw", protocol: "icmp" },
    { verdict: "Block", rule: rawNet },
    "#43 raw",
  );
  check(
    effective([rawNet]),
    { operation: "network", sockType: "stream", protocol: "tcp" },
    { verdict: "Allow" },
    "#43 tcp passes",
  );
  const allNet = net("Block", "all");
  check(
    effective([allNet]),
    { operation: "network", sockType: "dgram", protocol: "icmp" },
    { verdict: "Block", rule: allNet },
    "#43 all",
  );
  const tcp = net("Allow", "tcp", { fromSource: ["/usr/bin/curl"] });
  const p45 = effective([tcp], { postures: { network: "block" } });
  check(
    p45,
    { operation: "network", sockType: "stream", protocol: "tcp", source: "/usr/bin/curl" },
    { verdict: "Allow", rule: tcp },
    "#45 tcp",
  );
  check(
    p45,
    { operation: "network", sockType: "dgram", protocol: "udp", source: "/usr/bin/curl" },
    { verdict: "Block", posture: "network" },
    "#45 udp",
  );
});

test("§20 #52 host scenarios", () => {
  const diff = proc("Block", path("/usr/bin/diff"));
  const date = proc("Block", path("/usr/bin/date"), { fromSource: ["/usr/bin/bash"] });
  const hn = file("Allow", path("/etc/hostname"), { fromSource: ["/usr/bin/head"] });
  const p = effective([diff, date, hn], { host: true, postures: { file: "block" } });
  check(p, exec("/usr/bin/diff", { source: "/usr/bin/bash" }), { verdict: "Block", rule: diff }, "diff");
  check(
    p,
    exec("/usr/bin/date", { source: "/usr/bin/bash" }),
    { verdict: "Block", rule: date },
    "date from bash",
  );
  check(
    p,
    open("/etc/hostname", { source: "/usr/bin/head" }),
    { verdict: "Allow", rule: hn },
    "head hostname",
  );
  check(
    p,
    open("/etc/hosts", { source: "/usr/bin/head" }),
    { verdict: "Block", posture: "file" },
    "head hosts",
  );
});

test("specificity: exact > execname > deeper glob/dir > shallower; source class first; Block wins a tie", () => {
  const dirBlock = file("Block", dir("/a/", true));
  const exactAllow = file("Allow", path("/a/b/c"));
  const deeperAllow = file("Allow", dir("/a/b/", true));
  const p = effective([dirBlock, exactAllow, deeperAllow]);
  check(p, open("/a/b/c"), { verdict: "Allow", rule: exactAllow }, "exact beats dir");
  check(p, open("/a/b/d"), { verdict: "Allow", rule: deeperAllow }, "deeper dir beats shallower");
  check(p, open("/a/x"), { verdict: "Block", rule: dirBlock }, "only the shallow dir");
  const srcDir = file("Audit", dir("/", true), { fromSource: ["/bin/cat"] });
  const p2 = effective([exactAllow, srcDir]);
  check(p2, open("/a/b/c", { source: "/bin/cat" }), { verdict: "Audit", rule: srcDir }, "source class first");
  const allow = file("Allow", path("/x"));
  const block = file("Block", path("/x"));
  check(
    effective([allow, block]),
    open("/x"),
    { verdict: "Block", rule: block },
    "Block beats Allow on one key",
  );
  const a1 = file("Audit", path("/x"));
  const a2 = file("Audit", path("/x"));
  check(effective([a1, a2]), open("/x"), { verdict: "Audit", rule: a1 }, "tie keeps the first rule");
  const glob = file("Allow", pattern("/a/*.txt"));
  const p3 = effective([dirBlock, glob]);
  check(p3, open("/a/x.txt"), { verdict: "Allow", rule: glob }, "glob on /a/ beats dir /a/");
  check(p3, open("/a/b/x.txt"), { verdict: "Block", rule: dirBlock }, "* does not cross /");
  const deepGlob = file("Block", pattern("/**/secret"));
  const p4 = effective([deeperAllow, deepGlob]);
  check(
    p4,
    open("/a/b/secret"),
    { verdict: "Allow", rule: deeperAllow },
    "a glob anchored at / is less specific than /a/b/",
  );
  check(p4, open("/c/d/secret"), { verdict: "Block", rule: deepGlob }, "** crosses /");
  const readOnlyAllow = file("Allow", path("/a/b/c"), { readOnly: true });
  const wideAllow = file("Allow", dir("/a/", true));
  check(
    effective([readOnlyAllow, wideAllow], { postures: { file: "block" } }),
    open("/a/b/c", { write: true }),
    { verdict: "Allow", rule: wideAllow },
    "a rule that does not apply falls through",
  );
});

test("one directory, recursive and not: one map entry, near and far slots", () => {
  const near = file("Block", dir("/a/"));
  const far = file("Allow", dir("/a/", true));
  const p = effective([near, far]);
  check(p, open("/a/x"), { verdict: "Block", rule: near }, "direct child: Block beats Allow");
  check(p, open("/a/b/c"), { verdict: "Allow", rule: far }, "deeper: only the recursive rule");
  const r = compileBpf(p);
  assert.ok(r.ok && r.value.rules.length === 1, "a single FILE_DIR entry");
});

test("policy state: audited reports Audit (Block); disabled keeps only Audit rules", () => {
  const block = file("Block", path("/x"));
  const audit = file("Audit", dir("/", true));
  const allow = file("Allow", path("/y"));
  const pa = effective([block, audit, allow], { state: "audited", postures: { file: "block" } });
  check(pa, open("/x"), { verdict: "Audit", rule: block, wouldBlock: true }, "audited block");
  check(pa, open("/z"), { verdict: "Audit", rule: audit }, "audited audit");
  const pa2 = effective([allow], { state: "audited", postures: { file: "block" } });
  check(pa2, open("/z"), { verdict: "Audit", posture: "file", wouldBlock: true }, "audited posture");
  const pd = effective([block, audit, allow], { state: "disabled", postures: { file: "block" } });
  check(pd, open("/x"), { verdict: "Audit", rule: audit }, "disabled: the Block rule is gone");
  check(pd, open("/y"), { verdict: "Audit", rule: audit }, "disabled: no allow-list");
  const pd2 = effective([block, allow], { state: "disabled", postures: { file: "block" } });
  check(pd2, open("/z"), { verdict: "Allow" }, "disabled: no posture");
});

test("fail closed on a path the kernel could not resolve", () => {
  const block = file("Block", path("/x"));
  check(effective([block]), open("/very/long", { truncated: true }), { verdict: "Block" }, "truncated");
  check(
    effective([proc("Block", path("/x"))]),
    open("/very/long", { truncated: true }),
    { verdict: "Allow" },
    "no file rules",
  );
});

test("long and deep paths: no 64-character or 20-component holes; capacity ≥ 4,096 rules", () => {
  const deepDir = "/" + Array.from({ length: 250 }, (_, i) => `level${i}`).join("/") + "/";
  assert.ok(deepDir.length > 2000);
  const r = file("Block", dir(deepDir, true));
  const p = effective([r, file("Allow", dir("/", true))]);
  check(p, open(deepDir + "a/b/secret"), { verdict: "Block", rule: r }, "deep recursive dir");
  check(
    p,
    open(deepDir.slice(0, -1) + "x/y"),
    { verdict: "Allow", rule: p.rules[1] },
    "sibling of the deep dir",
  );
  const longName = "/data/" + "n".repeat(3900);
  const exact = file("Audit", path(longName));
  check(effective([exact]), open(longName), { verdict: "Audit", rule: exact }, "3,906-byte exact path");
  // 5,000 rules in one container: every one is its own entry and decides its own path.
  const many = Array.from({ length: 5000 }, (_, i) => file(i % 2 ? "Block" : "Audit", path(`/srv/f${i}`)));
  const big = effective(many);
  const res = compileBpf(big);
  assert.ok(res.ok && res.value.rules.length === 5000);
  for (const i of [0, 1, 2047, 4096, 4999])
    check(big, open(`/srv/f${i}`), { verdict: i % 2 ? "Block" : "Audit", rule: many[i] }, `rule ${i}`);
});

test("helpers: dirCovers, globAnchor, globMatches", () => {
  assert.ok(dirCovers("/a/", false, "/a/b"));
  assert.ok(dirCovers("/a/", false, "/a"));
  assert.ok(!dirCovers("/a/", false, "/a/b/c"));
  assert.ok(dirCovers("/a/", true, "/a/b/c"));
  assert.ok(dirCovers("/", false, "/x"));
  assert.ok(dirCovers("/", false, "/"));
  assert.ok(!dirCovers("/a/", true, "/ab"));
  assert.equal(globAnchor("/etc/*hado?"), "/etc/");
  assert.equal(globAnchor("/**/apt"), "/");
  assert.equal(globAnchor("/usr/lib/x[0-9]/y"), "/usr/lib/");
  assert.ok(globMatches("/etc/[^a]x", "/etc/bx"));
  assert.ok(!globMatches("/etc/[^a]x", "/etc/ax"));
  assert.ok(!globMatches("/etc/?x", "/etc//x"));
  assert.ok(globMatches("/{a,b}/c", "/b/c"));
  assert.ok(globMatches("/é?", "/é\u00e9".slice(0, 2) + "x"));
});
