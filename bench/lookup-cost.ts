// SPDX-License-Identifier: Apache-2.0
//
// Cost of one in-kernel decision (bpf/include/decide.h) measured by BPF_PROG_TEST_RUN with a
// repeat count (the kernel times the runs itself; no syscall overhead in the figure). Rule sets
// come from Rampart's BPF compiler.
//
//   node --import tsx bench/lookup-cost.ts [--repeat 200000]
// Needs root.
import { compileBpf, toBinary } from "../enforcer/compilers/bpf/compile.js";
import { dir, effective, file, path, pattern, proc } from "../enforcer/compilers/fixtures.js";
import type { EffectivePolicy } from "../enforcer/model/types.js";
import { DecideHarness } from "../native/index.js";

function ruleSet(p: EffectivePolicy): {
  workload: Buffer;
  rules: Buffer;
  globAnchors: Buffer;
  globs: Buffer;
} {
  const r = compileBpf(p);
  if (!r.ok) throw new Error("compile failed");
  const b = toBinary(r.value);
  const cat = (es: Array<{ key: Buffer; value: Buffer }>): Buffer =>
    Buffer.concat(es.flatMap(e => [e.key, e.value]));
  return { workload: b.workload, rules: cat(b.rules), globAnchors: cat(b.anchors), globs: cat(b.globs) };
}

const deep = "/" + Array.from({ length: 20 }, (_, i) => `d${i}`).join("/");
const long = "/" + Array.from({ length: 60 }, (_, i) => `component-${i}`).join("/");

const scenarios: Array<{ name: string; policy: EffectivePolicy; category: string; path: string }> = [
  {
    name: "exact path, match (file)",
    policy: effective([file("Block", path("/etc/shadow"))]),
    category: "file",
    path: "/etc/shadow",
  },
  {
    name: "exact path, miss (file)",
    policy: effective([file("Block", path("/etc/shadow"))]),
    category: "file",
    path: "/etc/passwd",
  },
  {
    name: "exec path, match",
    policy: effective([proc("Block", path("/usr/bin/id"))]),
    category: "process",
    path: "/usr/bin/id",
  },
  {
    name: "deep dir: rule at depth 1, file at depth 21",
    policy: effective([file("Block", dir("/d0/", true))]),
    category: "file",
    path: `${deep}/f`,
  },
  {
    name: "deep dir: 20 rules on every level, depth 21",
    policy: effective(
      Array.from({ length: 20 }, (_, i) =>
        file(
          "Block",
          dir(
            deep
              .split("/")
              .slice(0, i + 2)
              .join("/") + "/",
            true,
          ),
        ),
      ),
    ),
    category: "file",
    path: `${deep}/f`,
  },
  {
    name: `long path (${long.length + 2} B, 61 components), dir rule miss`,
    policy: effective([file("Block", dir("/component-0/x/", true))]),
    category: "file",
    path: `${long}/f`,
  },
  {
    name: "glob /etc/*.conf, match",
    policy: effective([file("Block", pattern("/etc/*.conf"))]),
    category: "file",
    path: "/etc/resolv.conf",
  },
  {
    name: "glob /srv/**/secret-?.key, match at depth 8",
    policy: effective([file("Block", pattern("/srv/**/secret-?.key"))]),
    category: "file",
    path: "/srv/a/b/c/d/e/f/secret-1.key",
  },
  {
    name: "no rules for the category (early exit)",
    policy: effective([proc("Block", path("/usr/bin/id"))]),
    category: "file",
    path: "/etc/passwd",
  },
];

function main(): void {
  const i = process.argv.indexOf("--repeat");
  const repeat = i > 0 ? Number(process.argv[i + 1]) : 200000;
  const h = DecideHarness.open(`/sys/fs/bpf/rampart-bench-lookup-${process.pid}`);
  try {
    console.log(`lookup-cost: ns per decision (BPF_PROG_TEST_RUN, repeat ${repeat}, median of 5)`);
    scenarios.forEach((s, k) => {
      const wl = BigInt(k + 1);
      h.apply(wl, ruleSet(s.policy));
      const input = {
        workload: wl,
        category: s.category,
        slot: 0,
        path: Buffer.from(s.path),
        sourceHash: 0n,
        repeat,
      };
      const verdict = h.decide({ ...input, repeat: 1 }).verdict;
      const runs = Array.from({ length: 5 }, () => h.decide(input).durationNs).sort((a, b) => a - b);
      console.log(`  ${String(runs[2]).padStart(6)} ns  ${s.name} (verdict ${verdict})`);
    });
  } finally {
    h.close();
  }
}

main();
