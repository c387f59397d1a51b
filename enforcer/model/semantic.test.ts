// SPDX-License-Identifier: Apache-2.0
//
// Every semantic rule (checks the schema cannot express), table-driven, plus the one-line
// problem format and "every problem of a document is reported".

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkAppArmorText, checkPattern, checkSafePath } from "./strings.js";
import { check, describeProblems, policy, type Obj } from "./test-helpers.js";
import { formatProblem, validateText } from "./validate.js";
import type { PolicyKind } from "./types.js";

const KSP: PolicyKind = "KubeArmorPolicy";
const HSP: PolicyKind = "KubeArmorHostPolicy";
const proc = (rule: Obj): Obj => ({ process: { matchPaths: [rule] } });
const fileP = (path: string): Obj => ({ file: { matchPaths: [{ path }] } });
const pat = (pattern: string): Obj => ({ file: { matchPatterns: [{ pattern }] } });

type Case = [string, PolicyKind, Obj, "ok" | { path: string; re: RegExp; level?: "error" | "warning" }];
const E = (path: string, re: RegExp): { path: string; re: RegExp } => ({ path, re });
const W = (path: string, re: RegExp): { path: string; re: RegExp; level: "warning" } => ({
  path,
  re,
  level: "warning",
});

const CASES: Case[] = [
  // unknown names after comma expansion (the CRD patterns are only end-anchored)
  [
    "xtcp passes the schema pattern but is not a protocol",
    KSP,
    { network: { matchProtocols: [{ protocol: "xtcp" }] } },
    E("spec.network.matchProtocols[0].protocol", /unknown protocol "xtcp"/),
  ],
  [
    "protocol list with an unknown member",
    KSP,
    { network: { matchProtocols: [{ protocol: "bogus,tcp" }] } },
    E("spec.network.matchProtocols[0].protocol", /unknown protocol "bogus"/),
  ],
  [
    "protocol list with an empty member",
    KSP,
    { network: { matchProtocols: [{ protocol: ",tcp" }] } },
    E("spec.network.matchProtocols[0].protocol", /empty item/),
  ],
  ["protocol list with spaces", KSP, { network: { matchProtocols: [{ protocol: "udp, tcp" }] } }, "ok"],
  [
    "cap_net_raw passes the pattern but has the cap_ prefix",
    KSP,
    { capabilities: { matchCapabilities: [{ capability: "cap_net_raw" }] } },
    E("spec.capabilities.matchCapabilities[0].capability", /no cap_ prefix/),
  ],
  [
    "capability list with an unknown member",
    KSP,
    { capabilities: { matchCapabilities: [{ capability: "foo,net_raw" }] } },
    E("spec.capabilities.matchCapabilities[0].capability", /unknown capability "foo"/),
  ],
  [
    "xnet_raw",
    KSP,
    { capabilities: { matchCapabilities: [{ capability: "xnet_raw" }] } },
    E("spec.capabilities.matchCapabilities[0].capability", /unknown capability/),
  ],
  // HSP fromSource
  [
    "HSP network rule with empty fromSource",
    HSP,
    { network: { matchProtocols: [{ protocol: "tcp", fromSource: [] }] } },
    E("spec.network.matchProtocols[0].fromSource", /at least one source binary/),
  ],
  [
    "HSP capability rule with empty fromSource",
    HSP,
    { capabilities: { matchCapabilities: [{ capability: "net_raw", fromSource: [] }] } },
    E("spec.capabilities.matchCapabilities[0].fromSource", /at least one source binary/),
  ],
  [
    "HSP network rule without fromSource: clear message",
    HSP,
    { network: { matchProtocols: [{ protocol: "tcp" }] } },
    E("spec.network.matchProtocols[0].fromSource", /must name the source binaries/),
  ],
  // process matchPaths path xor execname
  [
    "matchPaths entry with neither path nor execname",
    KSP,
    proc({ ownerOnly: true }),
    E("spec.process.matchPaths[0]", /either path or execname/),
  ],
  [
    "matchPaths entry with both",
    KSP,
    proc({ path: "/bin/ls", execname: "ls" }),
    E("spec.process.matchPaths[0]", /only one of path and execname/),
  ],
  [
    "fromSource entry without path",
    KSP,
    proc({ path: "/bin/ls", fromSource: [{}] }),
    E("spec.process.matchPaths[0].fromSource[0].path", /required/),
  ],
  // unsafe characters in paths
  ...(
    [
      ["/etc/a b", /spaces/],
      ["/etc/a\tb", /control/],
      ["/etc/a\nb", /control/],
      ["/etc/a\u0000b", /control/],
      ["/etc/caf\u00e9", /printable ASCII/],
      ['/etc/a"b', /double quote/],
      ["/etc/a'b", /single quote/],
      ["/etc/a,b", /comma/],
      ["/etc/{a,b}", /'\{'/],
      ["/etc/a}", /'\}'/],
      ["/etc/[ab]", /'\['/],
      ["/etc/a]", /'\]'/],
      ["/etc/#a", /'#'/],
      ["/etc/^a", /'\^'/],
      ["/etc/a\\b", /backslash/],
      ["/etc/*", /'\*'.*matchPatterns/],
      ["/etc/pass?d", /'\?'/],
      ["/etc/`id`", /backquote/],
      ["/etc/../shadow", /'\.\.'/],
      ["/etc/./shadow", /'\.'/],
      ["/etc//shadow", /'\/\/'/],
      ["/a->b", /->/],
    ] as Array<[string, RegExp]>
  ).map(
    ([path, re]): Case => [
      `file path ${JSON.stringify(path)}`,
      KSP,
      fileP(path),
      E("spec.file.matchPaths[0].path", re),
    ],
  ),
  ["file path with dots inside a name is fine", KSP, fileP("/etc/ld.so.cache"), "ok"],
  ["hidden file is fine", KSP, fileP("/root/.bashrc"), "ok"],
  [
    "dir with '..'",
    KSP,
    { file: { matchDirectories: [{ dir: "/etc/../" }] } },
    E("spec.file.matchDirectories[0].dir", /'\.\.'/),
  ],
  [
    "dir with a space",
    KSP,
    { process: { matchDirectories: [{ dir: "/my dir/" }] } },
    E("spec.process.matchDirectories[0].dir", /spaces/),
  ],
  [
    "fromSource with a comma",
    KSP,
    fileP2("/etc/x", "/bin/a,b"),
    E("spec.file.matchPaths[0].fromSource[0].path", /comma/),
  ],
  [
    "execname with a space",
    KSP,
    proc({ execname: "a b" }),
    E("spec.process.matchPaths[0].execname", /spaces/),
  ],
  [
    "execname '..'",
    KSP,
    proc({ execname: ".." }),
    E("spec.process.matchPaths[0].execname", /not '\.' or '\.\.'/),
  ],
  ["execname with a glob", KSP, proc({ execname: "ap*" }), E("spec.process.matchPaths[0].execname", /'\*'/)],
  // allowedArgs limits
  ["allowedArgs item of 104 bytes", KSP, proc({ path: "/bin/x", allowedArgs: ["a".repeat(104)] }), "ok"],
  [
    "allowedArgs item of 105 bytes",
    KSP,
    proc({ path: "/bin/x", allowedArgs: ["a".repeat(105)] }),
    E("spec.process.matchPaths[0].allowedArgs[0]", /104 bytes/),
  ],
  [
    "allowedArgs multibyte over 104 bytes",
    KSP,
    proc({ path: "/bin/x", allowedArgs: ["\u00e9".repeat(53)] }),
    E("spec.process.matchPaths[0].allowedArgs[0]", /104 bytes/),
  ],
  [
    "allowedArgs with a newline",
    KSP,
    proc({ path: "/bin/x", allowedArgs: ["a\nb"] }),
    E("spec.process.matchPaths[0].allowedArgs[0]", /control/),
  ],
  // matchPatterns glob grammar
  ...(
    [
      ["/etc/*hado?", "ok"],
      ["/etc/**", "ok"],
      ["/etc/[a-z]*", "ok"],
      ["/etc/[^a]*", "ok"],
      ["/etc/{passwd,shadow}", "ok"],
      ["/etc/{,*}", "ok"],
      ["/usr/{bin,sbin}/apt*", "ok"],
      ["etc/*", /absolute glob/],
      ["/etc/[abc", /unterminated '\['/],
      ["/etc/[]", /empty character class/],
      ["/etc/a]", /without a matching '\['/],
      ["/etc/{a,b", /unterminated '\{'/],
      ["/etc/a}", /without a matching '\{'/],
      ["/etc/{a,{b,c}}", /nest/],
      ["/etc/a,b", /',' only inside/],
      ["/etc/^a", /'\^' only/],
      ["/etc/@{HOME}/x", /variables/],
      ['/etc/"x"', /double quote/],
      ["/etc/#x", /'#'/],
      ["/etc/a b*", /spaces/],
      ["/etc/../*", /'\.\.'/],
      ["/etc//*", /'\/\/'/],
      ["/etc/[a/b]", /invalid character class/],
      ["/x" + "a".repeat(1100), /at most 1024/],
    ] as Array<[string, "ok" | RegExp]>
  ).map(
    ([p, re]): Case => [
      `pattern ${JSON.stringify(p.slice(0, 40))}`,
      KSP,
      pat(p),
      re === "ok" ? "ok" : E("spec.file.matchPatterns[0].pattern", re),
    ],
  ),
  [
    "process pattern checked too",
    KSP,
    { process: { matchPatterns: [{ pattern: "/bin/{a" }] } },
    E("spec.process.matchPatterns[0].pattern", /unterminated/),
  ],
  // DNS
  ["domain list", KSP, { network: { matchDNSQueries: [{ domain: "google.com,example.org." }] } }, "ok"],
  [
    "domain with a space",
    KSP,
    { network: { matchDNSQueries: [{ domain: "goo gle.com" }] } },
    E("spec.network.matchDNSQueries[0].domain", /spaces/),
  ],
  [
    "domain with a slash",
    KSP,
    { network: { matchDNSQueries: [{ domain: "a/b.com" }] } },
    E("spec.network.matchDNSQueries[0].domain", /DNS name/),
  ],
  [
    "empty domain in list",
    KSP,
    { network: { matchDNSQueries: [{ domain: "a.com,,b.com" }] } },
    E("spec.network.matchDNSQueries[0].domain", /empty/),
  ],
  // syscalls
  [
    "syscall fromSource with both path and dir",
    KSP,
    {
      syscalls: { matchSyscalls: [{ syscall: ["unlink"], fromSource: [{ path: "/bin/rm", dir: "/bin/" }] }] },
    },
    E("spec.syscalls.matchSyscalls[0].fromSource[0]", /only one of path and dir/),
  ],
  [
    "syscall fromSource with neither",
    KSP,
    { syscalls: { matchSyscalls: [{ syscall: ["unlink"], fromSource: [{ recursive: true }] }] } },
    E("spec.syscalls.matchSyscalls[0].fromSource[0]", /either path or dir/),
  ],
  [
    "syscall fromSource dir not ending in /",
    KSP,
    { syscalls: { matchSyscalls: [{ syscall: ["unlink"], fromSource: [{ dir: "/bin" }] }] } },
    E("spec.syscalls.matchSyscalls[0].fromSource[0].dir", /ending with/),
  ],
  [
    "syscall fromSource dir with '..'",
    KSP,
    { syscalls: { matchSyscalls: [{ syscall: ["unlink"], fromSource: [{ dir: "/bin/../" }] }] } },
    E("spec.syscalls.matchSyscalls[0].fromSource[0].dir", /'\.\.'/),
  ],
  [
    "syscall target with a quote",
    KSP,
    { syscalls: { matchPaths: [{ path: '/ho"me/', syscall: ["unlink"] }] } },
    E("spec.syscalls.matchPaths[0].path", /double quote/),
  ],
  [
    "empty syscall list",
    KSP,
    { syscalls: { matchSyscalls: [{ syscall: [] }] } },
    W("spec.syscalls.matchSyscalls[0].syscall", /matches no syscall/),
  ],
  [
    "recursive on a file target",
    KSP,
    { syscalls: { matchPaths: [{ path: "/etc/passwd", recursive: true, syscall: ["unlink"] }] } },
    W("spec.syscalls.matchPaths[0].recursive", /no effect/),
  ],
  // contradictions
  [
    "Allow and Block on the same process path",
    KSP,
    { process: { matchPaths: [{ path: "/bin/ls", action: "Allow" }, { path: "/bin/ls" }] } },
    W("spec.process.matchPaths[1]", /contradicts spec\.process\.matchPaths\[0\]/),
  ],
  [
    "Allow and Block on the same file dir via section action",
    KSP,
    { file: { action: "Allow", matchDirectories: [{ dir: "/etc/" }, { dir: "/etc/", action: "Block" }] } },
    W("spec.file.matchDirectories[1]", /contradicts/),
  ],
  [
    "Allow and Block on a protocol from an expanded list",
    KSP,
    {
      network: {
        matchProtocols: [
          { protocol: "tcp,udp", action: "Allow" },
          { protocol: "udp", action: "Block" },
        ],
      },
    },
    W("spec.network.matchProtocols[1]", /contradicts/),
  ],
  [
    "Allow and Block of one capability",
    KSP,
    {
      capabilities: {
        matchCapabilities: [{ capability: "net_raw", action: "Allow" }, { capability: "net_raw" }],
      },
    },
    W("spec.capabilities.matchCapabilities[1]", /contradicts/),
  ],
  [
    "same path, different fromSource: not a contradiction",
    KSP,
    {
      process: {
        matchPaths: [
          { path: "/bin/ls", action: "Allow", fromSource: [{ path: "/bin/sh" }] },
          { path: "/bin/ls" },
        ],
      },
    },
    "ok",
  ],
  [
    "Audit and Block: not a contradiction",
    KSP,
    { process: { matchPaths: [{ path: "/bin/ls", action: "Audit" }, { path: "/bin/ls" }] } },
    "ok",
  ],
  // presets, device, selectors, empty policy
  ["unknown preset", KSP, { presets: [{ name: "magic" }] }, W("spec.presets[0].name", /unknown preset/)],
  [
    "device numeric class 256",
    HSP,
    { device: { matchDevice: [{ class: "256" }] } },
    E("spec.device.matchDevice[0].class", /0\.\.255/),
  ],
  ["device hex class", HSP, { device: { matchDevice: [{ class: "0x08" }] } }, "ok"],
  [
    "device class lowercase name",
    HSP,
    { device: { matchDevice: [{ class: "mass storage" }] } },
    E("spec.device.matchDevice[0].class", /USB class name/),
  ],
  [
    "device unknown class name",
    HSP,
    { device: { matchDevice: [{ class: "TOASTER" }] } },
    W("spec.device.matchDevice[0].class", /unknown USB class/),
  ],
  [
    "label value without '='",
    KSP,
    {
      selector: { matchExpressions: [{ key: "label", operator: "In", values: ["app"] }] },
      ...proc({ path: "/bin/ls" }),
    },
    W("spec.selector.matchExpressions[0].values[0]", /key=value/),
  ],
  [
    "expression without operator",
    KSP,
    { selector: { matchExpressions: [{ key: "label", values: ["a=b"] }] }, ...proc({ path: "/bin/ls" }) },
    W("spec.selector.matchExpressions[0]", /no key or no operator/),
  ],
  [
    "label NotIn after label In is ignored by KubeArmor",
    KSP,
    {
      selector: {
        matchExpressions: [
          { key: "label", operator: "In", values: ["a=b"] },
          { key: "label", operator: "NotIn", values: ["c=d"] },
        ],
      },
      ...proc({ path: "/bin/ls" }),
    },
    W("spec.selector.matchExpressions[1]", /ignores a label NotIn that comes after a label In/),
  ],
  [
    "label In after label NotIn has no effect",
    KSP,
    {
      selector: {
        matchExpressions: [
          { key: "label", operator: "NotIn", values: ["c=d"] },
          { key: "label", operator: "In", values: ["a=b"] },
        ],
      },
      ...proc({ path: "/bin/ls" }),
    },
    W("spec.selector.matchExpressions[1]", /has no effect/),
  ],
  [
    "CSP namespace NotIn next to namespace In is ignored",
    "KubeArmorClusterPolicy",
    {
      selector: {
        matchExpressions: [
          { key: "namespace", operator: "NotIn", values: ["a"] },
          { key: "namespace", operator: "In", values: ["b"] },
        ],
      },
      ...proc({ path: "/bin/ls" }),
    },
    W("spec.selector.matchExpressions[0]", /with a namespace In/),
  ],
  [
    "container.name without brackets",
    KSP,
    { selector: { matchLabels: { "kubearmor.io/container.name": "c1" } }, ...proc({ path: "/bin/ls" }) },
    W('spec.selector.matchLabels["kubearmor.io/container.name"]', /bracketed/),
  ],
  [
    "HSP empty nodeSelector labels",
    HSP,
    { nodeSelector: { matchLabels: {} }, ...proc({ path: "/bin/ls" }) },
    W("spec.nodeSelector.matchLabels", /selects no node/),
  ],
  ["policy without rules", KSP, { selector: { matchLabels: { a: "b" } } }, W("spec", /no rules/)],
  // raw AppArmor
  ["apparmor: scenario 26 rule", KSP, { apparmor: "deny /etc/{*,**} rw," }, "ok"],
  [
    "apparmor: capability and network rules",
    KSP,
    { apparmor: "deny capability sys_admin,\n  audit deny network raw,\n# a comment\n" },
    "ok",
  ],
  [
    "apparmor: missing comma",
    KSP,
    { apparmor: "deny /etc/shadow r" },
    E("spec.apparmor", /line 1: .*end with ','/),
  ],
  [
    "apparmor: closing brace",
    KSP,
    { apparmor: "}\n" },
    E("spec.apparmor", /line 1: must not start with '\}'/),
  ],
  [
    "apparmor: new profile",
    KSP,
    { apparmor: "profile evil /** {" },
    E("spec.apparmor", /'profile' is not allowed/),
  ],
  ["apparmor: #include", KSP, { apparmor: "#include <abstractions/base>" }, E("spec.apparmor", /include/)],
  ["apparmor: include", KSP, { apparmor: "include <abstractions/base>" }, E("spec.apparmor", /include/)],
  ["apparmor: px transition", KSP, { apparmor: "/bin/sh px," }, E("spec.apparmor", /transitions \('px'\)/)],
  ["apparmor: Ux transition", KSP, { apparmor: "/bin/sh Ux," }, E("spec.apparmor", /transitions/)],
  ["apparmor: rPx transition", KSP, { apparmor: "/bin/sh rPx," }, E("spec.apparmor", /transitions/)],
  ["apparmor: cx with target", KSP, { apparmor: "/bin/sh cx -> child," }, E("spec.apparmor", /transitions/)],
  ["apparmor: ix is fine", KSP, { apparmor: "/bin/sh ix," }, "ok"],
  [
    "apparmor: change_profile",
    KSP,
    { apparmor: "change_profile -> unconfined," },
    E("spec.apparmor", /not allowed/),
  ],
  ["apparmor: hat", KSP, { apparmor: "^hat {" }, E("spec.apparmor", /hats/)],
  [
    "apparmor: trailing comment hiding the comma",
    KSP,
    { apparmor: "deny /x r # ," },
    E("spec.apparmor", /'#' after rule text/),
  ],
  ["apparmor: control character", KSP, { apparmor: "deny /x\u0007 r," }, E("spec.apparmor", /control/)],
  ["apparmor: variable", KSP, { apparmor: "deny @{HOME}/x r," }, E("spec.apparmor", /variables/)],
  [
    "apparmor: unknown rule kind",
    KSP,
    { apparmor: "userns create," },
    E("spec.apparmor", /must be a file, capability/),
  ],
  ["apparmor: link rule with ->", KSP, { apparmor: "link /a -> /b," }, "ok"],
  [
    "apparmor: -> outside link",
    KSP,
    { apparmor: "/a r -> /b," },
    E("spec.apparmor", /'->' is allowed only in link rules/),
  ],
];

