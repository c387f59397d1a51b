#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The VM suite (called by scripts/test.sh): kernel-enforcement tests that need AppArmor, BPF-LSM or
# SELinux, run inside the test VM (test/vm/run). Usage: test/vm/suite.sh [TEST-NAME...]
#
# Contract for a guest test — test/vm/tests/<name>.sh (docs/testing-vm.md has the details):
#   * runs INSIDE the guest, as root, under /bin/sh (dash) unless its shebang says otherwise
#     (executable files run directly), cwd = the repository root, stdin /dev/null;
#   * exit 0 = pass, 77 = skipped (print the reason first; a skip never meets a requirement),
#     anything else = fail. Print what was checked; `. test/vm/lib/check.sh` gives ok/not ok helpers;
#   * environment: RAMPART_ROOT (repository root, read-only host copy + RAM overlay),
#     VM_TEST_NAME, VM_TEST_WORK (a per-test host directory shared READ-WRITE at the same path:
#     artifacts written there come back to the host and survive the run), VM_RESULTS (the suite's
#     shared directory, parent of every VM_TEST_WORK), RAMPART_CLI ("node <root>/dist/rampart.cjs"),
#     RAMPART_IN_VM=1. Guest user space is ~10-20x slower than the host: build on the host;
#   * optional host-side preparation test/vm/tests/<name>.prepare.sh runs on the HOST before the
#     boot with the same variables (VM_TEST_WORK already created): compile policies, build helpers,
#     write inputs into VM_TEST_WORK. A non-zero exit fails the test without booting it;
#   * files named <name>.inc.sh are not tests: a test may source them (shared guest-side parts);
#   * optional header line `# vm-lsm: <lsm list>` boots that test in a VM with that lsm= list
#     (e.g. SELinux, which excludes AppArmor); tests sharing a list share one boot, in name order;
#   * optional header line `# vm-timeout: <seconds>` (default 300) limits the test inside the guest;
#   * optional header line `# vm-boot: own` runs the test in a boot of its own (state the kernel
#     cannot undo, such as a loaded SELinux policy);
#   * tests share one kernel per boot: undo what you load (profiles, pinned programs, mounts).
#
# Output: the guests' output streams live; then a TAP list (ok / not ok per test, with durations)
# and the closing line `vm: N passed, M failed`. Exit status 0 only when nothing failed.
# Without arguments the harness self-test (test/vm/selftest.sh, ~30 s) runs too, as test 1;
# VM_SUITE_SELFTEST=0 leaves it out, VM_SUITE_SELFTEST=1 adds it to a run of named tests. Knobs: VM_SUITE_KEEP=1 keeps the host work directory; VM_MEM/VM_SMP/VM_TIMEOUT pass to test/vm/run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$ROOT"
TESTS_DIR=test/vm/tests
DEFAULT_LSM=lockdown,capability,landlock,yama,apparmor,bpf

now() { date +%s.%N; }
secs() { awk "BEGIN{printf \"%.1f\", $2 - $1}"; }
header() { sed -n "s/^# $2: *//p" "$1" | head -1; }

