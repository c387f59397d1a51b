# SPDX-License-Identifier: Apache-2.0
#
# Guest test: `rampart probe` (the bundled CLI, dist/rampart.cjs) run inside the AppArmor+BPF-LSM
# test VM reports what the kernel really has: AppArmor and BPF-LSM active and usable, BTF, bpffs
# and cgroup v2. The JSON report is kept in $VM_TEST_WORK/probe.json for the host.
set -u
. "$RAMPART_ROOT/test/vm/lib/check.sh"

expect_rc "node dist/rampart.cjs probe --output json exits 0" 0 \
  sh -c "node '$RAMPART_ROOT/dist/rampart.cjs' probe --output json > '$VM_TEST_WORK/probe.json'"
[ -s "$VM_TEST_WORK/probe.json" ] || { fail "probe printed a JSON report"; finish; }

# field=expected pairs, checked with python3 (starts far faster than node under TCG)
# the addon is usable when its loader and a compiled binary (native/build.sh) are both present
native=no
[ -f "$RAMPART_ROOT/native/index.js" ] && ls "$RAMPART_ROOT"/native/*.node > /dev/null 2>&1 && native=yes
python3 - "$VM_TEST_WORK/probe.json" "$(uname -r)" "$(cat /sys/kernel/security/lsm)" "$native" <<'PY' > "$VM_TEST_WORK/checks.txt" 2>&1
import json, sys
r = json.load(open(sys.argv[1]))
def check(what, ok):
    print(("ok" if ok else "not ok") + " - " + what)
check("kernel release is uname -r (%s)" % r["kernel"]["release"], r["kernel"]["release"] == sys.argv[2])
check("active LSMs equal /sys/kernel/security/lsm", ",".join(r["lsm"]["active"] or []) == sys.argv[3])
check("apparmor is an active LSM", "apparmor" in (r["lsm"]["active"] or []))
check("bpf is an active LSM", "bpf" in (r["lsm"]["active"] or []))
check("AppArmor supported", r["apparmor"]["state"] == "supported")
check("BPF-LSM active", r["bpfLsm"]["active"]["state"] == "supported")
check("BPF-LSM program loads (method %s)" % r["bpfLsm"]["load"]["method"], r["bpfLsm"]["load"]["result"]["state"] == "supported")
check("BTF supported", r["btf"]["state"] == "supported")
if sys.argv[4] == "yes":
    check("the load check used the native addon (native/index.js and its .node are built)", r["bpfLsm"]["load"]["method"] == "native")
check("bpffs mounted at /sys/fs/bpf", any(m["mountPoint"] == "/sys/fs/bpf" for m in r["bpffs"]["mounts"]))
check("cgroup v2 at /sys/fs/cgroup", any(m["mountPoint"] == "/sys/fs/cgroup" for m in r["cgroup2"]["mounts"]))
check("backends: apparmor and bpf-lsm usable", r["backends"]["apparmor"] and r["backends"]["bpfLsm"])
check("SELinux not active in this boot", r["selinux"]["state"] == "unsupported")
PY
while IFS= read -r line; do
  case "$line" in
    "ok - "*) pass "${line#ok - }" ;;
    "not ok - "*) fail "${line#not ok - }" ;;
    *) fail "probe.json checker: $line" ;;
  esac
done < "$VM_TEST_WORK/checks.txt"
[ $CHECK_FAILED -eq 0 ] || cat "$VM_TEST_WORK/probe.json"
expect_output "text output names the method" '^BPF-LSM load +supported .*\[method: (native|bpftool)\]' \
  node "$RAMPART_ROOT/dist/rampart.cjs" probe
finish
