# SPDX-License-Identifier: Apache-2.0
# vm-lsm: lockdown,capability,landlock,yama,selinux,bpf
#
# Guest test, SELinux boot: `rampart probe` sees SELinux (selinuxfs mounted by the harness, no
# policy loaded, permissive) and reports AppArmor as built in but not enabled.
set -u
. "$RAMPART_ROOT/test/vm/lib/check.sh"
expect_rc "probe --output json exits 0" 0 \
  sh -c "node '$RAMPART_ROOT/dist/rampart.cjs' probe --output json > '$VM_TEST_WORK/probe.json'"
python3 - "$VM_TEST_WORK/probe.json" <<'PY' > "$VM_TEST_WORK/checks.txt" 2>&1
import json, sys
r = json.load(open(sys.argv[1]))
def check(what, ok):
    print(("ok" if ok else "not ok") + " - " + what)
check("selinux is an active LSM", "selinux" in (r["lsm"]["active"] or []))
check("SELinux supported", r["selinux"]["state"] == "supported")
check("SELinux permissive, no policy loaded", r["selinux"].get("mode") == "permissive" and r["selinux"].get("policyLoaded") is False)
check("AppArmor reported disabled", r["apparmor"]["state"] == "unsupported" and r["apparmor"]["reason"] == "disabled")
check("BPF-LSM still active", r["bpfLsm"]["active"]["state"] == "supported")
PY
while IFS= read -r line; do
  case "$line" in
    "ok - "*) pass "${line#ok - }" ;;
    "not ok - "*) fail "${line#not ok - }" ;;
    *) fail "probe.json checker: $line" ;;
  esac
done < "$VM_TEST_WORK/checks.txt"
[ $CHECK_FAILED -eq 0 ] || cat "$VM_TEST_WORK/probe.json"
finish
