#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Install-time secrets for the Pepr admission webhook, generated on the machine that installs
# (never committed, never in the bundle):
#   - pepr-system/pepr-rampart-tls       a fresh CA + serving cert for pepr-rampart.pepr-system.svc
#   - pepr-system/pepr-rampart-api-path  a random 64-hex URL segment (Pepr's shared secret)
# then points both webhook configurations at them (caBundle + path). Re-run to rotate.
#   install-secrets.sh                  create/rotate everything (needs kubectl access)
#   install-secrets.sh --api-path-only  only the API path (TLS comes from components/cert-manager)
#   install-secrets.sh --print          print the two Secrets as YAML and change nothing
set -euo pipefail
KUBECTL=${KUBECTL:-kubectl}
MODE=${1:-all}
case $MODE in all | --api-path-only | --print) ;; *) echo "usage: install-secrets.sh [--api-path-only|--print]" >&2; exit 2 ;; esac
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
umask 077
API_PATH=$(openssl rand -hex 32)
printf '%s' "$API_PATH" >"$W/value"
q() { "$@" >/dev/null 2>&1 || { echo "install-secrets: failed: $*" >&2; exit 1; }; }
if [ "$MODE" != --api-path-only ]; then
  q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" -out "$W/ca.crt" -days 3650 \
    -subj "/CN=pepr-rampart-ca" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/tls.key" -out "$W/tls.csr" -subj "/CN=pepr-rampart.pepr-system.svc"
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:pepr-rampart.pepr-system.svc,DNS:pepr-rampart-watcher.pepr-system.svc" >"$W/ext"
  q openssl x509 -req -in "$W/tls.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial -out "$W/tls.crt" -days 365 -extfile "$W/ext"
fi
secrets() {
  if [ "$MODE" != --api-path-only ]; then
    "$KUBECTL" create secret tls pepr-rampart-tls -n pepr-system --cert="$W/tls.crt" --key="$W/tls.key" --dry-run=client -o yaml
    echo ---
  fi
  "$KUBECTL" create secret generic pepr-rampart-api-path -n pepr-system --from-file=value="$W/value" --dry-run=client -o yaml
}
if [ "$MODE" = --print ]; then
  secrets
  exit 0
fi
secrets | "$KUBECTL" apply -f - >/dev/null
for kind in mutatingwebhookconfiguration validatingwebhookconfiguration; do
  n=$("$KUBECTL" get "$kind" pepr-rampart -o jsonpath='{range .webhooks[*]}x{end}' | wc -c)
  ops=""
  for i in $(seq 0 $((n - 1))); do
    action=$([ "$kind" = mutatingwebhookconfiguration ] && echo mutate || echo validate)
    ops="$ops{\"op\":\"replace\",\"path\":\"/webhooks/$i/clientConfig/service/path\",\"value\":\"/$action/$API_PATH\"},"
    if [ "$MODE" != --api-path-only ]; then
      ops="$ops{\"op\":\"add\",\"path\":\"/webhooks/$i/clientConfig/caBundle\",\"value\":\"$(base64 -w0 <"$W/ca.crt")\"},"
    fi
  done
  "$KUBECTL" patch "$kind" pepr-rampart --type=json -p "[${ops%,}]" >/dev/null
done
"$KUBECTL" rollout restart -n pepr-system deployment/pepr-rampart deployment/pepr-rampart-watcher >/dev/null
echo "install-secrets: webhook TLS and API path installed; Pepr restarted"