function fileP2(path: string, source: string): Obj {
  return { file: { matchPaths: [{ path, fromSource: [{ path: source }] }] } };
}

describe("semantic checks (table)", () => {
  for (const [name, kind, spec, expect] of CASES) {
    it(`${name} → ${expect === "ok" ? "accepted" : `${expect.level ?? "error"} at ${expect.path}`}`, () => {
      const r = check(policy(kind, spec, "p", kind === "KubeArmorPolicy" ? "default" : undefined));
      if (expect === "ok") {
        assert.deepEqual(
          r.problems.filter(p => p.path !== "spec" || p.level === "error"),
          [],
          describeProblems(r.problems),
        );
        assert.ok(r.policy);
        return;
      }
      const level = expect.level ?? "error";
      const hit = r.problems.find(
        p => p.path === expect.path && p.level === level && expect.re.test(p.message),
      );
      assert.ok(
        hit,
        `expected ${level} at ${expect.path} matching ${expect.re}, got:\n${describeProblems(r.problems)}`,
      );
      if (level === "error") assert.equal(r.policy, undefined);
      else {
        assert.ok(r.policy, "warnings alone keep the policy");
        const strict = check(
          policy(kind, spec, "p", kind === "KubeArmorPolicy" ? "default" : undefined),
          true,
        );
        assert.equal(strict.policy, undefined, "--strict turns the warning into an error");
        assert.ok(strict.errors.some(p => p.path === expect.path));
      }
    });
  }
});

