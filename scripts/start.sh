#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The README's first command: install and build everything (scripts/setup.sh), then run the
# main job: the node daemon in standalone host mode on the embedded default policies
# (examples/host/), showing the alerts it raises (scripts/demo.sh). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo
exec bash scripts/demo.sh
