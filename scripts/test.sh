#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Runs every Rampart test suite on a fresh Debian 12 machine: installs and builds first
# (scripts/setup.sh), then the suites in order. A suite is a script listed below; each prints
# its own results. The run fails if any suite fails; the closing line counts suites.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; exit 1; }

# name | command. Suites that need root, the VM or the control plane say so themselves.
SUITES=(
  "unit|bash scripts/run-unit-tests.sh"
  "native|bash native/test.sh"
  "host-kernel|bash test/host/run.sh"
  "vm|bash test/vm/suite.sh"
  "cluster|bash test/cluster/suite.sh"
)
passed=0; failed=0; failed_names=()
for entry in "${SUITES[@]}"; do
  name=${entry%%|*}; cmd=${entry#*|}
  script=$(awk '{print $2}' <<<"$cmd")
  if [ ! -f "$script" ]; then
    echo "== suite $name: not part of this tree yet ($script missing) =="
    continue
  fi
  echo; echo "== suite $name: $cmd =="
  start=$(date +%s)
  if eval "$cmd"; then passed=$((passed+1)); r=ok; else failed=$((failed+1)); failed_names+=("$name"); r=FAILED; fi
  echo "== suite $name: $r in $(( $(date +%s) - start ))s =="
done
echo
[ $failed -eq 0 ] || echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
