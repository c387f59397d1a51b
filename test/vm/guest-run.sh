# SPDX-License-Identifier: Apache-2.0
#
# Runs INSIDE the test VM (started by test/vm/suite.sh): runs the named guest tests from
# test/vm/tests/ one after another, each under a time limit, and records "<rc> <seconds>" in
# $VM_RESULTS/<name>/.status — the host reads those files, not this output, to count results.
# Usage (guest): sh test/vm/guest-run.sh NAME...
set -u
export RAMPART_ROOT=${RAMPART_ROOT:-$(pwd)}
cd "$RAMPART_ROOT" || exit 1
uptime_s() { cut -d' ' -f1 /proc/uptime; }
echo "# guest: kernel $(uname -r), lsm=$(cat /sys/kernel/security/lsm 2>/dev/null), up $(uptime_s)s"
for name in "$@"; do
  t=test/vm/tests/$name.sh
  export VM_TEST_NAME=$name VM_TEST_WORK=$VM_RESULTS/$name
  mkdir -p "$VM_TEST_WORK"
  limit=$(sed -n 's/^# vm-timeout: *//p' "$t" | head -1)
  echo "# --- $name ---"
  t0=$(uptime_s)
  if [ -x "$t" ]; then
    timeout -k 5 "${limit:-300}" "$t" < /dev/null
  else
    timeout -k 5 "${limit:-300}" /bin/sh "$t" < /dev/null
  fi
  rc=$?
  [ $rc -eq 124 ] && echo "# $name: timed out after ${limit:-300}s (header '# vm-timeout:')"
  dur=$(awk "BEGIN{printf \"%.1f\", $(uptime_s) - $t0}")
  echo "# $name: rc=$rc in ${dur}s"
  echo "$rc $dur" > "$VM_TEST_WORK/.status.tmp" && mv "$VM_TEST_WORK/.status.tmp" "$VM_TEST_WORK/.status"
done
sync
