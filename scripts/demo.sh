#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The README's main job on one machine (called by scripts/start.sh): the standalone daemon on
# the embedded default (examples/host/) showing alerts. It starts `rampart run` (enforcer auto:
# BPF-LSM or AppArmor where the kernel has them, else monitor + audit), subscribes with
# `rampart logs`, and runs the demo actions the default policies name: exec of /usr/bin/passwd
# (Audit) and of a binary under /tmp/rampart-demo/bin/ (Block; "Audit (Block)" on a node without
# a usable LSM).
#
# Then, on a terminal (or with RAMPART_DEMO_FOLLOW=1), the daemon keeps running and alerts keep
# streaming until Ctrl-C; otherwise (RAMPART_DEMO_FOLLOW=0, the default without a terminal) the
# demo stops after the two alerts.
# Safe on shared machines: the monitor only watches a cgroup this script creates, the BPF pins
# live in a private directory, and everything is removed at the end. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=(node bin/rampart.js)
PORT=${RAMPART_DEMO_PORT:-32767}
if [ -t 0 ] && [ -t 1 ]; then FOLLOW=${RAMPART_DEMO_FOLLOW:-1}; else FOLLOW=${RAMPART_DEMO_FOLLOW:-0}; fi
[ "$(id -u)" = 0 ] || { echo "demo: needs root (the daemon loads BPF programs and creates a cgroup)"; exit 1; }
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$CG2" ] || { echo "demo: no cgroup2 mount"; exit 1; }
CG=$CG2/rampart-demo-$$
PIN=/sys/fs/bpf/rampart-demo-$$
WORK=$(mktemp -d /tmp/rampart-demo-run.XXXXXX)
DPID=""; LPID=""
cleanup() {
  set +e
  [ -n "$LPID" ] && kill "$LPID" 2>/dev/null
  [ -n "$DPID" ] && { kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
  node -e "try{require('./native/index.js').removePins('$PIN')}catch{}" 2>/dev/null || true
  rm -rf "$PIN" 2>/dev/null || true
  rmdir "$CG" 2>/dev/null || true
  rm -rf "$WORK" /tmp/rampart-demo
  # AppArmor nodes: the demo's host profile is removed by unloading what the daemon wrote.
  [ -f "$WORK.aa/rampart.host" ] && apparmor_parser -R "$WORK.aa/rampart.host" 2>/dev/null
  rm -rf "$WORK.aa"
}
trap cleanup EXIT
mkdir -p "$CG" /tmp/rampart-demo/bin
cp /bin/true /tmp/rampart-demo/bin/demo-tool

echo "== rampart run (standalone, embedded default examples/host/) =="
"${CLI[@]}" run --grpc "127.0.0.1:$PORT" --scope-cgroup "$CG" --pin-dir "$PIN" --apparmor-dir "$WORK.aa" \
  --containerd-socket "$WORK/no-containerd.sock" >"$WORK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 120); do grep -q '"rampart: running"' "$WORK/daemon.log" 2>/dev/null && break; kill -0 "$DPID" || break; sleep 0.5; done
grep -E '"(enforcer: |policies: loaded|reconcile: applied|monitor: |rampart: running)' "$WORK/daemon.log" | sed 's/^/  daemon | /'
grep -q '"rampart: running"' "$WORK/daemon.log" || { echo "demo: the daemon did not start"; cat "$WORK/daemon.log"; exit 1; }

echo "== rampart logs --limit 2 (alerts as they arrive) =="
"${CLI[@]}" logs --grpc "127.0.0.1:$PORT" --limit 2 >"$WORK/alerts.txt" 2>&1 &
LPID=$!
# The demo actions run inside the monitored cgroup; repeated until both alerts arrived (the
# feeder does not replay events to a client that subscribed late).
for _ in $(seq 40); do
  kill -0 "$LPID" 2>/dev/null || break
  sh -c "echo \$\$ > $CG/cgroup.procs; /usr/bin/passwd --help >/dev/null 2>&1; /tmp/rampart-demo/bin/demo-tool" 2>/dev/null || true
  sleep 0.5
done
wait "$LPID" 2>/dev/null; LPID=""
cat "$WORK/alerts.txt"
grep -q '^== Alert' "$WORK/alerts.txt" || { echo "demo: no alert arrived; daemon log:"; tail -n 20 "$WORK/daemon.log"; exit 1; }

if [ "$FOLLOW" = 1 ]; then
  echo
  echo "== the daemon keeps running: alerts follow (Ctrl-C stops and cleans up) =="
  echo "   Only processes in $CG are watched. To watch a shell:  echo \$\$ > $CG/cgroup.procs"
  echo "   then e.g. /usr/bin/passwd --help, or cat /tmp/rampart-demo/secret.txt"
  echo "   Policies: edit examples/host/*.yaml; the daemon reloads them."
  trap 'exit 0' INT TERM HUP
  "${CLI[@]}" logs --grpc "127.0.0.1:$PORT" --follow || true
fi
