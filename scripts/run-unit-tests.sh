#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Unit tests: every *.test.ts beside the sources, through node:test + tsx.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find enforcer capabilities bench -name '*.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no unit tests found"; exit 1; fi
exec node --import tsx --test --test-concurrency=2 "${files[@]}"
