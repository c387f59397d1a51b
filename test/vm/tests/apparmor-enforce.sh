# SPDX-License-Identifier: Apache-2.0
#
# Guest test: AppArmor really enforces in the test VM.
#  Part 1 (harness + kernel): a hand-written profile attached to a copy of cat denies one file and
#  allows another; the same profile entered through aa-exec behaves the same; the unconfined cat
#  is unaffected; unloading the profile lifts the denial.
#  Part 2 (Rampart's compiler): see apparmor-enforce.prepare.sh — KubeArmor policies compiled on
#  the host by `rampart compile --target apparmor`, loaded here, checked rule by rule.
set -u
. "$RAMPART_ROOT/test/vm/lib/check.sh"

[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] \
  || { fail "AppArmor enabled in the guest kernel" "lsm=$(cat /sys/kernel/security/lsm)"; finish; }
pass "AppArmor enabled (lsm=$(cat /sys/kernel/security/lsm))"

W=$(mktemp -d /tmp/aa-enforce.XXXXXX)   # guest-side scratch, in the RAM overlay
cp /bin/cat "$W/cat"
echo secret > "$W/denied.txt"
echo public > "$W/allowed.txt"
cat > "$W/profile" <<P
abi <abi/3.0>,
include <tunables/global>
profile rampart-vmtest-basic $W/cat {
  include <abstractions/base>
  $W/cat mr,
  /{usr/,}bin/cat mrix,
  $W/allowed.txt r,
  audit deny $W/denied.txt r,
}
P
expect_rc "apparmor_parser -r loads the profile" 0 apparmor_parser -r "$W/profile"
expect_output "profile is loaded in enforce mode" '^rampart-vmtest-basic \(enforce\)' \
  cat /sys/kernel/security/apparmor/profiles
expect_denied "confined cat (path attachment) is denied the denied file" "$W/cat" "$W/denied.txt"
expect_output "confined cat (path attachment) reads the allowed file" '^public$' "$W/cat" "$W/allowed.txt"
expect_denied "aa-exec -p: /bin/cat is denied the denied file" aa-exec -p rampart-vmtest-basic -- /bin/cat "$W/denied.txt"
expect_output "aa-exec -p: /bin/cat reads the allowed file" '^public$' aa-exec -p rampart-vmtest-basic -- /bin/cat "$W/allowed.txt"
expect_output "unconfined /bin/cat reads the denied file" '^secret$' /bin/cat "$W/denied.txt"
expect_output "kernel logged the denial" 'apparmor="DENIED" operation="open".*profile="rampart-vmtest-basic"' dmesg
expect_rc "apparmor_parser -R unloads the profile" 0 apparmor_parser -R "$W/profile"
expect_output "after unload the copy of cat reads the denied file" '^secret$' "$W/cat" "$W/denied.txt"
rm -rf "$W"

# Part 2 runs when the host-side preparation produced compiled profiles.
if [ -f "$VM_TEST_WORK/compiled/cases.txt" ]; then
  . "$RAMPART_ROOT/test/vm/tests/apparmor-enforce.inc.sh"
else
  echo "  (part 2 not run: $(cat "$VM_TEST_WORK/compiled/why-not" 2>/dev/null || echo 'no compiled profiles'))"
fi
finish
