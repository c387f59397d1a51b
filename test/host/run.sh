#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The "host-kernel" suite: Rampart's BPF on this machine's own kernel, no VM.
#   monitor.test.ts  the system monitor scoped to a cgroup-v2 directory the test creates
#   decide.test.ts   the in-kernel decision (bpf/include/decide.h) against the BPF compiler's
#                    >= 10,000 generated cases, through BPF_PROG_TEST_RUN
# Needs root and a built addon (native/build.sh). Everything loaded is pinned under a private
# /sys/fs/bpf/rampart-host-* dir and removed afterwards; nothing acts outside the test cgroup.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then echo "host-kernel: needs root (BPF)"; echo "host-kernel: 0 passed, 1 failed"; exit 1; fi
if [ ! -f native/rampart.linux-x64-gnu.node ]; then echo "host-kernel: addon not built (native/build.sh)"; echo "host-kernel: 0 passed, 1 failed"; exit 1; fi
out=$(mktemp)
node --import tsx --test --test-concurrency=1 --test-reporter=tap test/host/*.test.ts 2>&1 | tee "$out" | grep -E '^(not )?ok |^# (Subtest|tests|pass|fail|decide cases)|^\s+(error|expected|actual):' 
pass=$(awk '/^# pass /{print $3}' "$out" | tail -1)
fail=$(awk '/^# fail /{print $3}' "$out" | tail -1)
rm -f "$out"
pass=${pass:-0}; fail=${fail:-1}
echo "host-kernel: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
