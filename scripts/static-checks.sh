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
npx --no-install eslint --quiet . || fail=1
echo "eslint: $(npx --no-install eslint --format json . 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s||"[]");console.log(r.reduce((n,f)=>n+f.warningCount,0)+" warnings")})')"
echo "== static: prettier --check =="
npx --no-install prettier --check --log-level warn . || fail=1
[ $fail -eq 0 ] && echo "static: ok" || echo "static: FAILED"
exit $fail
