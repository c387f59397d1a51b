#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Host side of bpf-enforce: compile the cases' policies with Rampart's BPF compiler into map
# entries ($VM_TEST_WORK/cases.json) and bundle the guest runner (node under TCG is slow; no
# transpiling in the guest). Needs the built addon (native/build.sh).
set -euo pipefail
cd "$RAMPART_ROOT"
[ -f native/rampart.linux-x64-gnu.node ] || { echo "bpf-enforce: native addon not built (native/build.sh)"; exit 1; }
node --import tsx test/vm/tests/bpf-enforce.cases.ts "$VM_TEST_WORK/cases.json"
npx --no-install esbuild test/vm/tests/bpf-enforce.guest.ts --bundle --platform=node --format=cjs \
  --log-level=warning --outfile="$VM_TEST_WORK/guest.cjs"
