# SPDX-License-Identifier: Apache-2.0
# vm-lsm: lockdown,capability,landlock,yama,apparmor,bpf
# vm-timeout: 900
#
# Guest test: a container-policy exec in a runc container, blocked by `rampart run --enforcer apparmor`.
#  - a private containerd (AppArmor enabled) + runc runs pod shop/web-0 through CRI;
#  - the daemon (standalone) finds the container through CRI and loads its profile
#    rampart-shop-web-0-app; the container is then recreated with that Localhost profile (what a
#    rollout restart does once a node's profiles exist — AppArmor attaches at container start);
#  - the daemon is restarted (re-adopting the profile) with its monitor scoped to the new
#    container's cgroup; `/bin/sleep` inside the container is denied by AppArmor, and
#    `rampart logs --json --limit 1` receives the Block alert with the container identity fields.
set -u
. "$RAMPART_ROOT/test/vm/lib/check.sh"

[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || skip "AppArmor not enabled in this boot"
command -v containerd >/dev/null || skip "containerd not installed (scripts/setup.sh installs it)"
CLI=${RAMPART_CLI:-node $RAMPART_ROOT/dist/rampart.cjs}
POD="node --import tsx $RAMPART_ROOT/test/containerd/pod.ts"
W=$(mktemp -d /tmp/daemon-ctr-aa.XXXXXX)
OUT=${VM_TEST_WORK:-$W}
LOG=$OUT/daemon.log
WAIT_LOGS="$LOG $OUT/pod.log"
PIN=/sys/fs/bpf/rampart-daemon-ctr-aa
AADIR=/etc/apparmor.d/rampart
mkdir -p "$W/policies"
cat > "$W/policies/ksp.yaml" <<'Y'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: web-no-sleep-aa
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  severity: 5
  message: no sleeping in web
  process:
    matchPaths:
      - path: /bin/sleep
  action: Block
Y

field() { sed "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/" "$W/pod.json"; }
start_daemon() { # start_daemon EXTRA-ARGS...
  $CLI run --policies "$W/policies" --enforcer apparmor --grpc 127.0.0.1:32793 --pin-dir "$PIN" \
    --containerd-socket "$(field socket)" --resync 2 --log-level debug "$@" >>"$LOG" 2>&1 &
  DPID=$!
}
stop_daemon() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }

CT=/run/rampart-ctrd-vmtest-aa
mkdir -p "$CT" && mount -t tmpfs tmpfs "$CT"
(cd "$RAMPART_ROOT" && RAMPART_CONTAINERD_TMP=$CT RAMPART_CONTAINERD_APPARMOR=1 $POD up "$W/pod.json" >"$OUT/pod.log" 2>&1) &
PODPID=$!
pod_up() { test -s "$W/pod.json" || { kill -0 "$PODPID" 2>/dev/null || { echo "pod helper exited"; return 2; }; return 1; }; }
wait_for "containerd + runc run the pod (CRI)" 400 pod_up || { umount "$CT"; finish; }

start_daemon --no-monitor
wait_for "the daemon loads the container's profile rampart-shop-web-0-app" 240 grep -q '^rampart-shop-web-0-app ' /sys/kernel/security/apparmor/profiles
stop_daemon

expect_rc "the container is recreated under the Localhost profile" 0 $POD recreate "$W/pod.json" rampart-shop-web-0-app
CID=$(field containerId)
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
CCG=$CG2$(field cgroupParent)/$CID
expect_rc "the new container has its cgroup" 0 test -d "$CCG"

PASSES=$(grep -c '"reconcile: pass"' "$LOG")
start_daemon --scope-cgroup "$CCG"
wait_for "the restarted daemon is running with the monitor on the container's cgroup" 240 grep -q '"monitor: started"' "$LOG"
passes_after() { [ "$(grep -c '"reconcile: pass"' "$LOG")" -ge $((PASSES + 2)) ]; }
wait_for "and has listed the new container (two passes)" 120 passes_after
$CLI logs --grpc 127.0.0.1:32793 --json --limit 1 --timeout 60 >"$W/alert.json" 2>&1 &
LPID=$!
expect_output "the container runs confined by rampart-shop-web-0-app" '^rampart-shop-web-0-app' $POD exec "$W/pod.json" /bin/busybox cat /proc/self/attr/current
# AppArmor attaches the container's profile AT the exec of the exec'd command, so that first exec
# is checked under the runtime's own confinement (KubeArmor #1728, compat §21.1.10); a command
# run from inside the container (here: by its shell) is checked under the container's profile.
expect_denied "exec of /bin/sleep inside the container is denied by AppArmor" $POD exec "$W/pod.json" /bin/sh -c "/bin/sleep 0"
expect_rc "other commands in the container still work" 0 $POD exec "$W/pod.json" /bin/busybox true
n=20; while [ $n -gt 0 ] && kill -0 "$LPID" 2>/dev/null; do $POD exec "$W/pod.json" /bin/sh -c "/bin/sleep 0" >/dev/null 2>&1; n=$((n - 1)); done
kill "$LPID" 2>/dev/null
cp "$W/alert.json" "$OUT/alert.json" 2>/dev/null
for f in '"Type":"MatchedPolicy"' '"PolicyName":"web-no-sleep-aa"' '"Action":"Block"' '"Enforcer":"AppArmor"' '"Result":"Permission denied"' \
         '"Operation":"Process"' '"Resource":"/bin/sleep' '"NamespaceName":"shop"' '"PodName":"web-0"' '"ContainerName":"app"' "\"ContainerID\":\"$CID\"" \
         '"ContainerImage":"[^"]*busybox' '"Labels":"app=web"' '"HostPID":[1-9]' '"Severity":"5"'; do
  expect_output "rampart logs got the alert with $f" "$f" cat "$W/alert.json"
done

stop_daemon
kill -TERM "$PODPID" 2>/dev/null; wait "$PODPID" 2>/dev/null
for p in "$AADIR"/rampart-*; do [ -f "$p" ] && apparmor_parser -R "$p" 2>/dev/null; rm -f "$p"; done
# containerd (AppArmor enabled) loaded its default profile for the pause container.
printf '%s' cri-containerd.apparmor.d > /sys/kernel/security/apparmor/.remove 2>/dev/null
node -e "require('$RAMPART_ROOT/native/index.js').removePins('$PIN')" 2>/dev/null || rm -rf "$PIN"
umount "$CT" 2>/dev/null
rm -rf "$W"
finish
