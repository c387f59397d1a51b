# SPDX-License-Identifier: Apache-2.0
# Host side of probe.sh: make sure dist/rampart.cjs (the bundle the guest runs) exists and is not
# older than the TypeScript sources; building in the guest would be ~15x slower.
set -eu
cd "$RAMPART_ROOT"
if [ ! -s dist/rampart.cjs ] || [ -n "$(find enforcer -name '*.ts' -newer dist/rampart.cjs -print -quit)" ]; then
  echo "building dist/rampart.cjs (npm run build)"
  nice -n 10 node scripts/build.mjs
fi
ls -l dist/rampart.cjs
