#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The "native" suite: cargo tests of the pure Rust logic (codecs, generation swap, generated
# TS layout), then node:test tests of the addon through its generated loader (needs root for
# the BPF parts, and a built addon: native/build.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
export RAMPART_CACHE=${RAMPART_CACHE:-/var/cache/rampart}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$RAMPART_CACHE/cargo-target}
RAMPART_BPF_SOURCES=$(bpf/build.sh sources-hash); export RAMPART_BPF_SOURCES # see bpf/build.sh
fail=0
echo "== native: cargo test =="
(cd native && nice -n 10 cargo test --release --quiet 2>&1) || fail=1
if [ ! -f native/rampart.linux-x64-gnu.node ]; then
  echo "native: addon not built (run native/build.sh)"; exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "native: addon tests need root (BPF); not run"; exit 1
fi
echo "== native: addon tests (node:test) =="
node --import tsx --test --test-concurrency=1 native/events.test.ts native/addon.test.ts || fail=1
[ $fail -eq 0 ] && echo "native: ok" || echo "native: FAILED"
exit $fail
