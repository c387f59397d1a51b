// SPDX-License-Identifier: Apache-2.0
//
// Every example policy compiles for every target it applies to, through the real policy model:
// examples/policies + examples/host, resolved against examples/workloads.yaml (and each policy on
// its own). AppArmor output goes through apparmor_parser, SELinux output through secilc, and the
// BPF entries through the oracle-equivalence check with events aimed at each policy's rules.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  readWorkloads,
  resolveEffective,
  validateText,
  type EffectivePolicy,
  type NormalizedPolicy,
} from "../model/index.js";
import { compileAppArmor } from "./apparmor.js";
import { compileBpf, decodeEntries, toBinary } from "./bpf/compile.js";
import { buildMaps, lookupModel } from "./bpf/lookup.js";
import { generateEvents, rng } from "./bpf/cases.js";
import { decide } from "./oracle.js";
import { compileSELinux } from "./selinux.js";
import { standaloneEffective } from "./standalone.js";
import { apparmorParse, secilcCheck } from "./testing-tools.js";

const ROOT = resolve(import.meta.dirname, "../..");

function examplePolicies(): NormalizedPolicy[] {
  const out: NormalizedPolicy[] = [];
  for (const d of ["examples/policies", "examples/host"]) {
    for (const f of readdirSync(join(ROOT, d))
      .filter(f => /\.ya?ml$/.test(f))
      .sort()) {
      const r = validateText(readFileSync(join(ROOT, d, f), "utf8"), `${d}/${f}`);
      const errs = r.problems.filter(p => p.level === "error");
      assert.deepEqual(errs, [], `${d}/${f} is valid`);
      out.push(...r.policies);
    }
  }
  return out;
}

function effectivePolicies(): EffectivePolicy[] {
  const policies = examplePolicies();
  const w = readWorkloads(
    readFileSync(join(ROOT, "examples/workloads.yaml"), "utf8"),
    "examples/workloads.yaml",
  );
  const resolved = resolveEffective(policies, w);
  return [...resolved, ...policies.map(p => standaloneEffective(p))];
}

test("examples: every effective policy compiles for AppArmor, BPF and (hosts) SELinux; real tools accept them", () => {
  const all = effectivePolicies();
  assert.ok(all.length > 10, `${all.length} effective policies`);
  let pairs = 0;
  let hosts = 0;
  all.forEach((e, i) => {
    const label = `${e.target.kind === "host" ? e.target.hostname : `${e.target.namespace}/${e.target.pod}/${e.target.container}`} (${e.policies.map(p => p.name).join(",")})`;
    const aa = compileAppArmor(e);
    if (!aa.ok) assert.fail(`${label}: AppArmor: ${JSON.stringify(aa.errors)}`);
    apparmorParse(aa.value.text);
    const bpf = compileBpf(e);
    if (!bpf.ok) assert.fail(`${label}: BPF: ${JSON.stringify(bpf.errors)}`);
    const maps = buildMaps(decodeEntries(toBinary(bpf.value)));
    for (const ev of generateEvents(e.rules, rng(1000 + i), 200)) {
      const want = decide(e, ev);
      const got = lookupModel(maps, ev);
      assert.deepEqual(
        { v: got.verdict, id: got.ruleId, p: got.defaultPosture },
        {
          v: want.verdict,
          id: want.ruleIndex !== undefined ? want.ruleIndex + 1 : 0,
          p: want.defaultPosture,
        },
        `${label}: ${JSON.stringify(ev)} (${want.reason})`,
      );
      pairs++;
    }
    if (e.target.kind === "host") {
      hosts++;
      const se = compileSELinux(e);
      if (!se.ok) assert.fail(`${label}: SELinux: ${JSON.stringify(se.errors)}`);
      secilcCheck(se.value.cil);
    }
  });
  assert.ok(hosts > 0, "host policies were compiled for SELinux");
  console.log(`examples: ${all.length} effective policies (${hosts} hosts), ${pairs} oracle/BPF pairs agree`);
});
