#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Start a private, loopback-only control plane for the cluster e2e:
#   etcd (built from the Go proxy, or Debian's 3.4) -> kube-apiserver 1.34 -> CRDs ->
#   the Rampart Pepr module (built with `pepr build`, run directly as the webhook on a private port).
# Everything is kept in $RAMPART_CLUSTER_DIR (default /tmp/rampart-cluster): PKI, logs, pid files,
# data. Private ports (override with env): etcd 23791/23792, apiserver 36443, webhook 39443.
# Prints `export KUBECONFIG=...` on its last line. Stop with test/cluster/down.sh (always safe).
#
#   --no-webhook   start only etcd + kube-apiserver + CRDs
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STATE=${RAMPART_CLUSTER_DIR:-/tmp/rampart-cluster}
ETCD_PORT=${RAMPART_ETCD_PORT:-23791}
ETCD_PEER_PORT=${RAMPART_ETCD_PEER_PORT:-23792}
export RAMPART_API_PORT=${RAMPART_API_PORT:-36443}
WEBHOOK_PORT=${RAMPART_WEBHOOK_PORT:-39443}
WITH_WEBHOOK=1
for a in "$@"; do
  case $a in
    --no-webhook) WITH_WEBHOOK=0 ;;
    *) echo "usage: up.sh [--no-webhook]" >&2; exit 2 ;;
  esac
done
log() { echo "cluster-up: $*" >&2; }
die() { log "$*"; exit 1; }

if [ -f "$STATE/env" ] && [ -f "$STATE/apiserver.pid" ] && kill -0 "$(cat "$STATE/apiserver.pid")" 2>/dev/null; then
  log "already running (state in $STATE); run test/cluster/down.sh first to restart"
  echo "export KUBECONFIG=$STATE/pki/admin.kubeconfig"
  exit 0
fi

