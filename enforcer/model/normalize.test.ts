// SPDX-License-Identifier: Apache-2.0
//
// Normalization exactly as KubeArmor's daemon (kubearmor-compat §5): action defaulting and
// capitalisation, rule → section → spec inheritance, comma expansion, syscall rules always
// Audit, rule shapes of every category.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalizeAction, normalizePolicy, splitComma } from "./normalize.js";
import { check, policy, type Obj } from "./test-helpers.js";
import type { NormalizedPolicy, Rule } from "./types.js";

function norm(
  spec: Obj,
  kind: "KubeArmorPolicy" | "KubeArmorClusterPolicy" | "KubeArmorHostPolicy" = "KubeArmorPolicy",
): NormalizedPolicy {
  const r = check(policy(kind, spec, "n", kind === "KubeArmorPolicy" ? "ns1" : undefined));
  assert.ok(r.policy, JSON.stringify(r.problems));
  return r.policy;
}
const meta = (r: Rule): Obj => ({ action: r.action, severity: r.severity, tags: r.tags, message: r.message });

describe("action defaulting", () => {
  it("empty spec.action ⇒ Block, rules inherit it", () => {
    const p = norm({ process: { matchPaths: [{ path: "/bin/ls" }] } });
    assert.equal(p.action, "Block");
    assert.equal(p.rules[0].action, "Block");
  });
  it("normalizeAction capitalises lowercase (objects that bypass the schema) and defaults empty", () => {
    assert.equal(normalizeAction("block"), "Block");
    assert.equal(normalizeAction("AUDIT"), "Audit");
    assert.equal(normalizeAction("allow"), "Allow");
    assert.equal(normalizeAction(""), "Block");
    assert.equal(normalizeAction(undefined, "Audit"), "Audit");
    assert.equal(normalizeAction("weird"), "Block");
  });
  it("normalizePolicy on a non-schema object with lowercase action capitalises it", () => {
    const p = normalizePolicy(
      {
        metadata: { name: "x" },
        spec: { action: "audit", file: { matchPaths: [{ path: "/a", action: "allow" }, { path: "/b" }] } },
      },
      "KubeArmorPolicy",
    );
    assert.deepEqual(
      p.rules.map(r => r.action),
      ["Allow", "Audit"],
    );
  });
});

describe("inheritance rule → section → spec", () => {
  const spec = {
    severity: 2,
    tags: ["spec-tag"],
    message: "spec message",
    action: "Audit",
    process: {
      severity: 5,
      tags: ["section-tag"],
      action: "Allow",
      matchPaths: [
        { path: "/a" },
        { path: "/b", severity: 9, tags: ["rule-tag"], message: "rule message", action: "Block" },
        { path: "/c", message: "only message" },
      ],
    },
    file: { matchPaths: [{ path: "/f" }] },
  };
  const p = norm(spec);
  it("rule without fields takes the section, then spec", () => {
    assert.deepEqual(meta(p.rules[0]), {
      action: "Allow",
      severity: 5,
      tags: ["section-tag"],
      message: "spec message",
    });
  });
  it("rule fields win", () => {
    assert.deepEqual(meta(p.rules[1]), {
      action: "Block",
      severity: 9,
      tags: ["rule-tag"],
      message: "rule message",
    });
  });
  it("fields inherit independently", () => {
    assert.deepEqual(meta(p.rules[2]), {
      action: "Allow",
      severity: 5,
      tags: ["section-tag"],
      message: "only message",
    });
  });
  it("a section without fields takes the spec", () => {
    assert.deepEqual(meta(p.rules[3]), {
      action: "Audit",
      severity: 2,
      tags: ["spec-tag"],
      message: "spec message",
    });
  });
  it("severity defaults to 1 when nothing sets it, tags to [] and message to ''", () => {
    const q = norm({ file: { matchPaths: [{ path: "/f" }] } });
    assert.deepEqual(meta(q.rules[0]), { action: "Block", severity: 1, tags: [], message: "" });
  });
  it("syscall rules inherit severity/tags/message only and are always Audit (scenario 38)", () => {
    const q = norm({
      severity: 3,
      tags: ["global"],
      message: "global",
      action: "Block",
      syscalls: {
        severity: 4,
        matchSyscalls: [{ syscall: ["unlink"] }],
        matchPaths: [
          {
            path: "/home/",
            recursive: true,
            syscall: ["unlink"],
            severity: 8,
            tags: ["local"],
            message: "local",
          },
        ],
      },
    });
    assert.deepEqual(meta(q.rules[0]), { action: "Audit", severity: 4, tags: ["global"], message: "global" });
    assert.deepEqual(meta(q.rules[1]), { action: "Audit", severity: 8, tags: ["local"], message: "local" });
  });
});

