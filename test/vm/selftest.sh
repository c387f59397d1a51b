#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Self-test of the harness (test/vm/run) itself, on the host: exit-status propagation, argv vs
# shell-line commands, cwd, VM_ENV, VM_RW results coming back, timeout (124), interrupt (130),
# the SELinux boot variant and two VMs at once. About 6 boots; run it after changing test/vm/run
# or test/vm/initramfs/. Ends with "vm-selftest: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
RUN=test/vm/run
pass=0; failed=0
check() { # check WHAT CONDITION-RESULT(0/1)
  if [ "$2" = 0 ]; then echo "ok - $1"; pass=$((pass + 1)); else echo "not ok - $1"; failed=$((failed + 1)); fi
}
T=$(mktemp -d "${TMPDIR:-/tmp}/rampart-vm-selftest.XXXXXX")
trap 'rm -rf "$T"' EXIT

out=$(FOO="it's a \"test\" \$x" VM_ENV=FOO VM_RW=$T $RUN 'pwd; echo "$FOO"; cat /sys/kernel/security/lsm; echo back > '"$T"'/result; exit 7' 2>&1); rc=$?
check "shell command: exit status 7 comes back" "$([ $rc = 7 ]; echo $?)"
check "cwd is kept ($PWD)" "$(grep -qx "$PWD" <<<"$out"; echo $?)"
check "VM_ENV exports a value with quotes and \$" "$(grep -qxF "it's a \"test\" \$x" <<<"$out"; echo $?)"
check "lsm list has apparmor and bpf" "$(grep -qx 'lockdown,capability,landlock,yama,apparmor,bpf' <<<"$out"; echo $?)"
check "VM_RW: a file written in the guest is on the host" "$([ "$(cat "$T/result" 2>/dev/null)" = back ]; echo $?)"

nl=$'line1\nline2'
out=$($RUN printf '%s|' 'two words' '$HOME' "it's" "$nl" 2>&1); rc=$?
check "argv command: arguments arrive verbatim (spaces, \$, quote, newline)" \
  "$([ $rc = 0 ] && [ "$out" = "two words|\$HOME|it's|$nl|" ]; echo $?)"

# runs below keep their control dirs under $T, so a leftover QEMU would show "path=$T/" in ps
VM_TIMEOUT=8 TMPDIR=$T $RUN 'sleep 100' > /dev/null 2>&1; rc=$?
check "timeout gives 124" "$([ $rc = 124 ]; echo $?)"

TMPDIR=$T $RUN 'sleep 100' > /dev/null 2>&1 & p=$!
sleep 4; kill -TERM $p; wait $p; rc=$?
check "SIGTERM gives 130" "$([ $rc = 130 ]; echo $?)"

VM_LSM=lockdown,capability,landlock,yama,selinux,bpf $RUN 'cat /sys/kernel/security/lsm' > "$T/a" 2>&1 & p1=$!
$RUN 'cat /sys/module/apparmor/parameters/enabled' > "$T/b" 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "two VMs at once: SELinux boot lists selinux" "$([ $r1 = 0 ] && grep -q ',selinux,bpf' "$T/a"; echo $?)"
check "two VMs at once: AppArmor boot has AppArmor enabled" "$([ $r2 = 0 ] && grep -qx Y "$T/b"; echo $?)"
sleep 1
check "no QEMU left behind after timeout and SIGTERM" "$(! pgrep -f "path=$T/" >/dev/null; echo $?)"

echo "vm-selftest: $pass passed, $failed failed"
[ $failed = 0 ]