# Binaries: built once, cached outside the repository.
BIN=$("$HERE/build-k8s.sh" | tail -1)
KUBECTL=$BIN/kubectl
[ -x "$KUBECTL" ] || KUBECTL=$(command -v kubectl) || die "no kubectl"
ETCD=""
for c in "${RAMPART_CACHE:-/var/cache/rampart}"/etcd/*/bin/etcd /usr/bin/etcd; do
  [ -x "$c" ] && { ETCD=$c; break; }
done
[ -n "$ETCD" ] || die "no etcd: build one (test/cluster/build-k8s.sh) or apt-get install etcd-server"

# Webhook URLs use `localhost`: the apiserver resolves it through /etc/hosts (cgo is off).
if ! grep -Eq '^[[:space:]]*127\.0\.0\.1[[:space:]]+(.*[[:space:]])?localhost([[:space:]]|$)' /etc/hosts; then
  if [ -w /etc/hosts ]; then
    log "adding '127.0.0.1 localhost' to /etc/hosts (needed for the webhook URL)"
    echo "127.0.0.1 localhost" >>/etc/hosts
  else
    die "/etc/hosts lacks '127.0.0.1 localhost' and is not writable"
  fi
fi

port_busy() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }
for p in "$ETCD_PORT" "$ETCD_PEER_PORT" "$RAMPART_API_PORT" "$WEBHOOK_PORT"; do
  port_busy "$p" && die "port $p is in use; set RAMPART_ETCD_PORT/RAMPART_API_PORT/RAMPART_WEBHOOK_PORT"
done

# Only ever delete a directory this harness created (marker file) or an empty one.
if [ -e "$STATE" ] && [ ! -f "$STATE/.rampart-harness" ] && [ ! -f "$STATE/env" ] && [ -n "$(ls -A "$STATE" 2>/dev/null)" ]; then
  die "refusing to reuse $STATE: not empty and not a harness directory (set RAMPART_CLUSTER_DIR)"
fi
rm -rf "$STATE"
mkdir -p "$STATE/logs" "$STATE/etcd"
touch "$STATE/.rampart-harness"
chmod 700 "$STATE"
KUBECTL=$KUBECTL "$HERE/pki.sh" "$STATE/pki" >/dev/null
P=$STATE/pki
export KUBECONFIG=$P/admin.kubeconfig
cat >"$STATE/env" <<ENV
export KUBECONFIG=$P/admin.kubeconfig
export RAMPART_KUBECTL=$KUBECTL
export RAMPART_API_PORT=$RAMPART_API_PORT
export RAMPART_WEBHOOK_PORT=$WEBHOOK_PORT
export RAMPART_CLUSTER_DIR=$STATE
ENV

# On any failure below, leave nothing running.
trap 'rc=$?; if [ $rc -ne 0 ]; then log "failed (rc=$rc); logs:"; for f in "$STATE"/logs/*.log; do echo "--- $f" >&2; tail -n 25 "$f" >&2; done; "$HERE/down.sh" >&2 || true; fi' EXIT

wait_for() { # seconds description command...
  local t=$1 what=$2
  shift 2
  for _ in $(seq 1 "$((t * 2))"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "timed out after ${t}s waiting for $what"
}

etcd_extra=()
"$ETCD" --version 2>/dev/null | grep -q 'etcd Version: 3.4' || etcd_extra+=(--unsafe-no-fsync)
log "starting etcd ($("$ETCD" --version 2>/dev/null | head -1)) on 127.0.0.1:$ETCD_PORT"
setsid "$ETCD" --name rampart-test --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "rampart-test=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "" \
  "${etcd_extra[@]}" >"$STATE/logs/etcd.log" 2>&1 </dev/null &
echo $! >"$STATE/etcd.pid"
wait_for 30 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

HOSTIP=$(ip -4 -o addr show scope global 2>/dev/null | awk 'NR==1{split($4,a,"/");print a[1]}')
[ -n "$HOSTIP" ] || die "kube-apiserver needs a non-loopback --advertise-address; no global IPv4 address found"
log "starting kube-apiserver ($("$BIN/kube-apiserver" --version)) on 127.0.0.1:$RAMPART_API_PORT"
setsid "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --secure-port="$RAMPART_API_PORT" --advertise-address="$HOSTIP" \
  --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
  --client-ca-file="$P/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction --disable-admission-plugins=ServiceAccount \
  --allow-privileged=true \
  --profiling=false \
  >"$STATE/logs/kube-apiserver.log" 2>&1 </dev/null &
echo $! >"$STATE/apiserver.pid"
wait_for 120 "kube-apiserver /readyz" "$KUBECTL" get --raw /readyz
log "kube-apiserver ready"

# CRDs: KubeArmor's (manifests/crds) and Rampart's own (manifests/base/crds).
"$KUBECTL" apply --server-side -f "$ROOT/manifests/crds/" -f "$ROOT/manifests/base/crds/" >"$STATE/logs/crds.log"
wait_for 60 "CRDs established" "$KUBECTL" wait --for condition=established --timeout=5s crd --all
# Pepr keeps its store in pepr-system (hard-coded); the node daemons live in rampart-system.
"$KUBECTL" create namespace pepr-system >/dev/null
"$KUBECTL" create namespace rampart-system >/dev/null
# The module runs as the bundle's ServiceAccount identity with the bundle's scoped RBAC (the
# binding mirrors the ClusterRoleBinding Pepr generates), so every e2e also proves the RBAC.
"$KUBECTL" apply -f "$ROOT/manifests/base/pepr/rbac.yaml" >/dev/null
"$KUBECTL" create clusterrolebinding pepr-rampart --clusterrole=pepr-rampart --serviceaccount=pepr-system:pepr-rampart >/dev/null

if [ "$WITH_WEBHOOK" = 1 ]; then
  "$HERE/webhook.sh" start
fi
trap - EXIT
log "up; state in $STATE; stop with: npm run cluster:down"
echo "export KUBECONFIG=$P/admin.kubeconfig"
