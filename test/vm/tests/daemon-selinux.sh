# SPDX-License-Identifier: Apache-2.0
# vm-lsm: lockdown,capability,landlock,yama,selinux,bpf
# vm-timeout: 900
# vm-boot: own
#
# Guest test: `rampart run --enforcer selinux` end to end on a kernel with SELinux enforcing.
#  - a base policy is built with the real semodule and loaded with load_policy (test/vm/selinux/
#    base.cil: every process unconfined_t, every existing file an ordinary type), then enforcing;
#  - the daemon compiles the host policies into one module, installs it with semodule and
#    relabels the named paths with restorecon: a blocked exec, a read-only file, a file blocked
#    for one source binary only (its own domain, entered on exec), an audited file;
#  - the monitor sees the denied exec and `rampart logs --json --limit 1` gets the Block alert
#    (Enforcer SELinux, Result Permission denied);
#  - SIGTERM leaves the module enforcing; a restarted daemon re-adopts it by hash; removing the
#    policy file removes the module and gives the files their base labels back.
set -u
. "$RAMPART_ROOT/test/vm/lib/check.sh"

[ -e /sys/fs/selinux/enforce ] || skip "SELinux not active in this boot"
CLI=${RAMPART_CLI:-node $RAMPART_ROOT/dist/rampart.cjs}
W=$(mktemp -d /tmp/daemon-se.XXXXXX)
LOG=${VM_TEST_WORK:-$W}/daemon.log
STORE=rampart_vmtest

# 1. A base policy, loaded and enforcing.
printf 'SELINUX=enforcing\nSELINUXTYPE=%s\n' "$STORE" >/etc/selinux/config
expect_rc "semodule builds the base policy store" 0 semodule -s "$STORE" -N -i "$RAMPART_ROOT/test/vm/selinux/base.cil"
expect_rc "load_policy loads it" 0 load_policy
expect_rc "enforcing" 0 setenforce 1
expect_output "this shell runs as unconfined_t" 'unconfined_t' cat /proc/self/attr/current
if [ $CHECK_FAILED -ne 0 ]; then dmesg | grep -i selinux | tail -5 | sed 's/^/      | /'; finish; fi

# 2. Test files on a tmpfs mounted after the load, so they carry labels.
T=/run/rampart-se
mkdir -p "$T" && mount -t tmpfs tmpfs "$T"
mkdir -p "$T/bin" "$W/policies"
cp /bin/true "$T/bin/tool"
cp /bin/true "$T/fine"
cp /bin/cat "$T/reader"
echo secret >"$T/secret.txt"
echo conf >"$T/app.conf"
echo audited >"$T/audited.txt"
cat >"$W/policies/hsp.yaml" <<Y
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: vm-selinux-demo
spec:
  nodeSelector:
    matchLabels:
      kubearmor.io/hostname: "*"
  severity: 6
  process:
    matchDirectories:
      - dir: $T/bin/
        recursive: true
  file:
    matchPaths:
      - path: $T/secret.txt
        readOnly: true
      - path: $T/app.conf
        fromSource:
          - path: $T/reader
  action: Block
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: vm-selinux-audit
spec:
  nodeSelector:
    matchLabels:
      kubearmor.io/hostname: "*"
  file:
    matchPaths:
      - path: $T/audited.txt
  action: Audit
Y

installed() { semodule -l | grep -qx rampart_host; }
removed() { ! installed; }
label() { ls -Zd "$1" | awk '{print $1}'; }
CG=/sys/fs/cgroup/rampart-daemon-se
PIN=/sys/fs/bpf/rampart-daemon-se
mkdir -p "$CG"
start_daemon() {
  $CLI run --policies "$W/policies" --enforcer selinux --grpc 127.0.0.1:32791 \
    --containerd-socket "$W/no-containerd.sock" --resync 2 --log-level debug \
    --scope-cgroup "$CG" --pin-dir "$PIN" --selinux-dir "$W/state" >>"$LOG" 2>&1 &
  DPID=$!
}
stop_daemon() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }

