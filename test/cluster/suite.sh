#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The "cluster" suite (run by scripts/test.sh): builds or reuses the cached control plane
# (test/cluster/build-k8s.sh), starts etcd + kube-apiserver + the Rampart webhook on loopback
# (up.sh), runs every test/cluster/*.e2e.ts against it, and always tears it down (down.sh), also
# when a test fails or the run is interrupted. Prints `cluster: N passed, M failed`.
# Needs root (it may add `127.0.0.1 localhost` to /etc/hosts) and the Go toolchain for a cold build.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export RAMPART_CLUSTER_DIR=${RAMPART_CLUSTER_DIR:-/tmp/rampart-cluster-suite}
cd "$ROOT"

if [ "$(id -u)" != 0 ] && ! grep -Eq '^127\.0\.0\.1[[:space:]].*localhost' /etc/hosts; then
  echo "cluster: 0 passed, 1 failed (needs root or a '127.0.0.1 localhost' line in /etc/hosts)"
  exit 1
fi
if ! command -v go >/dev/null && [ ! -x "${RAMPART_CACHE:-/var/cache/rampart}/k8s/${K8S_VERSION:-v1.34.4}/bin/kube-apiserver" ]; then
  echo "cluster: 0 passed, 1 failed (no Go toolchain to build kube-apiserver and none cached)"
  exit 1
fi

cleanup() { RAMPART_KEEP_CLUSTER_DIR=${RAMPART_KEEP_CLUSTER_DIR:-0} "$HERE/down.sh" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
"$HERE/down.sh" >/dev/null 2>&1 || true

echo "cluster: building/reusing the control plane (log: ${RAMPART_CACHE:-/var/cache/rampart}/logs/build-k8s.log)"
mkdir -p "${RAMPART_CACHE:-/var/cache/rampart}/logs"
if ! "$HERE/build-k8s.sh" >"${RAMPART_CACHE:-/var/cache/rampart}/logs/build-k8s.log" 2>&1; then
  tail -n 30 "${RAMPART_CACHE:-/var/cache/rampart}/logs/build-k8s.log"
  echo "cluster: 0 passed, 1 failed (control-plane build failed)"
  exit 1
fi
if ! "$HERE/up.sh" >/dev/null; then
  echo "cluster: 0 passed, 1 failed (control plane did not come up)"
  exit 1
fi
# shellcheck disable=SC1091
. "$RAMPART_CLUSTER_DIR/env"

mapfile -t files < <(find test/cluster -maxdepth 1 -name '*.e2e.ts' | sort)
out=$(mktemp)
node --import tsx --test --test-concurrency=1 --test-reporter=tap "${files[@]}" 2>&1 | tee "$out" |
  grep -E '^(not ok|ok|# Subtest|    (not )?ok)|^# (pass|fail|skipped)' || true
pass=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$out" | tail -1)
fail=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$out" | tail -1)
pass=${pass:-0}
fail=${fail:-1}
if [ "$fail" != 0 ]; then
  echo "--- failures (full TAP: $out)"
  grep -A25 '^ *not ok' "$out" | head -150
  echo "--- webhook log tail"
  tail -n 30 "$RAMPART_CLUSTER_DIR/logs/webhook.log" 2>/dev/null
else
  rm -f "$out"
fi
echo "cluster: $pass passed, $fail failed"
[ "$fail" = 0 ]
