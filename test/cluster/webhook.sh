#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Run the Rampart Pepr module as the admission webhook of the test control plane.
#   webhook.sh start   build the module (`pepr build`, into dist/pepr), start the bundle directly
#                      (platform-notes d.5) with PEPR_MODE=dev (admission + watches in one
#                      process) on a private port with a cert from the test CA, then register
#                      Pepr's generated webhook configurations rewritten to a localhost URL.
#   webhook.sh stop    delete the webhook configurations, then stop the process (by PID).
# RAMPART_WEBHOOK_EXTRA_REPLICAS=N (default 0) also starts N admission-only processes (as the
# bundle's admission Deployment runs them: no PEPR_MODE=dev, PEPR_WATCH_MODE=false) on the next N
# ports, for bench/admission.ts to spread its connections over like a Service does. The API
# server's webhook URL names the first process only. All ports are listed in $STATE/webhook-ports.
# `pepr dev` is not used: it fixes port 3000 and regenerates its own CA on every start.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STATE=${RAMPART_CLUSTER_DIR:-/tmp/rampart-cluster}
# shellcheck disable=SC1091
. "$STATE/env"
KUBECTL=${RAMPART_KUBECTL:-kubectl}
PORT=${RAMPART_WEBHOOK_PORT:-39443}
log() { echo "webhook: $*" >&2; }

stop() {
  "$KUBECTL" delete mutatingwebhookconfiguration,validatingwebhookconfiguration -l rampart.dev/test-harness=true \
    --ignore-not-found --request-timeout=10s >/dev/null 2>&1 || true
  for f in "$STATE"/webhook.pid "$STATE"/webhook-replica-*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  rm -f "$STATE/webhook-ports"
}

# wait_healthy PORT PIDFILE LOG: until the process answers /healthz
wait_healthy() {
  for i in $(seq 1 120); do
    if curl -fsS --cacert "$STATE/pki/ca.crt" "https://localhost:$1/healthz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$(cat "$2")" 2>/dev/null || { tail -n 40 "$3" >&2; log "module on port $1 exited"; exit 1; }
    [ "$i" = 120 ] && { tail -n 40 "$3" >&2; log "timed out waiting for /healthz on port $1"; exit 1; }
    sleep 0.5
  done
}

# launch PORT PIDFILE LOG [VAR=value...]: run the built module with the harness's cert and API
# path on PORT (plus the mode variables given), record its PID, wait for /healthz.
launch() {
  local port=$1 pidfile=$2 logfile=$3
  shift 3
  env "$@" PEPR_API_PATH="$API_PATH" RAMPART_WEBHOOK_PORT="$port" \
    SSL_KEY_PATH="$STATE/pki/webhook.key" SSL_CERT_PATH="$STATE/pki/webhook.crt" \
    LOG_LEVEL="${RAMPART_WEBHOOK_LOG_LEVEL:-info}" KUBECONFIG="$STATE/pki/pepr.kubeconfig" \
    setsid node ${RAMPART_WEBHOOK_NODE_ARGS:-} dist/pepr/pepr-rampart.js >"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  wait_healthy "$port" "$pidfile" "$logfile"
}

start() {
  cd "$ROOT"
  if [ "${RAMPART_SKIP_PEPR_BUILD:-0}" != 1 ] || [ ! -f dist/pepr/pepr-rampart.js ]; then
    log "building the Pepr module (npx --no-install pepr build -o dist/pepr)"
    nice -n 10 npx --no-install pepr build -o dist/pepr >"$STATE/logs/pepr-build.log" 2>&1 ||
      { tail -n 40 "$STATE/logs/pepr-build.log" >&2; log "pepr build failed"; exit 1; }
  fi
  API_PATH=$(openssl rand -hex 32)
  (umask 077 && printf '%s' "$API_PATH" >"$STATE/api-path") # for bench/admission.ts
  log "starting the module on https://localhost:$PORT"
  launch "$PORT" "$STATE/webhook.pid" "$STATE/logs/webhook.log" PEPR_MODE=dev PEPR_RESYNC_DELAY_SECONDS=1
  ports=$PORT
  for n in $(seq 1 "${RAMPART_WEBHOOK_EXTRA_REPLICAS:-0}"); do
    p=$((PORT + n))
    log "starting admission-only replica $n on https://localhost:$p"
    launch "$p" "$STATE/webhook-replica-$p.pid" "$STATE/logs/webhook-$p.log" PEPR_WATCH_MODE=false
    ports="$ports,$p"
  done
  echo "$ports" >"$STATE/webhook-ports"
  node --import tsx "$HERE/webhook-config.ts" dist/pepr/pepr-module-rampart.yaml "$STATE/pki/ca.crt" "$PORT" "$API_PATH" \
    >"$STATE/webhooks.yaml"
  "$KUBECTL" apply -f "$STATE/webhooks.yaml" >/dev/null
  log "registered; log in $STATE/logs/webhook.log"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  *) echo "usage: webhook.sh start|stop" >&2; exit 2 ;;
esac
