// SPDX-License-Identifier: Apache-2.0
//
// Property/fuzz test: ≥100,000 mutated or generated policies through validatePolicyObject.
// Properties: never throws, terminates (test timeout), every problem has a JSON path (or ""
// for the document root) and a non-empty one-line reason, `policy` is set iff no error, and
// no accepted policy carries a string that could inject AppArmor/SELinux syntax.
// Deterministic (seeded PRNG) so a failure reproduces; set RAMPART_FUZZ_SEED to explore.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseDocuments } from "./parse.js";
import { formatProblem, validatePolicyObject } from "./validate.js";
import type { NormalizedPolicy, Problem } from "./types.js";

const ROOT = join(import.meta.dirname, "..", "..");
const SEED = Number(process.env.RAMPART_FUZZ_SEED ?? 20261123);
const MUTATIONS = Number(process.env.RAMPART_FUZZ_N ?? 100_000);

function corpus(): unknown[] {
  const out: unknown[] = [];
  for (const dir of ["examples/policies", "examples/host", "examples/invalid"]) {
    for (const f of readdirSync(join(ROOT, dir)).sort()) {
      for (const d of parseDocuments(readFileSync(join(ROOT, dir, f), "utf8"), f))
        if (d.object !== undefined) out.push(d.object);
    }
  }
  return out;
}

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY_STRINGS = [
  "",
  " ",
  "/",
  "//",
  "/bin/ls",
  "/bin/ls/",
  "/etc/",
  "/etc",
  "bin/ls",
  "/a b",
  "/a\nb",
  "/a\u0000",
  '/a"b',
  "/a'b",
  "/a,b",
  "/{a,b}",
  "/[ab]",
  "/a#b",
  "/^a",
  "/a\\b",
  "/a*",
  "/a?",
  "/../etc",
  "/./x",
  "/a->b",
  "/é",
  "\u202e/x",
  "tcp",
  "TCP",
  "xtcp",
  "tcp,udp",
  ",tcp",
  "tcp,",
  "Tcp",
  "icmpv6",
  "all",
  "net_raw",
  "cap_net_raw",
  "NET_RAW",
  "net_raw,sys_admin",
  "Allow",
  "Audit",
  "Block",
  "block",
  "allow",
  "",
  "In",
  "NotIn",
  "Exists",
  "label",
  "namespace",
  "unlink",
  "openat2",
  "MASS-STORAGE",
  "0x08",
  "999",
  "[c1,c2]",
  "[]",
  "[,,]",
  "*",
  "node-*",
  "a=b",
  "a",
  "deny /etc/{*,**} rw,",
  "}\n",
  "profile x {",
  "#include <x>",
  "/bin/sh px,",
  "change_profile -> x,",
  "google.com",
  "a..b",
  "x".repeat(201),
  "/" + "y".repeat(250),
  "__proto__",
  "constructor",
  "toString",
  "security.kubearmor.com/v1",
  "KubeArmorPolicy",
  "KubeArmorClusterPolicy",
  "KubeArmorHostPolicy",
  "Pod",
];
const KEYS = [
  "path",
  "dir",
  "execname",
  "pattern",
  "recursive",
  "ownerOnly",
  "readOnly",
  "pts",
  "fromSource",
  "allowedArgs",
  "action",
  "severity",
  "tags",
  "message",
  "protocol",
  "capability",
  "domain",
  "syscall",
  "matchPaths",
  "matchDirectories",
  "matchPatterns",
  "matchProtocols",
  "matchCapabilities",
  "matchSyscalls",
  "matchDNSQueries",
  "process",
  "file",
  "network",
  "capabilities",
  "syscalls",
  "selector",
  "nodeSelector",
  "matchLabels",
  "matchExpressions",
  "key",
  "operator",
  "values",
  "apparmor",
  "presets",
  "name",
  "device",
  "matchDevice",
  "class",
  "level",
  "subClass",
  "bogus",
  "__proto__",
  "spec",
  "metadata",
  "kind",
  "apiVersion",
  "status",
  "namespace",
];

