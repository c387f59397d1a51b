#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Stop what up.sh started: delete the webhook configurations first (a leftover Fail webhook would
# block writes to a restarted apiserver), then kill the webhook, kube-apiserver and etcd by the
# PIDs recorded in $RAMPART_CLUSTER_DIR, then remove the state directory. Safe to run twice.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=${RAMPART_CLUSTER_DIR:-/tmp/rampart-cluster}
[ -d "$STATE" ] || { echo "cluster-down: nothing to stop ($STATE absent)"; exit 0; }
# shellcheck disable=SC1091
[ -f "$STATE/env" ] && . "$STATE/env"
KUBECTL=${RAMPART_KUBECTL:-kubectl}

if [ -f "$STATE/apiserver.pid" ] && kill -0 "$(cat "$STATE/apiserver.pid")" 2>/dev/null; then
  "$KUBECTL" delete mutatingwebhookconfiguration,validatingwebhookconfiguration \
    -l rampart.dev/test-harness=true --ignore-not-found --wait=false --request-timeout=10s >/dev/null 2>&1 || true
fi

stop_pid() { # name pidfile
  [ -f "$2" ] || return 0
  local pid
  pid=$(cat "$2")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$2"
}
stop_pid webhook "$STATE/webhook.pid"
for f in "$STATE"/webhook-replica-*.pid; do stop_pid webhook-replica "$f"; done
stop_pid kube-apiserver "$STATE/apiserver.pid"
stop_pid etcd "$STATE/etcd.pid"
if [ "${RAMPART_KEEP_CLUSTER_DIR:-0}" = 1 ]; then
  echo "cluster-down: stopped; kept $STATE"
elif [ -f "$STATE/.rampart-harness" ] || [ -f "$STATE/env" ] || [ -z "$(ls -A "$STATE" 2>/dev/null)" ]; then
  rm -rf "$STATE"
  echo "cluster-down: stopped"
else
  echo "cluster-down: stopped; left $STATE in place (not a harness directory)"
fi
