// SPDX-License-Identifier: Apache-2.0
//
// The in-kernel decision (bpf/include/decide.h) against the BPF compiler's >= 10,000 generated
// equivalence cases (enforcer/compilers/bpf/cases.ts), through BPF_PROG_TEST_RUN on this
// kernel: for every case the kernel's verdict, rule id, default posture and would-block flag
// equal the oracle's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { caseFile } from "../../enforcer/compilers/bpf/cases.js";
import { DecideHarness } from "../../native/index.js";
import { toInput, toRuleSet, type CaseFile } from "./decide-cases.js";

const POSTURE = ["", "file", "network", "capabilities"];

test("decide.h equals the oracle on the compiler's generated cases (BPF_PROG_TEST_RUN)", t => {
  const cases = caseFile(20261123, 600, 20) as CaseFile;
  const h = DecideHarness.open(`/sys/fs/bpf/rampart-host-decide-${process.pid}`);
  let total = 0;
  const failures: string[] = [];
  try {
    cases.workloads.forEach((w, i) => {
      const wl = BigInt(1 + i);
      h.apply(wl, toRuleSet(w.entries));
      for (const c of w.events) {
        total++;
        const got = h.decide(toInput(wl, c));
        const e = c.expected;
        const gotPosture = POSTURE[got.posture] || null;
        if (
          got.verdict !== e.verdict ||
          got.ruleId !== e.ruleId ||
          gotPosture !== e.defaultPosture ||
          got.wouldBlock !== e.wouldBlock
        ) {
          failures.push(
            `#${i} ${JSON.stringify(c.event)} kernel=${JSON.stringify(got)} expected=${JSON.stringify(e)}`,
          );
        }
      }
      assert.equal(h.remove(wl), true);
    });
  } finally {
    h.close();
  }
  t.diagnostic(`decide cases: ${total - failures.length} of ${total} equal to the oracle`);
  assert.ok(total >= 10000, `only ${total} cases generated`);
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${total} cases differ`);
});

test("fail closed: an unresolvable path under a block posture is denied, flagged truncated", () => {
  const cases = caseFile(7, 40, 5) as CaseFile;
  const h = DecideHarness.open(`/sys/fs/bpf/rampart-host-decide-fc-${process.pid}`);
  try {
    // Find a workload with file rules (HAS_FILE = 1 << 8 in rampart_workload.flags).
    const w = cases.workloads.find(x => Buffer.from(x.entries.workload, "hex").readUInt32LE(4) & (1 << 8));
    assert.ok(w, "a generated workload with file rules");
    h.apply(5n, toRuleSet(w.entries));
    const long = Buffer.from("/" + "d/".repeat(2100) + "f");
    const got = h.decide({
      workload: 5n,
      category: "file",
      slot: 0,
      path: long,
      truncated: false,
      sourceHash: 0n,
    });
    assert.deepEqual([got.verdict, got.truncated, got.ruleId], [3, true, 0]);
    const cut = h.decide({
      workload: 5n,
      category: "file",
      slot: 0,
      path: Buffer.from("/x/y"),
      truncated: true,
      sourceHash: 0n,
    });
    assert.deepEqual([cut.verdict, cut.truncated], [3, true]);
    // A workload without rules is not enforced at all.
    assert.equal(
      h.decide({ workload: 6n, category: "file", slot: 0, path: long, sourceHash: 0n }).verdict,
      1,
    );
  } finally {
    h.close();
  }
});
