# SPDX-License-Identifier: Apache-2.0
# Host side of daemon-selinux.sh: make sure the bundled CLI the guest runs is current.
set -euo pipefail
cd "$RAMPART_ROOT"
node scripts/build.mjs
