#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Build the control-plane binaries the cluster e2e needs (kube-apiserver, kubectl, etcd) from the
# Go module proxy and cache them OUTSIDE the repository, keyed by version:
#   ${RAMPART_CACHE:-/var/cache/rampart}/k8s/<k8s-version>/bin/{kube-apiserver,kubectl}
#   ${RAMPART_CACHE:-/var/cache/rampart}/etcd/<etcd-version>/bin/etcd
# A binary already in the cache is never rebuilt. Prints the bin directory on the last line.
#
# k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces the staging modules with local
# paths), so we write a throw-away wrapper module that requires k8s.io/kubernetes and replaces
# every staging module with its published v0.<minor>.<patch> tag (kubernetes/kubernetes#79384).
# The replace list is generated from the downloaded upstream go.mod, never hard-coded.
set -euo pipefail

K8S=${K8S_VERSION:-v1.34.4}
STG="v0.${K8S#v1.}"
MINOR=$(echo "$K8S" | cut -d. -f2)
ETCD=${ETCD_VERSION:-v3.6.16}
CACHE=${RAMPART_CACHE:-/var/cache/rampart}
GO_CACHE_ROOT=$CACHE/go
BIN=$CACHE/k8s/$K8S/bin
ETCD_BIN=$CACHE/etcd/$ETCD/bin
NICE=${NICE:-nice -n 10}

export GOMODCACHE=${GOMODCACHE_OVERRIDE:-$GO_CACHE_ROOT/mod}
export GOCACHE=${GOCACHE_OVERRIDE:-$GO_CACHE_ROOT/build}
export CGO_ENABLED=0 GOFLAGS=-trimpath GOTOOLCHAIN=local
mkdir -p "$BIN" "$ETCD_BIN" "$GOMODCACHE" "$GOCACHE"

log() { echo "build-k8s: $*" >&2; }
command -v go >/dev/null || { log "go is not installed (scripts/apt-packages.txt / toolchain)"; exit 1; }

want=()
[ -x "$BIN/kube-apiserver" ] || want+=(kube-apiserver)
[ -x "$BIN/kubectl" ] || want+=(kubectl)

if [ ${#want[@]} -gt 0 ]; then
  SRC=$CACHE/k8s/$K8S/src
  mkdir -p "$SRC"
  cd "$SRC"
  if [ ! -f go.mod ] || ! grep -q "k8s.io/kubernetes $K8S" go.mod; then
    rm -f go.mod go.sum
    go mod init ci.local/k8sbins >/dev/null 2>&1
    log "downloading k8s.io/kubernetes@$K8S"
    go mod download k8s.io/kubernetes@"$K8S"
    KMOD=$GOMODCACHE/cache/download/k8s.io/kubernetes/@v/$K8S.mod
    mods=$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$KMOD")
    [ -n "$mods" ] || { log "no staging replaces found in $KMOD"; exit 1; }
    args=()
    for m in $mods; do args+=("-replace=$m=$m@$STG"); done
    go mod edit "${args[@]}"
    go mod edit -go="$(sed -n 's/^go \(.*\)/\1/p' "$KMOD")"
    grep '^godebug' "$KMOD" >>go.mod || true
    log "resolving tools (kube-apiserver, kubectl) with $(echo "$mods" | wc -w) staging replaces at $STG"
    go get -tool k8s.io/kubernetes/cmd/kube-apiserver@"$K8S" k8s.io/kubernetes/cmd/kubectl@"$K8S"
  fi
  V="-X k8s.io/component-base/version"
  W="-X k8s.io/client-go/pkg/version"
  LDF="-s -w $V.gitVersion=$K8S $V.gitMajor=1 $V.gitMinor=$MINOR $V.gitTreeState=clean \
$W.gitVersion=$K8S $W.gitMajor=1 $W.gitMinor=$MINOR $W.gitTreeState=clean"
  for t in "${want[@]}"; do
    log "building $t $K8S (cold: 10-30 min on 2 cores)"
    start=$(date +%s)
    $NICE go build -ldflags "$LDF" -o "$BIN/$t.tmp" "k8s.io/kubernetes/cmd/$t"
    mv "$BIN/$t.tmp" "$BIN/$t"
    log "built $t in $(($(date +%s) - start)) s"
  done
fi
"$BIN/kube-apiserver" --version >&2

# etcd: 3.5+ from the proxy via a wrapper main calling etcdmain.Main (server/go.mod has replaces,
# so `go install` is refused). RAMPART_ETCD_DEBIAN=1 skips this; up.sh then uses /usr/bin/etcd
# (3.4.23, which kube-apiserver 1.34 accepts with a RequestWatchProgress warning).
if [ "${RAMPART_ETCD_DEBIAN:-0}" != 1 ] && [ ! -x "$ETCD_BIN/etcd" ]; then
  ESRC=$CACHE/etcd/$ETCD/src
  mkdir -p "$ESRC"
  cd "$ESRC"
  cat >main.go <<'GO'
// SPDX-License-Identifier: Apache-2.0
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  if [ ! -f go.mod ]; then
    go mod init ci.local/etcdbin >/dev/null 2>&1
    go get go.etcd.io/etcd/server/v3@"$ETCD"
    go mod tidy
  fi
  log "building etcd $ETCD"
  start=$(date +%s)
  if $NICE go build -ldflags "-s -w" -o "$ETCD_BIN/etcd.tmp" .; then
    mv "$ETCD_BIN/etcd.tmp" "$ETCD_BIN/etcd"
    log "built etcd in $(($(date +%s) - start)) s"
  else
    log "etcd build failed; up.sh will fall back to /usr/bin/etcd"
  fi
fi
# helm (optional, for rendering the chart in the e2e): helm's go.mod has no replaces, so a plain
# `go install` works. A failure only makes the Helm test skip with a reason.
HELM=${HELM_VERSION:-v3.19.0}
HELM_BIN=$CACHE/helm/$HELM/bin
if [ "${RAMPART_BUILD_HELM:-1}" = 1 ] && [ ! -x "$HELM_BIN/helm" ]; then
  mkdir -p "$HELM_BIN"
  log "building helm $HELM"
  start=$(date +%s)
  if GOBIN=$HELM_BIN $NICE go install -ldflags "-s -w" helm.sh/helm/v3/cmd/helm@"$HELM" >&2; then
    log "built helm in $(($(date +%s) - start)) s"
  else
    log "helm build failed; the Helm rendering test will be skipped"
  fi
fi
echo "$BIN"
