#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Runs every Rampart test suite on a fresh Debian 12 machine: installs and builds first
# (scripts/setup.sh), then the suites in order. A suite is a script listed below; each prints
# its own results. The run fails if any suite fails or if any test anywhere reports a skip (a
# skip never meets a requirement: on these machines every test must run); the closing line
# counts suites.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; exit 1; }

# name | command. Suites that need root, the VM or the control plane say so themselves.
SUITES=(
  "static|bash scripts/static-checks.sh"
  "unit|bash scripts/run-unit-tests.sh"
  "native|bash native/test.sh"
  "host-kernel|bash test/host/run.sh"
  "containerd|bash test/containerd/suite.sh"
  "vm|bash test/vm/suite.sh"
  "cluster|bash test/cluster/suite.sh"
  # after cluster: its Kubernetes-mode test starts its own API server from the cached build
  "host-daemon|bash test/host-daemon/suite.sh"
)
passed=0; failed=0; failed_names=(); skipped=()
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/rampart-test-logs.XXXXXX")
for entry in "${SUITES[@]}"; do
  name=${entry%%|*}; cmd=${entry#*|}
  script=$(awk '{print $2}' <<<"$cmd")
  if [ ! -f "$script" ]; then
    echo "== suite $name: FAILED ($script missing) =="
    failed=$((failed+1)); failed_names+=("$name"); continue
  fi
  echo; echo "== suite $name: $cmd =="
  start=$(date +%s)
  if eval "$cmd" 2>&1 | tee "$LOGS/$name.log"; then r=ok; else r=FAILED; fi
  # TAP skip directives (node:test, the VM and host suites all print them).
  mapfile -t s < <(grep -E '^[[:space:]]*ok [0-9]+ .*# SKIP' "$LOGS/$name.log" | sed "s/^[[:space:]]*/$name: /")
  if [ ${#s[@]} -gt 0 ]; then skipped+=("${s[@]}"); r="FAILED (${#s[@]} skipped)"; fi
  if [ "$r" = ok ]; then passed=$((passed+1)); else failed=$((failed+1)); failed_names+=("$name"); fi
  echo "== suite $name: $r in $(( $(date +%s) - start ))s =="
done
rm -rf "$LOGS"
echo
if [ ${#skipped[@]} -gt 0 ]; then
  echo "skipped tests (each counts as a failure):"
  printf '  %s\n' "${skipped[@]}"
fi
[ $failed -eq 0 ] || echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
