#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Installs everything Rampart needs on a fresh Debian 12 machine (run as root) and builds the
# tree. Idempotent: every step is skipped when its result is already there. Caches live
# outside the repository (RAMPART_CACHE, default /var/cache/rampart).
set -euo pipefail
cd "$(dirname "$0")/.."
export RAMPART_CACHE=${RAMPART_CACHE:-/var/cache/rampart}
mkdir -p "$RAMPART_CACHE"

log() { printf '\n== setup: %s ==\n' "$*"; }

install_apt() {
  local want=() missing=()
  mapfile -t want < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/apt-packages.txt)
  for p in "${want[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then log "apt: all ${#want[@]} packages present"; return; fi
  log "apt: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_npm() {
  if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    log "npm: node_modules up to date"
  else
    log "npm ci"
    npm ci --no-audit --no-fund
  fi
}

build_all() {
  log "build: CLI bundle"
  npm run --silent build
  # Optional parts register themselves by existing: each build hook is idempotent.
  for hook in bpf/build.sh native/build.sh; do
    if [ -x "$hook" ]; then log "build: $hook"; "$hook"; fi
  done
}

install_apt
install_npm
build_all
log "done"
