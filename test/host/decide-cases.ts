// SPDX-License-Identifier: Apache-2.0
//
// Replays the BPF compiler's generated equivalence cases (enforcer/compilers/bpf/cases.ts:
// byte-exact rule-map entries + kernel inputs + the oracle's expected outcome) through the real
// in-kernel decision code (bpf/include/decide.h) with BPF_PROG_TEST_RUN.
//
//   node --import tsx test/host/decide-cases.ts CASES.json
// Prints "decide-cases: N passed, M failed" and the first failures; exit 1 on any failure.
import { readFileSync } from "node:fs";
import { DecideHarness, type DecideInput, type RuleSet } from "../../native/index.js";

export interface HexEntry {
  key: string;
  value: string;
}
export interface CaseEvent {
  event: { truncated?: boolean; path?: string };
  kernel: {
    category: string;
    path?: string;
    source_hash: string;
    slot: number;
    ip_protocol?: number;
    sock_type?: number;
    capability?: number;
  };
  expected: { verdict: number; ruleId: number; defaultPosture: string | null; wouldBlock: boolean };
}
export interface CaseFile {
  format: string;
  workloads: Array<{
    entries: { workload: string; rules: HexEntry[]; anchors: HexEntry[]; globs: HexEntry[] };
    events: CaseEvent[];
  }>;
}

const POSTURE = ["", "file", "network", "capabilities"];

const concat = (es: HexEntry[]): Buffer =>
  Buffer.concat(es.map(e => Buffer.concat([Buffer.from(e.key, "hex"), Buffer.from(e.value, "hex")])));

export function toRuleSet(e: CaseFile["workloads"][number]["entries"]): RuleSet {
  return {
    workload: Buffer.from(e.workload, "hex"),
    rules: concat(e.rules),
    globAnchors: concat(e.anchors),
    globs: concat(e.globs),
  };
}

export function toInput(workload: bigint, c: CaseEvent): DecideInput {
  const k = c.kernel;
  return {
    workload,
    category: k.category,
    slot: k.slot,
    path: k.path !== undefined ? Buffer.from(k.path, "hex") : undefined,
    truncated: c.event.truncated === true,
    sourceHash: BigInt(k.source_hash),
    ipProtocol: k.ip_protocol ?? 0,
    sockType: k.sock_type ?? 0,
    capability: k.capability === undefined || k.capability < 0 ? undefined : k.capability,
  };
}

function main(): number {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: decide-cases.ts CASES.json\n");
    return 2;
  }
  const cases = JSON.parse(readFileSync(file, "utf8")) as CaseFile;
  if (cases.format !== "rampart-bpf-cases/1") throw new Error(`${file}: unknown format ${cases.format}`);
  const h = DecideHarness.open(`/sys/fs/bpf/rampart-decide-${process.pid}`);
  let passed = 0;
  const failures: string[] = [];
  try {
    cases.workloads.forEach((w, i) => {
      const wl = BigInt(1000 + i);
      h.apply(wl, toRuleSet(w.entries));
      for (const c of w.events) {
        const got = h.decide(toInput(wl, c));
        const e = c.expected;
        const gotPosture = POSTURE[got.posture] || null;
        const ok =
          got.verdict === e.verdict &&
          got.ruleId === e.ruleId &&
          gotPosture === e.defaultPosture &&
          got.wouldBlock === e.wouldBlock;
        if (ok) passed++;
        else if (
          failures.push(
            `workload #${i} ${JSON.stringify(c.event)}: kernel ${JSON.stringify({ v: got.verdict, rule: got.ruleId, posture: gotPosture, wb: got.wouldBlock, trunc: got.truncated })} expected ${JSON.stringify(e)}`,
          ) <= 0
        ) {
          /* unreachable */
        }
      }
      h.remove(wl);
    });
  } finally {
    h.close();
  }
  for (const f of failures.slice(0, 15)) process.stdout.write(`  FAIL ${f}\n`);
  process.stdout.write(`decide-cases: ${passed} passed, ${failures.length} failed\n`);
  return failures.length ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
