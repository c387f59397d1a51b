#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Integration with a real containerd + runc (Debian packages) started by the test itself on a
# private socket: container identity (CRI + /proc + cgroups). Needs root.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node --import tsx --test --test-concurrency=1 test/containerd/*.test.ts
