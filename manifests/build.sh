#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Build the parts of the bundle that come from source: the Pepr module (`pepr build`, into
# dist/pepr; its TLS key stays there, git-ignored) rendered without key material into
# base/pepr/generated/pepr-module.yaml, and the same for the Helm chart (plus the chart's copy of
# the CRDs). Run before `kubectl apply -k manifests/` or `helm install manifests/helm/rampart`.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"
if [ "${RAMPART_SKIP_PEPR_BUILD:-0}" != 1 ] || [ ! -f dist/pepr/pepr-module-rampart.yaml ]; then
  echo "manifests: npx --no-install pepr build -o dist/pepr" >&2
  log=$(mktemp)
  if ! nice -n 10 npx --no-install pepr build -o dist/pepr >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    exit 1
  fi
  rm -f "$log"
fi
mkdir -p "$HERE/base/pepr/generated" "$HERE/helm/rampart/crds"
node --import tsx "$HERE/render-pepr.ts" dist/pepr/pepr-module-rampart.yaml >"$HERE/base/pepr/generated/pepr-module.yaml"
if grep -q '{{' "$HERE/base/pepr/generated/pepr-module.yaml"; then
  echo "manifests: rendered Pepr YAML contains '{{' and cannot be used as a Helm template" >&2
  exit 1
fi
if grep -qE 'PRIVATE KEY|tls\.key' "$HERE/base/pepr/generated/pepr-module.yaml"; then
  echo "manifests: refusing to write key material into the bundle" >&2
  exit 1
fi
{
  echo '{{- if .Values.admission.enabled }}'
  cat "$HERE/base/pepr/generated/pepr-module.yaml"
  echo '{{- end }}'
} >"$HERE/helm/rampart/templates/pepr-module.yaml"
cp "$HERE"/crds/*.yaml "$HERE"/base/crds/*.yaml "$HERE/helm/rampart/crds/"
echo "manifests: wrote base/pepr/generated/pepr-module.yaml, helm/rampart/templates/pepr-module.yaml, helm/rampart/crds/" >&2
