#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The "static" suite: the TypeScript type check (strict), eslint (errors fail; warnings are
# printed as a count) and the prettier format check over the whole tree.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
echo "== static: tsc --noEmit =="
npx --no-install tsc --noEmit -p tsconfig.json || fail=1
echo "== static: eslint =="
# One run: the JSON report gives both counts; errors are listed one per line.
npx --no-install eslint --format json . 2>/dev/null | node -e '
  let s = "";
  process.stdin.on("data", d => (s += d)).on("end", () => {
    const files = JSON.parse(s || "[]");
    let errors = 0, warnings = 0;
    for (const f of files) {
      warnings += f.warningCount;
      for (const m of f.messages)
        if (m.severity === 2) { errors++; console.log(`${f.filePath}:${m.line}:${m.column} ${m.message} (${m.ruleId})`); }
    }
    console.log(`eslint: ${errors} errors, ${warnings} warnings`);
    process.exitCode = errors ? 1 : 0;
  });' || fail=1
echo "== static: prettier --check =="
npx --no-install prettier --check --log-level warn . || fail=1
[ $fail -eq 0 ] && echo "static: ok" || echo "static: FAILED"
exit $fail