describe("string checkers", () => {
  it("checkSafePath accepts ordinary paths", () => {
    for (const p of [
      "/bin/ls",
      "/usr/lib/x86_64-linux-gnu/libc.so.6",
      "/home/user1/hello",
      "/var/lib/a_b-c+d@e=f%g",
    ])
      assert.equal(checkSafePath(p), undefined, p);
  });
  it("checkPattern never accepts a quote or newline anywhere", () => {
    for (const p of ["/a\n", "/a'", '/a"', "/a\r", "/a\u0000"]) assert.notEqual(checkPattern(p), undefined);
  });
  it("checkAppArmorText reports each bad line with its number", () => {
    const r = checkAppArmorText("deny /a r,\n/b px,\n}\nok /c r,");
    assert.equal(r.length, 3);
    assert.match(r[0], /^line 2:/);
    assert.match(r[1], /^line 3:/);
    assert.match(r[2], /^line 4:/);
  });
});

describe("problem reporting", () => {
  it("reports every problem of a document, not just the first", () => {
    const r = check(
      policy(KSP, {
        action: "block",
        process: { matchPaths: [{ path: "/bin/ls/" }, {}, { path: "/a b" }] },
        network: { matchProtocols: [{ protocol: "xtcp" }] },
        file: { matchPath: [] },
      }),
    );
    const paths = r.errors.map(p => p.path).sort();
    assert.deepEqual(paths, [
      "spec.action",
      "spec.file.matchPath",
      "spec.network.matchProtocols[0].protocol",
      "spec.process.matchPaths[0].path",
      "spec.process.matchPaths[1]",
      "spec.process.matchPaths[2].path",
    ]);
  });

  it("does not report a field twice when schema and semantics both object", () => {
    const r = check(policy(KSP, { capabilities: { matchCapabilities: [{ capability: "NET_RAW" }] } }));
    assert.equal(
      r.errors.filter(p => p.path === "spec.capabilities.matchCapabilities[0].capability").length,
      1,
    );
  });

  it("formats one line: file#doc (Kind ns/name) path: message", () => {
    const r = validateText(
      "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: foo}\nspec:\n  process:\n    matchPaths:\n      - path: /bin/sleep/\n",
      "file.yaml",
    );
    assert.equal(
      formatProblem(r.problems[0]),
      "file.yaml#1 (KubeArmorPolicy default/foo) spec.process.matchPaths[0].path: must be an absolute path without a trailing slash",
    );
  });

  it("warnings are marked, cluster kinds have no namespace, document numbers count from 1", () => {
    const text = [
      "---",
      "apiVersion: security.kubearmor.com/v1",
      "kind: KubeArmorClusterPolicy",
      "metadata: {name: c}",
      "spec: {process: {matchPaths: [{path: /bin/ls, action: Allow}, {path: /bin/ls}]}}",
    ].join("\n");
    const r = validateText("# first doc is a comment only\n" + text, "x.yaml");
    assert.equal(r.policies.length, 1);
    const line = formatProblem(r.problems[0]);
    assert.match(
      line,
      /^warning: x\.yaml#1 \(KubeArmorClusterPolicy c\) spec\.process\.matchPaths\[1\]: contradicts/,
    );
  });

  it("never prints more than one line, even for hostile names and messages", () => {
    const r = check({
      apiVersion: "security.kubearmor.com/v1",
      kind: KSP,
      metadata: { name: "a\nb\u0007\u009b\u202e" },
      spec: fileP("/x\ny\u2028"),
    });
    for (const p of r.problems) {
      const line = formatProblem(p);
      assert.ok(!/[\n\r\u0000-\u001f\u0080-\u009f\u202e\u2028]/.test(line), JSON.stringify(line));
    }
  });

  it("a non-finite number is shown as such, not as JSON's null", () => {
    const r = validateText(
      "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: foo}\nspec:\n  severity: 1e400\n  process: {matchPaths: [{path: /bin/sleep}]}\n  action: Block\n",
      "f.yaml",
    );
    const sev = r.problems.find(p => p.path === "spec.severity");
    assert.ok(sev, describeProblems(r.problems));
    assert.match(sev.message, /got Infinity$/);
  });

  it("YAML syntax errors, non-policy kinds and non-objects are problems, empty documents are skipped", () => {
    const r = validateText("a: [\n---\n---\nkind: Pod\n---\n- 1\n---\n", "y.yaml");
    const byDoc = r.problems.map(p => `${p.document}:${p.path}`);
    assert.deepEqual(byDoc, ["1:", "3:kind", "4:"]);
    assert.match(r.problems[0].message, /YAML syntax error/);
    assert.match(r.problems[1].message, /"Pod" is not a KubeArmor policy kind/);
    assert.equal(r.documents, 3);
  });

  it("a List (kubectl get -o yaml) is validated item by item, paths prefixed with items[i]", () => {
    const text = [
      "apiVersion: v1",
      "kind: List",
      "items:",
      "  - {apiVersion: security.kubearmor.com/v1, kind: KubeArmorPolicy, metadata: {name: a}, spec: {file: {matchPaths: [{path: /etc/x}]}}}",
      "  - {apiVersion: security.kubearmor.com/v1, kind: KubeArmorPolicy, metadata: {name: b}, spec: {file: {matchPaths: [{path: /etc/}]}}}",
      "  - 7",
    ].join("\n");
    const r = validateText(text, "l.yaml");
    assert.deepEqual(
      r.policies.map(p => p.name),
      ["a"],
    );
    assert.deepEqual(
      r.problems.map(p => p.path),
      ["items[1].spec.file.matchPaths[0].path", "items[2]"],
    );
  });

  it("a policy defined twice is a warning on the later copy (an error with strict)", () => {
    const doc =
      "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: dup, namespace: x}\nspec: {file: {matchPaths: [{path: /etc/x}]}}\n";
    const r = validateText(doc + "---\n" + doc, "d.yaml");
    assert.equal(r.problems.length, 1);
    assert.equal(
      formatProblem(r.problems[0]),
      "warning: d.yaml#2 (KubeArmorPolicy x/dup) metadata.name: duplicate policy: also defined at d.yaml#1 (only the last one applied takes effect)",
    );
    assert.equal(validateText(doc + "---\n" + doc, "d.yaml", { strict: true }).problems[0].level, "error");
    const other = doc.replace("namespace: x", "namespace: y");
    assert.equal(
      validateText(doc + "---\n" + other, "d.yaml").problems.length,
      0,
      "same name in another namespace is fine",
    );
  });

  it("null fields count as absent (the API server prunes them); __proto__ stays a plain unknown field", () => {
    const r = validateText(
      [
        "apiVersion: security.kubearmor.com/v1",
        "kind: KubeArmorPolicy",
        "metadata: {name: n, namespace: null}",
        "spec:",
        "  action: null",
        "  process:",
        "    matchPaths:",
        "      - {path: /bin/ls, execname: null, tags: null, bogus: null}",
        "      - {__proto__: {path: /bin/x}}",
      ].join("\n"),
      "n.yaml",
    );
    assert.deepEqual(
      r.problems.map(p => p.path),
      ["spec.process.matchPaths[1].__proto__", "spec.process.matchPaths[1]"],
    );
    const ok = validateText(
      "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: n}\nspec: {action: null, file: {matchPaths: [{path: /etc/x, readOnly: null}]}}\n",
      "n.yaml",
    );
    assert.equal(ok.policies.length, 1);
    assert.equal(ok.policies[0].action, "Block");
  });

  it("hostile nesting is a problem, never a stack overflow", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 20000; i++) deep = [deep];
    const r = check(policy(KSP, { tags: deep }));
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0].message, /nested more than 64 levels/);
    const y = validateText(
      "kind: KubeArmorPolicy\nspec: {tags: " + "[".repeat(5000) + "]".repeat(5000) + "}\n",
      "d.yaml",
    );
    assert.match(y.problems[0].message, /nested too deeply/);
  });

  it("KubeArmorNetworkPolicy is named as unsupported", () => {
    const r = check({
      apiVersion: "security.kubearmor.com/v1",
      kind: "KubeArmorNetworkPolicy",
      metadata: { name: "n" },
      spec: {},
    });
    assert.match(r.errors[0].message, /not supported/);
  });
});