describe("comma expansion", () => {
  it("protocols split into one rule each, lowercased, first keeps the entry's path", () => {
    const p = norm({
      network: {
        matchProtocols: [{ protocol: "TCP,udp, icmp", fromSource: [{ path: "/bin/x" }], action: "Allow" }],
      },
    });
    assert.deepEqual(
      p.rules.map(r => (r.category === "network" ? [r.protocol, r.origin.path, r.fromSource, r.action] : [])),
      [
        ["tcp", "spec.network.matchProtocols[0]", ["/bin/x"], "Allow"],
        ["udp", "spec.network.matchProtocols[0]", ["/bin/x"], "Allow"],
        ["icmp", "spec.network.matchProtocols[0]", ["/bin/x"], "Allow"],
      ],
    );
  });
  it("capabilities and DNS domains split too", () => {
    const p = norm({
      capabilities: { matchCapabilities: [{ capability: "net_raw,sys_admin" }] },
      network: { matchDNSQueries: [{ domain: "a.com,B.org" }] },
    });
    assert.deepEqual(
      p.rules.map(r => (r.category === "capabilities" ? r.capability : r.category === "dns" ? r.domain : "")),
      ["a.com", "b.org", "net_raw", "sys_admin"],
    );
  });
  it("splitComma trims and drops empty items", () => {
    assert.deepEqual(splitComma(" a, ,b,"), ["a", "b"]);
  });
});

describe("rule shapes", () => {
  const p = norm({
    process: {
      matchPaths: [
        {
          path: "/bin/ls",
          ownerOnly: true,
          pts: false,
          allowedArgs: ["-l"],
          fromSource: [{ path: "/bin/sh" }],
        },
        { execname: "apt" },
      ],
      matchDirectories: [{ dir: "/sbin/", recursive: true }],
      matchPatterns: [{ pattern: "/usr/bin/apt*" }],
    },
    file: {
      matchPaths: [{ path: "/etc/x", readOnly: true }],
      matchDirectories: [{ dir: "/etc/", ownerOnly: true }],
      matchPatterns: [{ pattern: "/etc/*hado?", readOnly: true }],
    },
    syscalls: {
      matchSyscalls: [
        { syscall: ["unlink"], fromSource: [{ path: "/bin/rm" }, { dir: "/usr/bin/", recursive: true }] },
      ],
      matchPaths: [{ path: "/etc/passwd", syscall: ["chmod"] }],
    },
  });
  it("process rules", () => {
    const [a, b, c, d] = p.rules;
    assert.deepEqual(a, {
      ...a,
      category: "process",
      match: { type: "path", path: "/bin/ls" },
      ownerOnly: true,
      pts: false,
      allowedArgs: ["-l"],
      fromSource: ["/bin/sh"],
      origin: { kind: "KubeArmorPolicy", name: "n", namespace: "ns1", path: "spec.process.matchPaths[0]" },
    });
    assert.deepEqual(b.category === "process" && b.match, { type: "execname", name: "apt" });
    assert.ok(!("pts" in b));
    assert.deepEqual(c.category === "process" && c.match, { type: "dir", dir: "/sbin/", recursive: true });
    assert.deepEqual(d.category === "process" && d.match, { type: "pattern", pattern: "/usr/bin/apt*" });
  });
  it("file rules", () => {
    const [e, f, g] = p.rules.slice(4);
    assert.ok(e.category === "file" && e.readOnly && !e.ownerOnly);
    assert.ok(f.category === "file" && f.ownerOnly && f.match.type === "dir" && !f.match.recursive);
    assert.ok(g.category === "file" && g.match.type === "pattern" && g.readOnly);
  });
  it("syscall rules", () => {
    const [h, i] = p.rules.slice(7);
    assert.deepEqual(h.category === "syscalls" && h.fromSource, [
      { path: "/bin/rm" },
      { dir: "/usr/bin/", recursive: true },
    ]);
    assert.deepEqual(h.category === "syscalls" && h.syscalls, ["unlink"]);
    assert.deepEqual(i.category === "syscalls" && i.target, { path: "/etc/passwd" });
  });
  it("KSP namespace defaults to default; cluster kinds have none", () => {
    const r = check(policy("KubeArmorPolicy", { file: { matchPaths: [{ path: "/x" }] } }));
    assert.equal(r.policy?.namespace, "default");
    const c = norm({ file: { matchPaths: [{ path: "/x" }] } }, "KubeArmorClusterPolicy");
    assert.equal(c.namespace, undefined);
    assert.equal(c.rules[0].origin.namespace, undefined);
  });
  it("host policies: nodeSelector, device rules", () => {
    const h = norm(
      {
        nodeSelector: { matchLabels: { "kubernetes.io/hostname": "n1" } },
        device: { action: "Audit", matchDevice: [{ class: "MASS-STORAGE", level: 1 }] },
      },
      "KubeArmorHostPolicy",
    );
    assert.deepEqual(h.nodeSelector, { matchLabels: { "kubernetes.io/hostname": "n1" } });
    assert.deepEqual(
      { ...h.rules[0], origin: undefined },
      {
        category: "device",
        origin: undefined,
        action: "Audit",
        severity: 1,
        tags: [],
        message: "",
        class: "MASS-STORAGE",
        level: 1,
      },
    );
  });
  it("apparmor, presets, raw and source", () => {
    const r = check(
      policy("KubeArmorPolicy", { apparmor: "deny /x r,", presets: [{ name: "exec" }], action: "Audit" }),
    );
    assert.equal(r.policy?.apparmor, "deny /x r,");
    assert.deepEqual(r.policy?.presets, [{ name: "exec", action: "Audit" }]);
    assert.equal(r.policy?.source, "t.yaml#1");
    assert.equal((r.policy?.raw.metadata as Obj).name, "p");
  });
});
