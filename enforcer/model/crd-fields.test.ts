// SPDX-License-Identifier: Apache-2.0
//
// Every field and every constraint of the three CRD schemas, accept and reject.
// Part 1 walks the schema: each field is accepted with a well-formed value, rejected with a
// wrongly typed one (the problem names the field's exact path), and every object rejects an
// unknown field. Part 2 is a hand-written table of KubeArmor's constraints (patterns, enums,
// limits, required fields, per-kind differences) with expectations taken from kubearmor-compat.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openAPIV3Schema, PATTERNS, type SchemaNode } from "./schema/definition.js";
import { SYSCALLS } from "./schema/syscalls.js";
import { check, describeProblems, policy, setPath, type Obj } from "./test-helpers.js";
import type { PolicyKind } from "./types.js";

const KINDS: PolicyKind[] = ["KubeArmorPolicy", "KubeArmorClusterPolicy", "KubeArmorHostPolicy"];

const SAMPLE_BY_PATTERN: Record<string, string> = {
  [PATTERNS.path]: "/bin/sample",
  [PATTERNS.dir]: "/tmp/sample/",
  [PATTERNS.syscallPath]: "/tmp/sample",
  [PATTERNS.execname]: "sample",
  [PATTERNS.protocol]: "tcp",
  [PATTERNS.capability]: "net_raw",
};

function sampleString(node: SchemaNode, field: string): string {
  if (Array.isArray(node.enum)) return String(node.enum[0]);
  if (typeof node.pattern === "string") return SAMPLE_BY_PATTERN[node.pattern] ?? "x";
  switch (field) {
    case "pattern":
      return "/tmp/sample*";
    case "domain":
      return "example.com";
    case "class":
      return "MASS-STORAGE";
    case "dir":
      return "/tmp/";
    case "apparmor":
      return "deny /tmp/x w,";
    case "name":
      return "filelessExec";
    default:
      return "sample";
  }
}

/** A minimal valid instance: required fields, plus `path` where an item can name one. */
function minimal(node: SchemaNode, field: string): unknown {
  switch (node.type) {
    case "string":
      return sampleString(node, field);
    case "integer":
      return typeof node.minimum === "number" ? node.minimum : 1;
    case "boolean":
      return true;
    case "array":
      return [minimal(node.items as SchemaNode, field)];
    case "object": {
      const props = node.properties as Record<string, SchemaNode> | undefined;
      if (!props) return node.additionalProperties ? { "example.io/key": "v" } : {};
      const out: Obj = {};
      for (const req of (node.required as string[] | undefined) ?? []) out[req] = minimal(props[req], req);
      if (props.path && !out.path && field !== "syscalls") out.path = minimal(props.path, "path");
      if (field === "matchExpressions") {
        out.key = minimal(props.key, "key");
        out.operator = "In";
        out.values =
          node === undefined
            ? []
            : [props.key && (props.key.enum as string[])[0] === "namespace" ? "ns1" : "app=x"];
      }
      return out;
    }
    default:
      return "x";
  }
}

function wrongValue(node: SchemaNode): unknown {
  switch (node.type) {
    case "string":
      return 12;
    case "integer":
      return "twelve";
    case "boolean":
      return "yes";
    case "array":
      return "not-a-list";
    case "object":
      return "not-a-map";
    default:
      return null;
  }
}

interface Leaf {
  path: string;
  node: SchemaNode;
  field: string;
}

/** Every property under spec, with the container path built from minimal items. */
function walk(node: SchemaNode, path: string, out: Leaf[], objects: string[]): void {
  const props = node.properties as Record<string, SchemaNode> | undefined;
  if (node.type === "object" && props) {
    objects.push(path);
    for (const [k, child] of Object.entries(props)) {
      const p = `${path}.${k}`;
      out.push({ path: p, node: child, field: k });
      if (child.type === "object") walk(child, p, out, objects);
      if (child.type === "array" && (child.items as SchemaNode).type === "object")
        walk(child.items as SchemaNode, `${p}[0]`, out, objects);
    }
  }
}

