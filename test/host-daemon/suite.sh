#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The node daemon on this host's own kernel (no VM): monitor → Audit alert → rampart logs.
# Needs root and the native addon (native/build.sh); the monitor is scoped to a test cgroup.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node --import tsx --test --test-concurrency=1 test/host-daemon/*.test.ts
