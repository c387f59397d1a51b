// SPDX-License-Identifier: Apache-2.0
//
// Compiler benchmark: compile 1,000 containers × 50 rules to BPF entries and to AppArmor profiles
// (goal ≤ 1 s each), and time the real apparmor_parser on a 1,000-rule profile. Prints medians.
//   node --import tsx bench/compile.ts [rounds]

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EffectivePolicy, Rule } from "../enforcer/model/types.js";
import { compileAppArmor } from "../enforcer/compilers/apparmor.js";
import { compileBpf, toBinary } from "../enforcer/compilers/bpf/compile.js";
import { cap, dir, effective, file, net, path, pattern, proc } from "../enforcer/compilers/fixtures.js";

function rules(container: number, n: number): Rule[] {
  const out: Rule[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    const p = `/srv/app${container}/data/d${i}/file${i}.txt`;
    const src = i % 7 === 0 ? { fromSource: [`/usr/bin/tool${i % 3}`] } : {};
    if (k < 4) out.push(file(i % 3 ? "Block" : "Allow", path(p), { ...src, readOnly: i % 5 === 0 }));
    else if (k < 6) out.push(file("Block", dir(`/srv/app${container}/d${i}/`, i % 2 === 0), src));
    else if (k === 6) out.push(proc("Block", path(`/usr/bin/bin${i}`), src));
    else if (k === 7) out.push(file("Block", pattern(`/etc/app${i}/*.conf`)));
    else if (k === 8) out.push(net("Block", i % 2 ? "raw" : "icmp"));
    else out.push(cap("Block", "net_raw"));
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void, rounds: number): number {
  const t: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const s = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  return median(t);
}

const rounds = Number(process.argv[2] ?? 5);
const policies: EffectivePolicy[] = Array.from({ length: 1000 }, (_, c) =>
  effective(rules(c, 50), { container: `c${c}` }),
);

const bpfMs = time(() => {
  for (const p of policies) {
    const r = compileBpf(p);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    toBinary(r.value);
  }
}, rounds);
const aaMs = time(() => {
  for (const p of policies) {
    const r = compileAppArmor(p);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
  }
}, rounds);
console.log(
  `compile 1,000 containers × 50 rules → BPF entries (+ byte encoding): median ${bpfMs.toFixed(0)} ms over ${rounds} rounds`,
);
console.log(
  `compile 1,000 containers × 50 rules → AppArmor profiles:            median ${aaMs.toFixed(0)} ms over ${rounds} rounds`,
);

// apparmor_parser on one 1,000-rule profile (no fromSource children) and with 3 children.
for (const withSources of [false, true]) {
  const big = effective(
    Array.from({ length: 1000 }, (_, i) =>
      i % 2
        ? file(
            "Block",
            path(`/srv/data/d${i % 50}/f${i}.txt`),
            withSources && i % 100 === 1 ? { fromSource: [`/usr/bin/tool${i % 3}`] } : {},
          )
        : proc("Block", path(`/usr/local/bin/b${i}`)),
    ),
  );
  const r = compileAppArmor(big);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const d = mkdtempSync(join(tmpdir(), "rampart-bench-"));
  try {
    const f = join(d, "profile");
    writeFileSync(f, r.value.text);
    const ms = time(() => {
      const p = spawnSync("/usr/sbin/apparmor_parser", ["-Q", "--skip-kernel-load", "-K", f], {
        encoding: "utf8",
      });
      if (p.status !== 0) throw new Error(p.stderr);
    }, rounds);
    console.log(
      `apparmor_parser -Q -K, 1,000-rule profile${withSources ? ` + ${r.value.children.length} fromSource children` : ""}: median ${ms.toFixed(0)} ms over ${rounds} rounds`,
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