/** Build a spec in which every container on the way to `path` exists with minimal content. */
function specWith(kind: PolicyKind, path: string, value: unknown): Obj {
  const root = openAPIV3Schema(kind);
  let obj = policy(kind, {});
  const parts = path.split(".").slice(1); // drop "spec"
  let node = (root.properties as Record<string, SchemaNode>).spec;
  let cur = "spec";
  for (let i = 0; i < parts.length; i++) {
    const m = parts[i].match(/^([^[]+)(\[0\])?$/)!;
    const key = m[1];
    const child = (node.properties as Record<string, SchemaNode>)[key];
    const last = i === parts.length - 1;
    if (last) {
      // fill required siblings of the leaf's object so only the leaf is under test
      const merged: Obj = {
        ...(minimal(node, "") as Obj),
        ...((getPath(obj, cur) as Obj) ?? {}),
        [key]: value,
      };
      // path/execname and path/dir are mutually exclusive (semantic rule): test the leaf alone.
      if (key === "execname" || (key === "dir" && cur.includes("fromSource"))) delete merged.path;
      obj = setPath(obj, cur, merged);
      break;
    }
    if (m[2]) {
      const item = child.items as SchemaNode;
      const existing = getPath(obj, `${cur}.${key}[0]`);
      obj = setPath(obj, `${cur}.${key}[0]`, existing ?? minimal(item, key));
      node = item;
      cur = `${cur}.${key}[0]`;
    } else {
      const existing = getPath(obj, `${cur}.${key}`);
      obj = setPath(obj, `${cur}.${key}`, existing ?? minimal(child, key));
      node = child;
      cur = `${cur}.${key}`;
    }
  }
  return obj;
}

function getPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const k of path.match(/[^.[\]]+/g) ?? []) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

for (const kind of KINDS) {
  describe(`${kind}: every schema field (walked from the definition)`, () => {
    const leaves: Leaf[] = [];
    const objects: string[] = [];
    walk((openAPIV3Schema(kind).properties as Record<string, SchemaNode>).spec, "spec", leaves, objects);

    it("has the expected number of fields", () => {
      assert.ok(leaves.length > 100, `only ${leaves.length} fields walked`);
    });

    for (const leaf of leaves) {
      it(`accepts a well-formed ${leaf.path}`, () => {
        const value = minimal(leaf.node, leaf.field);
        const r = check(specWith(kind, leaf.path, value));
        assert.deepEqual(r.errors, [], describeProblems(r.errors));
        assert.ok(r.policy);
      });
      it(`rejects a wrongly typed ${leaf.path}`, () => {
        const r = check(specWith(kind, leaf.path, wrongValue(leaf.node)));
        const expected = leaf.path.replace(/^spec/, "spec");
        assert.ok(
          r.errors.some(p => p.path === expected),
          `no error at ${expected}:\n${describeProblems(r.errors)}`,
        );
      });
    }
    for (const obj of objects) {
      it(`rejects an unknown field in ${obj}`, () => {
        const base = obj === "spec" ? policy(kind, {}) : specWith(kind, obj, undefined);
        // specWith with a leaf path creates the object; add a bogus key to it.
        const target = obj === "spec" ? "spec" : obj;
        const withObj = obj === "spec" ? base : specWith(kind, `${obj}.bogusField`, 1);
        const r = check(obj === "spec" ? setPath(base, `${target}.bogusField`, 1) : withObj);
        assert.ok(
          r.errors.some(p => p.path === `${target}.bogusField` && /unknown field/.test(p.message)),
          describeProblems(r.errors),
        );
      });
    }
  });
}

// ---- Part 2: KubeArmor's constraints, hand-written ---------------------------------------

type Case = [string, PolicyKind, Obj, "ok" | string];
const KSP: PolicyKind = "KubeArmorPolicy";
const CSP: PolicyKind = "KubeArmorClusterPolicy";
const HSP: PolicyKind = "KubeArmorHostPolicy";
const proc = (rule: Obj, extra: Obj = {}): Obj => ({ process: { matchPaths: [rule] }, ...extra });
const fileP = (rule: Obj): Obj => ({ file: { matchPaths: [rule] } });
const p200 = "/" + "a".repeat(199);