T_SUITE=$(now)
names=()
if [ $# -gt 0 ]; then
  for n in "$@"; do
    n=${n%.sh}; n=${n##*/}
    [ -f "$TESTS_DIR/$n.sh" ] || { echo "vm: no such test: $TESTS_DIR/$n.sh" >&2; exit 2; }
    names+=("$n")
  done
else
  for f in "$TESTS_DIR"/*.sh; do
    [ -e "$f" ] || continue
    case "$f" in *.prepare.sh | *.inc.sh) continue ;; esac
    n=${f##*/}; names+=("${n%.sh}")
  done
fi
[ ${#names[@]} -gt 0 ] || { echo "vm: no tests in $TESTS_DIR"; echo "vm: 0 passed, 1 failed"; exit 1; }

# The host work directory is shared read-write into every guest; it must avoid spaces, ';' and '='.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rampart-vm-suite.XXXXXX") || exit 1
[ "${VM_SUITE_KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
export VM_RESULTS=$WORK RAMPART_ROOT=$ROOT RAMPART_CLI="node $ROOT/dist/rampart.cjs"

echo "vm: ${#names[@]} test(s): ${names[*]}"
echo "vm: kernel $(ls -1v /boot/vmlinuz-6.1* 2>/dev/null | tail -1), work dir $WORK"

# --- host-side preparation ---
declare -A prep_failed=()
for n in "${names[@]}"; do
  mkdir -p "$WORK/$n"
  p=$TESTS_DIR/$n.prepare.sh
  [ -f "$p" ] || continue
  echo "# --- prepare $n (host) ---"
  t0=$(now)
  VM_TEST_NAME=$n VM_TEST_WORK=$WORK/$n bash "$p"
  rc=$?
  echo "# prepare $n: rc=$rc in $(secs "$t0" "$(now)")s"
  [ $rc -eq 0 ] || prep_failed[$n]=$rc
done

# --- group the runnable tests by their lsm= list: one boot per distinct list ---
# (`# vm-boot: own` gives a test a boot of its own: for state a kernel cannot undo, e.g. a
# loaded SELinux policy)
declare -A groups=() group_lsm=()
order=()
for n in "${names[@]}"; do
  [ -z "${prep_failed[$n]:-}" ] || continue
  lsm=$(header "$TESTS_DIR/$n.sh" vm-lsm); lsm=${lsm:-$DEFAULT_LSM}
  key=$lsm
  [ "$(header "$TESTS_DIR/$n.sh" vm-boot)" = own ] && key="$lsm (own boot: $n)"
  [ -n "${groups[$key]:-}" ] || order+=("$key")
  groups[$key]="${groups[$key]:-} $n"
  group_lsm[$key]=$lsm
done

boots=()
for key in "${order[@]}"; do
  lsm=${group_lsm[$key]}
  echo "# --- boot (lsm=$key):${groups[$key]} ---"
  t0=$(now)
  # shellcheck disable=SC2086  # the group is a list of plain test names
  VM_LSM=$lsm VM_RW=$WORK VM_ENV="VM_RESULTS RAMPART_ROOT RAMPART_CLI" \
    VM_TIMEOUT=${VM_TIMEOUT:-1800} test/vm/run sh test/vm/guest-run.sh ${groups[$key]}
  rc=$?
  boots+=("lsm=$key rc=$rc wall=$(secs "$t0" "$(now)")s")
done

# --- the harness's own self-test (host side: exit codes, shares, timeout, interrupt, 2 VMs) ---
selftest_rc=
if [ "${VM_SUITE_SELFTEST:-}" = 1 ] || { [ -z "${VM_SUITE_SELFTEST:-}" ] && [ $# -eq 0 ]; }; then
  echo "# --- harness self-test (test/vm/selftest.sh) ---"
  t0=$(now)
  test/vm/selftest.sh
  selftest_rc=$?
  selftest_dur=$(secs "$t0" "$(now)")
fi

# --- results: each test's status file (written in the guest) is the source of truth ---
echo
echo "1..$(( ${#names[@]} + (${#selftest_rc} > 0) ))"
pass=0; fail=0; skip=0; i=0
if [ -n "$selftest_rc" ]; then
  i=1
  if [ "$selftest_rc" = 0 ]; then echo "ok 1 - harness-selftest (${selftest_dur}s on the host)"; pass=1
  else echo "not ok 1 - harness-selftest (rc=$selftest_rc)"; fail=1; fi
fi
for n in "${names[@]}"; do
  i=$((i + 1))
  if [ -n "${prep_failed[$n]:-}" ]; then
    echo "not ok $i - $n (host preparation failed: rc=${prep_failed[$n]})"; fail=$((fail + 1)); continue
  fi
  st=$WORK/$n/.status
  if [ ! -s "$st" ]; then
    echo "not ok $i - $n (no result: the VM failed or timed out before the test finished)"
    fail=$((fail + 1)); continue
  fi
  read -r rc dur < "$st"
  if [ "$rc" = 0 ]; then
    echo "ok $i - $n (${dur}s in guest)"; pass=$((pass + 1))
  elif [ "$rc" = 77 ]; then
    echo "ok $i - $n # SKIP $(cat "$WORK/$n/.skip-reason" 2>/dev/null || echo 'see output') (${dur}s)"
    skip=$((skip + 1))
  else
    echo "not ok $i - $n (rc=$rc, ${dur}s in guest)"; fail=$((fail + 1))
  fi
done
for b in "${boots[@]}"; do echo "# boot $b"; done
echo "# vm suite wall time: $(secs "$T_SUITE" "$(now)")s"
[ $skip -eq 0 ] || echo "vm: $skip skipped"
echo "vm: $pass passed, $fail failed"
[ $fail -eq 0 ]
