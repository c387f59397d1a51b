// SPDX-License-Identifier: Apache-2.0
//
// The BPF compiler + kernel-lookup model agree with the oracle: ≥ 10,000 generated (policy, event)
// pairs, through the byte encoding (compile → toBinary → decodeEntries → lookupModel).

import { test } from "node:test";
import assert from "node:assert/strict";
import { decide } from "../oracle.js";
import { generateCases } from "./cases.js";
import { compileBpf, decodeEntries, toBinary } from "./compile.js";
import { buildMaps, lookupModel } from "./lookup.js";

test("lookupModel(decode(compile(policy)), event) == oracle(policy, event) on 12,000 generated pairs", () => {
  const cases = generateCases(20261123, 600, 20);
  let pairs = 0;
  let compiled = 0;
  const verdicts = { Allow: 0, Audit: 0, Block: 0 };
  let byRule = 0;
  let byPosture = 0;
  for (const c of cases) {
    const res = compileBpf(c.policy);
    if (!res.ok)
      assert.fail(`compile failed: ${JSON.stringify(res.errors)}\n${JSON.stringify(c.policy.rules)}`);
    compiled++;
    const bin = toBinary(res.value);
    for (const list of [bin.rules, bin.anchors, bin.globs]) {
      const keys = new Set(list.map(e => e.key.toString("hex")));
      assert.equal(keys.size, list.length, "every map key is emitted once");
    }
    const maps = buildMaps(decodeEntries(bin));
    for (const ev of c.events) {
      const want = decide(c.policy, ev);
      const got = lookupModel(maps, ev);
      const w = {
        verdict: want.verdict,
        ruleId: want.ruleIndex !== undefined ? want.ruleIndex + 1 : 0,
        defaultPosture: want.defaultPosture,
        wouldBlock: want.wouldBlock ?? false,
      };
      const g = {
        verdict: got.verdict,
        ruleId: got.ruleId,
        defaultPosture: got.defaultPosture,
        wouldBlock: got.wouldBlock ?? false,
      };
      if (JSON.stringify(w) !== JSON.stringify(g)) {
        assert.fail(
          `mismatch\nrules: ${JSON.stringify(
            c.policy.rules.map(r => ({ ...r, origin: undefined })),
            null,
            0,
          )}\nstate: ${c.policy.state} postures ${JSON.stringify(c.policy.postures)} allowList ${JSON.stringify(c.policy.allowList)}\nevent: ${JSON.stringify(ev)}\noracle: ${JSON.stringify(w)} (${want.reason})\nmodel:  ${JSON.stringify(g)}`,
        );
      }
      pairs++;
      verdicts[want.verdict]++;
      if (want.rule) byRule++;
      if (want.defaultPosture) byPosture++;
    }
  }
  assert.ok(pairs >= 10_000);
  // The generator must exercise every outcome, or the agreement proves little.
  assert.ok(verdicts.Allow > 500 && verdicts.Audit > 500 && verdicts.Block > 500, JSON.stringify(verdicts));
  assert.ok(byRule > 3000 && byPosture > 500, `${byRule} ${byPosture}`);
  console.log(
    `equivalence: ${pairs} pairs over ${compiled} policies; verdicts ${JSON.stringify(verdicts)}; decided by rule ${byRule}, by posture ${byPosture}`,
  );
});