const CASES: Case[] = [
  // MatchPathType
  ["absolute path", KSP, proc({ path: "/bin/ls" }), "ok"],
  [
    "path with several leading slashes is schema-valid but has '//'",
    KSP,
    proc({ path: "//bin/ls" }),
    "spec.process.matchPaths[0].path",
  ],
  ["relative path", KSP, proc({ path: "bin/ls" }), "spec.process.matchPaths[0].path"],
  ["trailing slash", KSP, fileP({ path: "/etc/" }), "spec.file.matchPaths[0].path"],
  ["path of exactly 200 chars", KSP, fileP({ path: p200 }), "ok"],
  ["path of 201 chars", KSP, fileP({ path: p200 + "b" }), "spec.file.matchPaths[0].path"],
  [
    "fromSource path relative",
    KSP,
    fileP({ path: "/etc/x", fromSource: [{ path: "cat" }] }),
    "spec.file.matchPaths[0].fromSource[0].path",
  ],
  [
    "fromSource path 201 chars",
    KSP,
    fileP({ path: "/etc/x", fromSource: [{ path: p200 + "b" }] }),
    "spec.file.matchPaths[0].fromSource[0].path",
  ],
  // MatchDirectoryType
  ["root dir", KSP, { file: { matchDirectories: [{ dir: "/" }] } }, "ok"],
  ["dir with slash", KSP, { file: { matchDirectories: [{ dir: "/etc/" }] } }, "ok"],
  [
    "dir without trailing slash",
    KSP,
    { file: { matchDirectories: [{ dir: "/etc" }] } },
    "spec.file.matchDirectories[0].dir",
  ],
  [
    "relative dir",
    KSP,
    { process: { matchDirectories: [{ dir: "etc/" }] } },
    "spec.process.matchDirectories[0].dir",
  ],
  [
    "long dir (no maxLength in KubeArmor)",
    KSP,
    { file: { matchDirectories: [{ dir: "/" + "d".repeat(300) + "/" }] } },
    "ok",
  ],
  // MatchSyscallPathType
  [
    "syscall file path",
    KSP,
    { syscalls: { matchPaths: [{ path: "/etc/passwd", syscall: ["unlink"] }] } },
    "ok",
  ],
  ["syscall dir path", KSP, { syscalls: { matchPaths: [{ path: "/home/", syscall: ["unlink"] }] } }, "ok"],
  [
    "syscall relative path",
    KSP,
    { syscalls: { matchPaths: [{ path: "home", syscall: ["unlink"] }] } },
    "spec.syscalls.matchPaths[0].path",
  ],
  [
    "syscall matchPaths without path",
    KSP,
    { syscalls: { matchPaths: [{ syscall: ["unlink"] }] } },
    "spec.syscalls.matchPaths[0].path",
  ],
  // MatchBinType
  ["execname", KSP, proc({ execname: "apt" }), "ok"],
  ["execname with slash", KSP, proc({ execname: "bin/apt" }), "spec.process.matchPaths[0].execname"],
  ["empty execname", KSP, proc({ execname: "" }), "spec.process.matchPaths[0].execname"],
  // protocols
  ...[
    "tcp",
    "TCP",
    "udp",
    "raw",
    "icmp",
    "ICMPV6",
    "sctp",
    "stream",
    "dgram",
    "rdm",
    "seqpacket",
    "dccp",
    "packet",
    "all",
    "ALL",
  ].map((p): Case => [`protocol ${p}`, KSP, { network: { matchProtocols: [{ protocol: p }] } }, "ok"]),
  ["protocol comma list", KSP, { network: { matchProtocols: [{ protocol: "tcp,udp" }] } }, "ok"],
  [
    "protocol Tcp (mixed case)",
    KSP,
    { network: { matchProtocols: [{ protocol: "Tcp" }] } },
    "spec.network.matchProtocols[0].protocol",
  ],
  [
    "protocol http",
    KSP,
    { network: { matchProtocols: [{ protocol: "http" }] } },
    "spec.network.matchProtocols[0].protocol",
  ],
  [
    "protocol missing",
    KSP,
    { network: { matchProtocols: [{ action: "Block" }] } },
    "spec.network.matchProtocols[0].protocol",
  ],
  ["KSP network pts", KSP, { network: { matchProtocols: [{ protocol: "tcp", pts: true }] } }, "ok"],
  [
    "HSP network pts does not exist",
    HSP,
    { network: { matchProtocols: [{ protocol: "tcp", fromSource: [{ path: "/bin/nc" }], pts: true }] } },
    "spec.network.matchProtocols[0].pts",
  ],
  // capabilities
  ["capability net_raw", KSP, { capabilities: { matchCapabilities: [{ capability: "net_raw" }] } }, "ok"],
  [
    "capability comma list",
    KSP,
    { capabilities: { matchCapabilities: [{ capability: "net_raw,sys_admin" }] } },
    "ok",
  ],
  [
    "capability uppercase",
    KSP,
    { capabilities: { matchCapabilities: [{ capability: "NET_RAW" }] } },
    "spec.capabilities.matchCapabilities[0].capability",
  ],
  [
    "capability missing",
    KSP,
    { capabilities: { matchCapabilities: [{}] } },
    "spec.capabilities.matchCapabilities[0].capability",
  ],
  ...[
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
  ].map(
    (c): Case => [`capability ${c}`, KSP, { capabilities: { matchCapabilities: [{ capability: c }] } }, "ok"],
  ),
  [
    "capability bpf (not in KubeArmor's list)",
    KSP,
    { capabilities: { matchCapabilities: [{ capability: "bpf" }] } },
    "spec.capabilities.matchCapabilities[0].capability",
  ],
  // severity
  ["severity 1", KSP, { severity: 1, ...proc({ path: "/bin/ls" }) }, "ok"],
  ["severity 10", KSP, { severity: 10, ...proc({ path: "/bin/ls" }) }, "ok"],
  ["severity 0", KSP, { severity: 0, ...proc({ path: "/bin/ls" }) }, "spec.severity"],
  ["severity 11", KSP, proc({ path: "/bin/ls", severity: 11 }), "spec.process.matchPaths[0].severity"],
  [
    "severity 2.5",
    KSP,
    { process: { severity: 2.5, matchPaths: [{ path: "/bin/ls" }] } },
    "spec.process.severity",
  ],
  ["severity as string", KSP, { severity: "5", ...proc({ path: "/bin/ls" }) }, "spec.severity"],
  // action
  ["action Allow", KSP, { action: "Allow", ...proc({ path: "/bin/ls" }) }, "ok"],
  ["action Audit", KSP, { action: "Audit", ...proc({ path: "/bin/ls" }) }, "ok"],
  ["action block (lowercase)", KSP, { action: "block", ...proc({ path: "/bin/ls" }) }, "spec.action"],
  ["action Deny", KSP, proc({ path: "/bin/ls", action: "Deny" }), "spec.process.matchPaths[0].action"],
  [
    "syscalls section has no action",
    KSP,
    { syscalls: { action: "Block", matchSyscalls: [{ syscall: ["unlink"] }] } },
    "spec.syscalls.action",
  ],
  [
    "syscall rule has no action",
    KSP,
    { syscalls: { matchSyscalls: [{ syscall: ["unlink"], action: "Audit" }] } },
    "spec.syscalls.matchSyscalls[0].action",
  ],
  // tags / message
  ["tags list", KSP, { tags: ["a", "b"], message: "m", ...proc({ path: "/bin/ls" }) }, "ok"],
  ["tags as string", KSP, { tags: "a", ...proc({ path: "/bin/ls" }) }, "spec.tags"],
  ["message as number", KSP, proc({ path: "/bin/ls", message: 3 }), "spec.process.matchPaths[0].message"],
  // allowedArgs
  [
    "allowedArgs 20 items",
    KSP,
    proc({ path: "/bin/ls", allowedArgs: Array.from({ length: 20 }, (_, i) => `a${i}`) }),
    "ok",
  ],
  [
    "allowedArgs 21 items",
    KSP,
    proc({ path: "/bin/ls", allowedArgs: Array.from({ length: 21 }, (_, i) => `a${i}`) }),
    "spec.process.matchPaths[0].allowedArgs",
  ],
  [
    "allowedArgs on a directory rule (not a field)",
    KSP,
    { process: { matchDirectories: [{ dir: "/bin/", allowedArgs: ["x"] }] } },
    "spec.process.matchDirectories[0].allowedArgs",
  ],
  // booleans
  [
    "ownerOnly/pts/readOnly/recursive booleans",
    KSP,
    {
      file: {
        matchDirectories: [{ dir: "/x/", ownerOnly: true, pts: false, readOnly: true, recursive: true }],
      },
    },
    "ok",
  ],
  [
    "recursive as string",
    KSP,
    { file: { matchDirectories: [{ dir: "/x/", recursive: "true" }] } },
    "spec.file.matchDirectories[0].recursive",
  ],
  [
    "readOnly on process rule (not a field)",
    KSP,
    proc({ path: "/bin/ls", readOnly: true }),
    "spec.process.matchPaths[0].readOnly",
  ],
  [
    "recursive on matchPaths (not a field)",
    KSP,
    fileP({ path: "/etc/x", recursive: true }),
    "spec.file.matchPaths[0].recursive",
  ],
  [
    "fromSource on matchPatterns (not a field)",
    KSP,
    { file: { matchPatterns: [{ pattern: "/etc/*", fromSource: [{ path: "/bin/cat" }] }] } },
    "spec.file.matchPatterns[0].fromSource",
  ],
  // required
  [
    "file.matchPaths without path",
    KSP,
    { file: { matchPaths: [{ readOnly: true }] } },
    "spec.file.matchPaths[0].path",
  ],
  [
    "matchDirectories without dir",
    KSP,
    { file: { matchDirectories: [{ recursive: true }] } },
    "spec.file.matchDirectories[0].dir",
  ],
  [
    "matchPatterns without pattern",
    KSP,
    { process: { matchPatterns: [{}] } },
    "spec.process.matchPatterns[0].pattern",
  ],
  [
    "matchDNSQueries without domain",
    KSP,
    { network: { matchDNSQueries: [{}] } },
    "spec.network.matchDNSQueries[0].domain",
  ],
  ["KSP without selector (selects the whole namespace)", KSP, proc({ path: "/bin/ls" }), "ok"],
  // syscalls enum
  ["every syscall name", KSP, { syscalls: { matchSyscalls: [{ syscall: [...SYSCALLS] }] } }, "ok"],
  [
    "unknown syscall",
    KSP,
    { syscalls: { matchSyscalls: [{ syscall: ["openat2"] }] } },
    "spec.syscalls.matchSyscalls[0].syscall[0]",
  ],
  [
    "syscall fromSource dir (not validated by schema)",
    KSP,
    {
      syscalls: {
        matchSyscalls: [{ syscall: ["unlink"], fromSource: [{ dir: "/usr/bin/", recursive: true }] }],
      },
    },
    "ok",
  ],
  // selectors per kind
  [
    "KSP label In",
    KSP,
    {
      selector: { matchExpressions: [{ key: "label", operator: "In", values: ["a=b"] }] },
      ...proc({ path: "/bin/ls" }),
    },
    "ok",
  ],
  [
    "KSP namespace key (CSP only)",
    KSP,
    {
      selector: { matchExpressions: [{ key: "namespace", operator: "In", values: ["a"] }] },
      ...proc({ path: "/bin/ls" }),
    },
    "spec.selector.matchExpressions[0].key",
  ],
  [
    "KSP operator Exists",
    KSP,
    {
      selector: { matchExpressions: [{ key: "label", operator: "Exists", values: ["a=b"] }] },
      ...proc({ path: "/bin/ls" }),
    },
    "spec.selector.matchExpressions[0].operator",
  ],
  [
    "KSP matchLabels non-string value",
    KSP,
    { selector: { matchLabels: { a: 1 } }, ...proc({ path: "/bin/ls" }) },
    "spec.selector.matchLabels.a",
  ],
  [
    "CSP namespace NotIn",
    CSP,
    {
      selector: { matchExpressions: [{ key: "namespace", operator: "NotIn", values: ["a"] }] },
      ...proc({ path: "/bin/ls" }),
    },
    "ok",
  ],
  [
    "CSP matchLabels (not a field)",
    CSP,
    { selector: { matchLabels: { a: "b" } }, ...proc({ path: "/bin/ls" }) },
    "spec.selector.matchLabels",
  ],
  [
    "CSP nodeSelector (not a field)",
    CSP,
    { nodeSelector: { matchLabels: { a: "b" } }, ...proc({ path: "/bin/ls" }) },
    "spec.nodeSelector",
  ],
  [
    "HSP without nodeSelector",
    HSP,
    { nodeSelector: undefined, ...proc({ path: "/bin/ls" }) },
    "spec.nodeSelector",
  ],
  [
    "HSP selector (not a field)",
    HSP,
    { selector: { matchLabels: { a: "b" } }, ...proc({ path: "/bin/ls" }) },
    "spec.selector",
  ],
  [
    "HSP presets (not a field)",
    HSP,
    { presets: [{ name: "exec" }], ...proc({ path: "/bin/ls" }) },
    "spec.presets",
  ],
  ["KSP device (HSP only)", KSP, { device: { matchDevice: [{ class: "MASS-STORAGE" }] } }, "spec.device"],
  // HSP fromSource required
  [
    "HSP network without fromSource",
    HSP,
    { network: { matchProtocols: [{ protocol: "tcp" }] } },
    "spec.network.matchProtocols[0].fromSource",
  ],
  [
    "HSP capability without fromSource",
    HSP,
    { capabilities: { matchCapabilities: [{ capability: "net_raw" }] } },
    "spec.capabilities.matchCapabilities[0].fromSource",
  ],
  [
    "HSP network with fromSource",
    HSP,
    { network: { matchProtocols: [{ protocol: "tcp", fromSource: [{ path: "/bin/nc" }] }] } },
    "ok",
  ],
  ["KSP network without fromSource", KSP, { network: { matchProtocols: [{ protocol: "tcp" }] } }, "ok"],
  // device
  ["device class MASS-STORAGE", HSP, { device: { matchDevice: [{ class: "MASS-STORAGE" }] } }, "ok"],
  [
    "device without class",
    HSP,
    { device: { matchDevice: [{ level: 1 }] } },
    "spec.device.matchDevice[0].class",
  ],
  [
    "device level 0",
    HSP,
    { device: { matchDevice: [{ class: "HID", level: 0 }] } },
    "spec.device.matchDevice[0].level",
  ],
  [
    "device subClass int32 max",
    HSP,
    { device: { matchDevice: [{ class: "HID", subClass: 2147483647 }] } },
    "ok",
  ],
  [
    "device subClass beyond int32",
    HSP,
    { device: { matchDevice: [{ class: "HID", subClass: 2147483648 }] } },
    "spec.device.matchDevice[0].subClass",
  ],
  [
    "device protocol as string",
    HSP,
    { device: { matchDevice: [{ class: "HID", protocol: "2" }] } },
    "spec.device.matchDevice[0].protocol",
  ],
  // presets / apparmor / status
  ["presets with action", KSP, { presets: [{ name: "filelessExec", action: "Block" }] }, "ok"],
  [
    "preset action lowercase",
    KSP,
    { presets: [{ name: "filelessExec", action: "audit" }] },
    "spec.presets[0].action",
  ],
  ["apparmor as list", KSP, { apparmor: ["deny /x r,"] }, "spec.apparmor"],
];

