#!/usr/bin/env bash
# Issues the certificates of the Temporal trust boundary (README "Trust boundary around Temporal")
# with the openssl CLI: a CA, the Temporal server's certificate (frontend and internode, DNS name
# `temporal`, the compose service name) and one client certificate per holder: api, worker, admin
# (the namespace set-up job) and ui (the operators' Web UI). EC P-256 keys.
#
#   bash scripts/temporal-certs.sh [dir]      # default ./certs (git-ignored)
#
# Files: ca.crt ca.key, temporal.crt temporal.key, <holder>.crt <holder>.key. What exists is kept, so
# running it again issues only what is missing: delete a holder's two files to re-issue them
# (rotation; the CA stays). For evaluation and tests: production certificates come from the
# operator's PKI in the same layout. CERT_DAYS (default 365) sets the leaves' lifetime.
set -euo pipefail
dir=${1:-certs}
days=${CERT_DAYS:-365}
mkdir -p "$dir"
cd "$dir"

# openssl's progress lines only when it fails.
quiet() {
  local out
  out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
}

if [ ! -f ca.crt ]; then
  quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=dvcqg Temporal CA" -keyout ca.key -out ca.crt
fi

# issue <name> <extensions>: a key and a certificate signed by the CA.
issue() {
  [ -f "$1.crt" ] && return 0
  quiet openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=dvcqg-$1" \
    -keyout "$1.key" -out "$1.csr"
  quiet openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
    -days "$days" -out "$1.crt" -extfile <(printf '%s\n' "$2")
  rm -f "$1.csr"
}

leaf='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature'
# The server also dials itself (internode), so its certificate serves both ends.
issue temporal "$leaf
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:temporal"
for holder in api worker admin ui; do
  issue "$holder" "$leaf
extendedKeyUsage=clientAuth"
done
chmod 600 ./*.key
echo "certificates in $(pwd)"
