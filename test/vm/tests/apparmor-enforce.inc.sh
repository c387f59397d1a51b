# SPDX-License-Identifier: Apache-2.0
#
# Part 2 of apparmor-enforce.sh (sourced, in the guest): load the profiles Rampart compiled on the
# host (apparmor-enforce.prepare.sh) and check every case for real, then the same commands
# unconfined, then unload. Uses check.sh's helpers from the caller.
C=$VM_TEST_WORK/compiled
sh -e "$C/setup.sh" || fail "case fixtures created ($C/setup.sh)"
# one parser run for all profiles: under TCG each apparmor_parser start (tunables, abstractions)
# costs seconds
expect_rc "apparmor_parser -r loads the $(wc -l < "$C/names.txt") compiled profiles" 0 \
  sh -c "apparmor_parser -r $C/profiles/*.profile"
while read -r case name; do
  expect_output "$name ($case) is loaded in enforce mode" "^$name \\(enforce\\)" cat /sys/kernel/security/apparmor/profiles
done < "$C/names.txt"
while IFS='|' read -r case want cmd; do
  name=$(awk -v c="$case" '$1 == c {print $2}' "$C/names.txt")
  if [ "$want" = deny ]; then
    expect_denied "$case: denied: $cmd" aa-exec -p "$name" -- /bin/sh -c "$cmd"
  else
    expect_rc "$case: allowed: $cmd" 0 aa-exec -p "$name" -- /bin/sh -c "$cmd"
  fi
done < "$C/cases.txt"
# Informational: explicit `deny` rules are quiet in AppArmor (only `audit deny` rules and implicit
# allow-list denials are logged), so the kernel log holds few records of these denials; alerts
# come from the monitor.
echo "  (kernel apparmor=\"DENIED\" records naming rampart-rvt-* profiles: $(dmesg | grep -c 'apparmor="DENIED".*profile="rampart-rvt-'))"
while IFS= read -r cmd; do
  expect_rc "unconfined: $cmd" 0 /bin/sh -c "$cmd"
done < "$C/unconfined.txt"
expect_rc "apparmor_parser -R unloads them" 0 sh -c "apparmor_parser -R $C/profiles/*.profile"
expect_rc "no rampart-rvt-* profile left" 1 grep -q '^rampart-rvt-' /sys/kernel/security/apparmor/profiles
