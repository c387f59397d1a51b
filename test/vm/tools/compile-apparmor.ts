// SPDX-License-Identifier: Apache-2.0
//
// Host-side helper for the VM suite (apparmor-enforce.prepare.sh) while `rampart compile` has no
// AppArmor CLI: compiles the EffectivePolicy objects of `rampart explain --output json` with the
// project's AppArmor compiler (enforcer/compilers/apparmor.ts) and writes one profile per pod.
// Usage: node --import tsx test/vm/tools/compile-apparmor.ts EXPLAIN.json OUTDIR
// Prints "<pod name> <profile name>" per profile; exit 1 on a compile error (printed).

import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { compileAppArmor } from "../../../enforcer/compilers/apparmor.js";
import { formatCompileError } from "../../../enforcer/compilers/errors.js";
import type { EffectivePolicy } from "../../../enforcer/model/types.js";

const [explainFile, outDir] = process.argv.slice(2);
if (!explainFile || !outDir) {
  process.stderr.write("usage: compile-apparmor.ts EXPLAIN.json OUTDIR\n");
  process.exit(2);
}
const { effective } = JSON.parse(readFileSync(explainFile, "utf8")) as { effective: EffectivePolicy[] };
let failed = false;
for (const policy of effective) {
  if (policy.target.kind !== "container") continue;
  const result = compileAppArmor(policy);
  if (!result.ok) {
    for (const e of result.errors) process.stderr.write(`${formatCompileError(e)}\n`);
    failed = true;
    continue;
  }
  for (const w of result.warnings) process.stderr.write(`warning: ${formatCompileError(w)}\n`);
  const pod = policy.target.pod;
  writeFileSync(path.join(outDir, `${pod}.profile`), result.value.text);
  process.stdout.write(`${pod} ${result.value.name}\n`);
}
process.exitCode = failed ? 1 : 0;