function randomValue(rnd: () => number, depth = 0): unknown {
  const r = rnd();
  if (r < 0.45) return NASTY_STRINGS[Math.floor(rnd() * NASTY_STRINGS.length)];
  if (r < 0.55) return Math.floor(rnd() * 40) - 10;
  if (r < 0.6) return [0.5, 1e309, -0, 2147483648, Number.NaN][Math.floor(rnd() * 5)];
  if (r < 0.68) return rnd() < 0.5;
  if (r < 0.72) return null;
  if (r < 0.86 && depth < 3)
    return Array.from({ length: Math.floor(rnd() * 3) }, () => randomValue(rnd, depth + 1));
  if (depth < 3) {
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rnd() * 3); i > 0; i--)
      o[KEYS[Math.floor(rnd() * KEYS.length)]] = randomValue(rnd, depth + 1);
    return o;
  }
  return String.fromCharCode(Math.floor(rnd() * 0x250));
}

/** Collect every (container, key) slot of a tree. */
function slots(root: unknown): Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> {
  const out: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach((v, i) => (out.push({ parent: n, key: i }), visit(v)));
    else if (n && typeof n === "object")
      for (const [k, v] of Object.entries(n)) {
        out.push({ parent: n as Record<string, unknown>, key: k });
        visit(v);
      }
  };
  visit(root);
  return out;
}

function mutate(seed: unknown, rnd: () => number): unknown {
  const obj = structuredClone(seed);
  const n = 1 + Math.floor(rnd() * 3);
  for (let i = 0; i < n; i++) {
    const all = slots(obj);
    if (!all.length) return randomValue(rnd);
    const { parent, key } = all[Math.floor(rnd() * all.length)];
    const op = rnd();
    const p = parent as Record<string | number, unknown>;
    if (op < 0.5) p[key] = randomValue(rnd);
    else if (op < 0.65) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete p[key];
    } else if (op < 0.8) {
      const target = p[key];
      if (target && typeof target === "object" && !Array.isArray(target))
        (target as Record<string, unknown>)[KEYS[Math.floor(rnd() * KEYS.length)]] = randomValue(rnd);
      else p[key] = randomValue(rnd);
    } else if (op < 0.9) {
      const target = p[key];
      if (Array.isArray(target) && target.length)
        target.push(structuredClone(target[Math.floor(rnd() * target.length)]));
      else p[key] = NASTY_STRINGS[Math.floor(rnd() * NASTY_STRINGS.length)];
    } else {
      // swap in a value from elsewhere in the tree (type confusion between fields)
      const other = all[Math.floor(rnd() * all.length)];
      p[key] = structuredClone((other.parent as Record<string | number, unknown>)[other.key]);
    }
  }
  return obj;
}

