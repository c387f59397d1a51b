#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds the napi addon (native/rampart.linux-x64-gnu.node, git-ignored) and regenerates the
# committed loader and typings (native/index.js, native/index.d.ts). Idempotent; called by
# scripts/setup.sh. Cargo's target dir lives in the cache so fresh clones reuse the build.
#
#   native/build.sh            release build
#   native/build.sh --debug    debug build (faster to compile, slower to run)
set -euo pipefail
cd "$(dirname "$0")/.."
export RAMPART_CACHE=${RAMPART_CACHE:-/var/cache/rampart}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$RAMPART_CACHE/cargo-target}
mkdir -p "$CARGO_TARGET_DIR"
command -v cargo >/dev/null || { echo "native/build.sh: cargo not found (install Rust >= 1.88)" >&2; exit 1; }
bpf/build.sh vmlinux >/dev/null
RAMPART_BPF_SOURCES=$(bpf/build.sh sources-hash); export RAMPART_BPF_SOURCES # see bpf/build.sh
mode=(--release)
[ "${1:-}" = "--debug" ] && mode=()
# The first build downloads crates and compiles vendored libbpf: keep it polite on shared boxes.
nice -n 10 npx --no-install napi build --platform "${mode[@]}" \
  --manifest-path native/Cargo.toml --package-json-path package.json \
  --output-dir native --js index.js --dts index.d.ts --no-const-enum
# The typings header napi writes is stable; add our SPDX line if it is missing.
for f in native/index.js native/index.d.ts; do
  head -n1 "$f" | grep -q SPDX || sed -i '1i // SPDX-License-Identifier: Apache-2.0' "$f"
done
echo "native/build.sh: $(ls native/*.node)"
