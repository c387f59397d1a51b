# SPDX-License-Identifier: Apache-2.0
# vm-lsm: lockdown,capability,landlock,yama,apparmor,bpf
# vm-timeout: 700
#
# Guest test: `rampart run --enforcer bpf` end to end on a kernel with BPF-LSM.
#  - the daemon compiles a host policy to rule maps and applies them through the native addon;
#    an exec under the blocked directory is denied by the kernel (EPERM), other execs work;
#  - a rule written through a symlinked directory (like /bin/x on Debian, where /bin -> usr/bin)
#    blocks the file the kernel resolves it to, and no hard link (another name) can be made to it;
#  - `rampart logs --json --limit 1` receives the enforcer's own Block alert (Enforcer BPFLSM);
#  - SIGTERM stops the daemon, the pinned programs and maps keep enforcing;
#  - a restarted daemon re-adopts the rule set by its content-hash tag (nothing re-applied), and
#    removes it once the policy file is gone.
set -u
. "$RAMPART_ROOT/test/vm/lib/check.sh"

grep -qw bpf /sys/kernel/security/lsm || skip "bpf not in the active LSM list"
CLI=${RAMPART_CLI:-node $RAMPART_ROOT/dist/rampart.cjs}
W=$(mktemp -d /tmp/daemon-bpf.XXXXXX)
LOG=${VM_TEST_WORK:-$W}/daemon.log
CG=/sys/fs/cgroup/rampart-daemon-bpf
PIN=/sys/fs/bpf/rampart-daemon-bpf
mkdir -p "$W/policies" /tmp/rampart-demo/bin "$CG"
cp /bin/true /tmp/rampart-demo/bin/tool
cp /bin/true /tmp/rampart-demo/fine
mkdir -p /tmp/rampart-demo/real && cp /bin/true /tmp/rampart-demo/real/linked-tool
ln -s real /tmp/rampart-demo/link
cat > "$W/policies/hsp.yaml" <<'Y'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: vm-bpf-block-demo-bin
spec:
  nodeSelector:
    matchLabels:
      kubearmor.io/hostname: "*"
  severity: 6
  message: demo binary blocked
  process:
    matchDirectories:
      - dir: /tmp/rampart-demo/bin/
        recursive: true
    matchPaths:
      - path: /tmp/rampart-demo/link/linked-tool
  action: Block
Y

start_daemon() {
  $CLI run --policies "$W/policies" --enforcer bpf --grpc 127.0.0.1:32791 --pin-dir "$PIN" \
    --containerd-socket "$W/no-containerd.sock" --resync 2 --log-level debug --scope-cgroup "$CG" >>"$LOG" 2>&1 &
  DPID=$!
}
stop_daemon() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
allowed_now() { /tmp/rampart-demo/bin/tool 2>/dev/null; }

start_daemon
wait_for "daemon is running with the BPF-LSM enforcer" 180 grep -q '"rampart: running"' "$LOG"
expect_output "backend is bpf" '"backend":"bpf"' grep '"rampart: running"' "$LOG"
wait_for "the host rule set is applied (workload 0)" 60 grep -q '"key":"0"' "$LOG"

$CLI logs --grpc 127.0.0.1:32791 --json --limit 1 --timeout 60 >"$W/alert.json" 2>&1 &
LPID=$!
# The client needs a while to subscribe in this slow guest and the feeder does not replay: the
# denied exec is repeated (in the monitored test cgroup) until the first alert arrives.
echo $$ > "$CG/cgroup.procs"
expect_denied "exec of a binary under the blocked directory is denied by the kernel" /tmp/rampart-demo/bin/tool
expect_rc "exec of another binary still works" 0 /tmp/rampart-demo/fine
n=90; while [ $n -gt 0 ] && kill -0 "$LPID" 2>/dev/null; do /tmp/rampart-demo/bin/tool 2>/dev/null; sleep 1; n=$((n - 1)); done
echo $$ > /sys/fs/cgroup/cgroup.procs
kill "$LPID" 2>/dev/null
cp "$W/alert.json" "${VM_TEST_WORK:-$W}/alert.json" 2>/dev/null
for f in '"Type":"MatchedHostPolicy"' '"PolicyName":"vm-bpf-block-demo-bin"' '"Action":"Block"' '"Enforcer":"BPFLSM"' \
         '"Operation":"Process"' '"Resource":"/tmp/rampart-demo/bin/tool"' '"Message":"demo binary blocked"' '"Severity":"6"' '"HostPID":[1-9]'; do
  expect_output "rampart logs --json --limit 1 got the alert with $f" "$f" cat "$W/alert.json"
done

expect_denied "a rule path through a symlinked directory blocks the exec by that path" /tmp/rampart-demo/link/linked-tool
expect_denied "and by the path the kernel resolves it to" /tmp/rampart-demo/real/linked-tool
expect_output "the daemon logged the alias" 'link/linked-tool → /tmp/rampart-demo/real/linked-tool' cat "$LOG"
expect_denied "a hard link to the blocked binary cannot be made (it would be another name for it)" ln /tmp/rampart-demo/real/linked-tool /tmp/rampart-demo/hard-tool
expect_rc "a hard link to an unprotected file can" 0 ln /tmp/rampart-demo/fine /tmp/rampart-demo/fine-link

stop_daemon
expect_output "daemon logged a graceful stop" 'SIGTERM received' cat "$LOG"
expect_denied "still enforced with no daemon running (pinned programs and maps)" /tmp/rampart-demo/bin/tool

LOG_BEFORE=$(wc -l <"$LOG")
start_daemon
wait_for "restarted daemon is running" 180 sh -c "tail -n +$((LOG_BEFORE + 1)) '$LOG' | grep -q '\"rampart: running\"'"
sleep 3
if tail -n +"$((LOG_BEFORE + 1))" "$LOG" | grep -q '"reconcile: applied"'; then fail "restart re-applies nothing (adopted by tag)"; else pass "restart re-applies nothing (adopted by tag)"; fi
rm "$W/policies/hsp.yaml"
wait_for "removing the policy file removes the rule set" 60 allowed_now
stop_daemon
node -e "require('$RAMPART_ROOT/native/index.js').removePins('$PIN')" 2>/dev/null || rm -rf "$PIN"
rm -rf "$W" /tmp/rampart-demo
rmdir "$CG" 2>/dev/null
finish