const PATH_RE = /^(|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*)$/;
const UNSAFE = /["'`,{}[\]#^\\*?\s\u0000-\u001f\u007f]|->|\/\.\.?(\/|$)|\/\//;

function checkInvariants(obj: unknown, r: { policy?: NormalizedPolicy; problems: Problem[] }): void {
  const errors = r.problems.filter(p => p.level === "error");
  assert.equal(r.policy !== undefined, errors.length === 0, "policy iff no errors");
  for (const p of r.problems) {
    assert.equal(typeof p.path, "string");
    assert.match(p.path, PATH_RE, `bad path ${JSON.stringify(p.path)}`);
    assert.ok(typeof p.message === "string" && p.message.trim().length > 0, "reason");
    const line = formatProblem(p);
    assert.ok(!line.includes("\n"), "one line");
  }
  if (!r.policy) return;
  for (const rule of r.policy.rules) {
    if (rule.category === "process" || rule.category === "file") {
      const m = rule.match;
      if (m.type === "path") assert.doesNotMatch(m.path, UNSAFE, m.path);
      if (m.type === "dir") assert.doesNotMatch(m.dir.slice(0, -1) || "/x", UNSAFE, m.dir);
      if (m.type === "execname") assert.doesNotMatch(m.name, UNSAFE, m.name);
      if (m.type === "pattern") assert.doesNotMatch(m.pattern, /["'`#\\\s\u0000-\u001f]/, m.pattern);
      for (const s of rule.fromSource) assert.doesNotMatch(s, UNSAFE, s);
    }
    if (rule.category === "network")
      assert.ok(
        [
          "tcp",
          "udp",
          "icmp",
          "icmpv6",
          "raw",
          "sctp",
          "stream",
          "dgram",
          "rdm",
          "seqpacket",
          "dccp",
          "packet",
          "all",
        ].includes(rule.protocol),
      );
    if (rule.category === "capabilities") assert.match(rule.capability, /^[a-z_]+$/);
  }
  if (r.policy.apparmor !== undefined)
    for (const l of r.policy.apparmor
      .split("\n")
      .map(s => s.trim())
      .filter(s => s && !s.startsWith("# ")))
      assert.ok(l.endsWith(","), l);
  void obj;
}

describe("fuzz: validatePolicyObject", { timeout: 600_000 }, () => {
  const seeds = corpus();

  it(`${MUTATIONS} seeded mutations of the example policies`, () => {
    assert.ok(seeds.length >= 20);
    const rnd = prng(SEED);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < MUTATIONS; i++) {
      const obj = mutate(seeds[i % seeds.length], rnd);
      let r;
      try {
        r = validatePolicyObject(obj, { file: "fuzz.yaml", document: i + 1 }, { strict: i % 7 === 0 });
      } catch (err) {
        assert.fail(
          `threw on mutation ${i} (seed ${SEED}): ${String(err)}\n${JSON.stringify(obj).slice(0, 2000)}`,
        );
      }
      checkInvariants(obj, r);
      if (r.policy) accepted++;
      else rejected++;
    }
    process.stdout.write(`# fuzz: ${accepted} accepted, ${rejected} rejected (seed ${SEED})\n`);
    assert.ok(
      accepted > MUTATIONS / 100 && rejected > MUTATIONS / 100,
      `poor mix: ${accepted} accepted, ${rejected} rejected`,
    );
  });

  it("fast-check: arbitrary JSON values and policy-shaped objects", () => {
    const str = fc.oneof(
      fc.constantFrom(...NASTY_STRINGS),
      fc.string({ maxLength: 30 }),
      fc.string({ unit: "binary", maxLength: 10 }),
    );
    const rule = fc.dictionary(
      fc.constantFrom(...KEYS),
      fc.oneof(
        str,
        fc.integer(),
        fc.boolean(),
        fc.array(fc.oneof(str, fc.record({ path: str })), { maxLength: 3 }),
      ),
      { maxKeys: 5 },
    );
    const section = fc.record(
      {
        matchPaths: fc.array(rule, { maxLength: 3 }),
        matchDirectories: fc.array(rule, { maxLength: 2 }),
        action: str,
      },
      { requiredKeys: [] },
    );
    const policyArb = fc.record({
      apiVersion: fc.constantFrom("security.kubearmor.com/v1", "v1"),
      kind: fc.constantFrom("KubeArmorPolicy", "KubeArmorClusterPolicy", "KubeArmorHostPolicy", "Pod"),
      metadata: fc.record({ name: str, namespace: str }, { requiredKeys: [] }),
      spec: fc.record(
        {
          process: section,
          file: section,
          network: fc.record({ matchProtocols: fc.array(rule, { maxLength: 3 }) }, { requiredKeys: [] }),
          capabilities: fc.record(
            { matchCapabilities: fc.array(rule, { maxLength: 3 }) },
            { requiredKeys: [] },
          ),
          apparmor: str,
          selector: fc.anything({ maxDepth: 2 }),
          nodeSelector: fc.record({ matchLabels: fc.dictionary(str, str, { maxKeys: 2 }) }),
          action: str,
          severity: fc.oneof(fc.integer(), fc.double()),
        },
        { requiredKeys: [] },
      ),
    });
    fc.assert(
      fc.property(fc.oneof(policyArb, fc.anything({ maxDepth: 4 })), obj => {
        const r = validatePolicyObject(obj, { file: "fc.yaml", document: 1 });
        checkInvariants(obj, r);
      }),
      { numRuns: 10_000, seed: SEED },
    );
  });
});