describe("KubeArmor CRD constraints (table)", () => {
  for (const [name, kind, spec, expect] of CASES) {
    it(`${kind}: ${name} → ${expect === "ok" ? "accepted" : `rejected at ${expect}`}`, () => {
      const cleaned = JSON.parse(JSON.stringify(spec)) as Obj;
      const obj = policy(kind, cleaned, "p", kind === "KubeArmorPolicy" ? "default" : undefined);
      if (kind === "KubeArmorHostPolicy" && "nodeSelector" in spec && spec.nodeSelector === undefined)
        delete (obj.spec as Obj).nodeSelector;
      const r = check(obj);
      if (expect === "ok") {
        assert.deepEqual(r.errors, [], describeProblems(r.errors));
        assert.ok(r.policy);
      } else {
        assert.equal(r.policy, undefined);
        assert.ok(
          r.errors.some(p => p.path === expect),
          `expected an error at ${expect}, got:\n${describeProblems(r.problems)}`,
        );
        for (const p of r.errors) assert.ok(p.message.length > 0);
      }
    });
  }

  it("status.status is a string; other status fields are unknown", () => {
    assert.equal(
      check({ ...policy(KSP, proc({ path: "/bin/ls" })), status: { status: "OK" } }).errors.length,
      0,
    );
    assert.ok(
      check({ ...policy(KSP, proc({ path: "/bin/ls" })), status: { status: 1 } }).errors.some(
        p => p.path === "status.status",
      ),
    );
  });

  it("apiVersion and metadata are checked", () => {
    const bad = { ...policy(KSP, proc({ path: "/bin/ls" })), apiVersion: "security.kubearmor.com/v2" };
    assert.ok(check(bad).errors.some(p => p.path === "apiVersion"));
    const noName = { ...policy(KSP, proc({ path: "/bin/ls" })), metadata: {} };
    assert.ok(check(noName).errors.some(p => p.path === "metadata.name"));
    const badName = { ...policy(KSP, proc({ path: "/bin/ls" })), metadata: { name: "Bad_Name" } };
    assert.ok(check(badName).errors.some(p => p.path === "metadata.name"));
    const badNs = {
      ...policy(KSP, proc({ path: "/bin/ls" })),
      metadata: { name: "a", namespace: "Not Valid" },
    };
    assert.ok(check(badNs).errors.some(p => p.path === "metadata.namespace"));
    const noSpec = { apiVersion: "security.kubearmor.com/v1", kind: KSP, metadata: { name: "a" } };
    assert.ok(check(noSpec).errors.some(p => p.path === "spec"));
  });

  it("a namespace on a cluster-scoped kind is a warning", () => {
    const r = check(policy(CSP, proc({ path: "/bin/ls" }), "p", "default"));
    assert.equal(r.errors.length, 0);
    assert.ok(r.problems.some(p => p.level === "warning" && p.path === "metadata.namespace"));
  });
});
