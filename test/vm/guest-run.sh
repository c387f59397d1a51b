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
# Tests in one boot share the kernel. What a test leaves behind (a failed or timed-out test may
# not undo its work) would change the next test's world — e.g. a profile attached to shells.
# So the runner snapshots AppArmor profiles and bpffs pins before each test, removes what is new
# afterwards, kills what is left of the test's process group, and says so.
AAFS=/sys/kernel/security/apparmor
STATE=$(mktemp -d /run/vm/guest-run.XXXXXX)
snapshot() { # snapshot FILE-PREFIX
  { [ -r $AAFS/profiles ] && sed 's/ ([a-z]*)$//' $AAFS/profiles; } | sort > "$1.aa"
  ls -A /sys/fs/bpf 2>/dev/null | sort > "$1.bpf"
}
clean_up_after() { # clean_up_after NAME PGID
  kill -9 "-$2" 2>/dev/null && echo "# $1: warning: killed processes left in its process group"
  snapshot "$STATE/after"
  for p in $(comm -13 "$STATE/before.aa" "$STATE/after.aa" | grep -v '//'); do
    printf '%s' "$p" > $AAFS/.remove 2>/dev/null
    echo "# $1: warning: removed AppArmor profile left loaded: $p"
  done
  for p in $(comm -13 "$STATE/before.bpf" "$STATE/after.bpf"); do
    case "$p" in maps.debug | progs.debug) continue ;; esac
    rm -rf "/sys/fs/bpf/$p" && echo "# $1: warning: removed bpffs pin left behind: /sys/fs/bpf/$p"
  done
}
echo "# guest: kernel $(uname -r), lsm=$(cat /sys/kernel/security/lsm 2>/dev/null), up $(uptime_s)s"
for name in "$@"; do
  t=test/vm/tests/$name.sh
  export VM_TEST_NAME=$name VM_TEST_WORK=$VM_RESULTS/$name
  mkdir -p "$VM_TEST_WORK"
  limit=$(sed -n 's/^# vm-timeout: *//p' "$t" | head -1)
  echo "# --- $name ---"
  snapshot "$STATE/before"
  t0=$(uptime_s)
  # timeout runs the test in its own process group (pgid = timeout's pid), killed on expiry
  if [ -x "$t" ]; then
    timeout -k 5 "${limit:-300}" "$t" < /dev/null &
  else
    timeout -k 5 "${limit:-300}" /bin/sh "$t" < /dev/null &
  fi
  pgid=$!
  wait $pgid
  rc=$?
  clean_up_after "$name" "$pgid"
  [ $rc -eq 124 ] && echo "# $name: timed out after ${limit:-300}s (header '# vm-timeout:')"
  dur=$(awk "BEGIN{printf \"%.1f\", $(uptime_s) - $t0}")
  echo "# $name: rc=$rc in ${dur}s"
  echo "$rc $dur" > "$VM_TEST_WORK/.status.tmp" && mv "$VM_TEST_WORK/.status.tmp" "$VM_TEST_WORK/.status"
done
sync
