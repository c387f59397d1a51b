// SPDX-License-Identifier: Apache-2.0
//
// Writes the equivalence case file for the native BPF_PROG_TEST_RUN replay:
//   node --import tsx enforcer/compilers/bpf/write-cases.ts OUT.json [seed] [policies] [eventsPerPolicy]

import { writeFileSync } from "node:fs";
import { caseFile } from "./cases.js";

const [out, seed, pol, ev] = process.argv.slice(2);
if (!out) {
  process.stderr.write("usage: write-cases.ts OUT.json [seed] [policies] [eventsPerPolicy]\n");
  process.exitCode = 2;
} else {
  writeFileSync(
    out,
    JSON.stringify(caseFile(Number(seed ?? 20261123), Number(pol ?? 600), Number(ev ?? 20))),
  );
  process.stdout.write(`wrote ${out}\n`);
}
