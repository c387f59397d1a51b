#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The README's first command: install and build everything (scripts/setup.sh), then run the
# main job on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo
echo "== rampart validate examples/ =="
node bin/rampart.js validate examples --output text || true
echo
echo "== rampart explain --policies examples --workloads examples/workloads.yaml =="
node bin/rampart.js explain --policies examples --workloads examples/workloads.yaml