# 3. The daemon installs the module and relabels.
start_daemon
wait_for "daemon installs the host module rampart_host (semodule -l)" 300 installed
wait_for "daemon is running" 120 grep -q '"rampart: running"' "$LOG"
# (this shell may read labels: it runs as the daemon's domain, the module's relabeler)
wait_for "the blocked directory is relabelled" 60 sh -c "ls -Zd '$T/bin' | grep -q rampart_block_t"
expect_output "the read-only file is rampart_readonly_t" 'rampart_readonly_t' label "$T/secret.txt"
expect_output "the source binary is its exec type" 'rampart_s0_exec_t' label "$T/reader"
expect_output "the per-source file is rampart_s0_block_t" 'rampart_s0_block_t' label "$T/app.conf"

expect_denied "exec of a binary under the blocked directory is denied" "$T/bin/tool"
expect_rc "exec of another binary still works" 0 "$T/fine"
expect_output "the read-only file can be read" '^secret$' cat "$T/secret.txt"
expect_denied "the read-only file cannot be written" sh -c "echo x >> '$T/secret.txt'"
expect_output "other programs read the per-source file" '^conf$' cat "$T/app.conf"
expect_denied "the source binary may not read it (its own domain)" "$T/reader" "$T/app.conf"
expect_output "the source binary runs in its domain and reads other files" '^secret$' "$T/reader" "$T/secret.txt"
expect_output "the audited file is readable" '^audited$' cat "$T/audited.txt"
expect_output "the audited read is logged by the kernel (auditallow: avc granted)" 'granted.*rampart_audit_t' sh -c 'dmesg | grep "avc:  granted"'

if grep -q '"monitor: started"' "$LOG"; then
  $CLI logs --grpc 127.0.0.1:32791 --json --limit 1 --timeout 60 --operation Process >"$W/alert.json" 2>&1 &
  LPID=$!
  echo $$ >"$CG/cgroup.procs"
  n=90; while [ $n -gt 0 ] && kill -0 "$LPID" 2>/dev/null; do "$T/bin/tool" 2>/dev/null; sleep 1; n=$((n - 1)); done
  echo $$ >/sys/fs/cgroup/cgroup.procs
  kill "$LPID" 2>/dev/null
  cp "$W/alert.json" "${VM_TEST_WORK:-$W}/alert.json" 2>/dev/null
  for f in '"Type":"MatchedHostPolicy"' '"PolicyName":"vm-selinux-demo"' '"Action":"Block"' '"Result":"Permission denied"' \
           '"Enforcer":"SELinux"' '"Operation":"Process"' "\"Resource\":\"$T/bin/tool\"" '"HostPID":[1-9]' '"Severity":"6"'; do
    expect_output "rampart logs --json --limit 1 got the alert with $f" "$f" cat "$W/alert.json"
  done
else
  fail "the daemon's monitor started (needed for the alert)" "$(grep monitor "$LOG" | tail -2)"
fi

# 4. Stop, restart, remove.
stop_daemon
expect_output "daemon logged a graceful stop" 'SIGTERM received' cat "$LOG"
if installed; then pass "the module stays installed after the daemon stopped"; else fail "the module stays installed after the daemon stopped"; fi
expect_denied "still enforced with no daemon running" "$T/bin/tool"
LOG_BEFORE=$(wc -l <"$LOG")
start_daemon
wait_for "restarted daemon re-adopts the module" 120 grep -q '"adopted":1' "$LOG"
sleep 3
if tail -n +"$((LOG_BEFORE + 1))" "$LOG" | grep -q '"reconcile: applied"'; then fail "restart re-applies nothing (adopted by content hash)"; else pass "restart re-applies nothing (adopted by content hash)"; fi
rm "$W/policies/hsp.yaml"
wait_for "removing the policy file removes the module" 300 removed
wait_for "the files get their base labels back" 60 sh -c "ls -Z '$T/bin/tool' 2>/dev/null | grep -q rampart_test_file_t"
expect_rc "the binary runs again" 0 "$T/bin/tool"
expect_output "the source binary reads the file again" '^conf$' "$T/reader" "$T/app.conf"
stop_daemon

setenforce 0
umount "$T"
rm -rf "$W" "$PIN"
rmdir "$CG" 2>/dev/null
finish
