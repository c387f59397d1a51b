#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Loopback PKI for the test control plane (openssl only, ~1 s): a throw-away CA, the apiserver
# serving cert (SANs: localhost, 127.0.0.1, the service IP, the host IP), an admin client cert in
# system:masters, the service-account key pair, the webhook serving cert (SANs localhost and
# 127.0.0.1, so the Go verifier in kube-apiserver accepts either URL form), and admin.kubeconfig.
# Everything lives in $1 (default ./pki), is valid for 2 days and is never committed.
set -euo pipefail
D=${1:-./pki}
API_PORT=${RAMPART_API_PORT:-36443}
KUBECTL=${KUBECTL:-kubectl}
mkdir -p "$D"
cd "$D"
HOSTIP=${HOSTIP:-$(ip -4 -o addr show scope global 2>/dev/null | awk 'NR==1{split($4,a,"/");print a[1]}')}
HOSTIP=${HOSTIP:-127.0.0.1}
q() { "$@" >/dev/null 2>&1 || { echo "pki: failed: $*" >&2; "$@"; }; }

q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=rampart-test-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
sign() { # name subject extensions
  q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
  printf '%s\n' "$3" >"$1.ext"
  q openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 2 -extfile "$1.ext"
  rm -f "$1.csr" "$1.ext"
}
SERVER="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
CLIENT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
sign apiserver "/CN=kube-apiserver" "$SERVER
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.0.0.1,IP:${HOSTIP}"
sign webhook "/CN=rampart-webhook" "$SERVER
subjectAltName=DNS:localhost,IP:127.0.0.1"
sign admin "/O=system:masters/CN=rampart-test-admin" "$CLIENT"
# A node-daemon identity without system:masters, to prove the daemon RBAC is enough.
sign node-a "/CN=system:serviceaccount:rampart-system:rampart-node" "$CLIENT"
# The Pepr module's identity, to prove the bundle's scoped RBAC (manifests/base/pepr/rbac.yaml) is enough.
sign pepr "/CN=system:serviceaccount:pepr-system:pepr-rampart" "$CLIENT"
q openssl genrsa -out sa.key 2048
q openssl rsa -in sa.key -pubout -out sa.pub
chmod 600 ./*.key

kc() { "$KUBECTL" config --kubeconfig="$1.kubeconfig" "${@:2}" >/dev/null; }
for who in admin node-a pepr; do
  rm -f "$who.kubeconfig"
  kc "$who" set-cluster rampart-test --server="https://127.0.0.1:${API_PORT}" --certificate-authority=ca.crt --embed-certs
  kc "$who" set-credentials "$who" --client-certificate="$who.crt" --client-key="$who.key" --embed-certs
  kc "$who" set-context rampart-test --cluster=rampart-test --user="$who"
  kc "$who" use-context rampart-test
  chmod 600 "$who.kubeconfig"
done
echo "pki: wrote $(pwd)"
