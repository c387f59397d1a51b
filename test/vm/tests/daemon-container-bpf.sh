# SPDX-License-Identifier: Apache-2.0
# vm-lsm: lockdown,capability,landlock,yama,apparmor,bpf
# vm-timeout: 900
#
# Guest test: a container-policy exec in a runc container, blocked by `rampart run --enforcer bpf`.
#  - a private containerd + runc (test/containerd/harness.ts: local images, no registry) runs pod
#    shop/web-0 (label app=web) with container "app" through CRI;
#  - the daemon (standalone, --containerd-socket) finds the container through CRI, keys its rules
#    by the container's cgroup id, and the kernel denies `/bin/sleep` inside it (CRI ExecSync);
#  - `rampart logs --json --limit 1` receives the Block alert with the container identity fields.
set -u
. "$RAMPART_ROOT/test/vm/lib/check.sh"

grep -qw bpf /sys/kernel/security/lsm || skip "bpf not in the active LSM list"
command -v containerd >/dev/null || skip "containerd not installed (scripts/setup.sh installs it)"
CLI=${RAMPART_CLI:-node $RAMPART_ROOT/dist/rampart.cjs}
POD="node --import tsx $RAMPART_ROOT/test/containerd/pod.ts"
W=$(mktemp -d /tmp/daemon-ctr.XXXXXX)
OUT=${VM_TEST_WORK:-$W}
LOG=$OUT/daemon.log
WAIT_LOGS="$LOG $OUT/pod.log"
PIN=/sys/fs/bpf/rampart-daemon-ctr
mkdir -p "$W/policies"
cat > "$W/policies/ksp.yaml" <<'Y'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: web-no-sleep
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


# The guest root is an overlayfs; containerd's overlay snapshots need a tmpfs underneath.
CT=/run/rampart-ctrd-vmtest
mkdir -p "$CT" && mount -t tmpfs tmpfs "$CT"
(cd "$RAMPART_ROOT" && RAMPART_CONTAINERD_TMP=$CT $POD up "$W/pod.json" >"$OUT/pod.log" 2>&1) &
PODPID=$!
pod_up() { test -s "$W/pod.json" || { kill -0 "$PODPID" 2>/dev/null || { echo "pod helper exited"; return 2; }; return 1; }; }
wait_for "containerd + runc run the pod (CRI)" 400 pod_up || { kill "$PODPID" 2>/dev/null; umount "$CT"; finish; }
SOCK=$(sed 's/.*"socket":"\([^"]*\)".*/\1/' "$W/pod.json")
CID=$(sed 's/.*"containerId":"\([^"]*\)".*/\1/' "$W/pod.json")
expect_rc "the container runs sleep-free commands" 0 $POD exec "$W/pod.json" /bin/busybox true

$CLI run --policies "$W/policies" --enforcer bpf --grpc 127.0.0.1:32792 --pin-dir "$PIN" --no-monitor \
  --containerd-socket "$SOCK" --resync 2 --log-level debug >>"$LOG" 2>&1 &
DPID=$!
wait_for "the daemon applies the container's rules (keyed by its cgroup id)" 240 grep -q '"for":"container:shop/web-0/app"' "$LOG"

$CLI logs --grpc 127.0.0.1:32792 --json --limit 1 --timeout 60 >"$W/alert.json" 2>&1 &
LPID=$!
expect_denied "exec of /bin/sleep inside the container is denied by the kernel" $POD exec "$W/pod.json" /bin/sleep 0
expect_rc "other commands in the container still work" 0 $POD exec "$W/pod.json" /bin/busybox true
n=20; while [ $n -gt 0 ] && kill -0 "$LPID" 2>/dev/null; do $POD exec "$W/pod.json" /bin/sleep 0 >/dev/null 2>&1; n=$((n - 1)); done
kill "$LPID" 2>/dev/null
cp "$W/alert.json" "$OUT/alert.json" 2>/dev/null
for f in '"Type":"MatchedPolicy"' '"PolicyName":"web-no-sleep"' '"Action":"Block"' '"Enforcer":"BPFLSM"' '"Operation":"Process"' \
         '"Resource":"/bin/sleep' '"NamespaceName":"shop"' '"PodName":"web-0"' '"ContainerName":"app"' "\"ContainerID\":\"$CID\"" \
         '"ContainerImage":"[^"]*busybox' '"Labels":"app=web"' '"Owner":{"Ref":"Pod","Name":"web-0","Namespace":"shop"}' '"HostPID":[1-9]' '"Severity":"5"'; do
  expect_output "rampart logs got the alert with $f" "$f" cat "$W/alert.json"
done

kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null
kill -TERM "$PODPID" 2>/dev/null; wait "$PODPID" 2>/dev/null
node -e "require('$RAMPART_ROOT/native/index.js').removePins('$PIN')" 2>/dev/null || rm -rf "$PIN"
umount "$CT" 2>/dev/null
rm -rf "$W"
finish
