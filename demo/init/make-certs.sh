#!/bin/sh
# Issues the demo's SPIFFE X.509-SVIDs (one URI SAN each) from a throwaway demo CA, with openssl.
# It is not a workload API: no rotation while workloads run, no attestation. Re-running keeps a
# CA and SVIDs that are still valid, so a second `docker compose up` does not pull certificates
# out from under running Envoys.
#
# usage: make-certs.sh OUT_DIR
#   OUT_DIR/ca/ca.pem, ca.key                  the demo CA (the key never leaves this directory)
#   OUT_DIR/<workload>/svid.pem, key.pem, bundle.pem   for orders, checkout and intruder
# environment: TRUST_DOMAIN (demo.tollgate.local), SVID_DAYS (1), CA_DAYS (30),
#              KEY_OWNER (uid:gid to chown private keys to, e.g. the Envoy user; unset: leave them)
set -eu

OUT="${1:?usage: make-certs.sh OUT_DIR}"
TRUST_DOMAIN="${TRUST_DOMAIN:-demo.tollgate.local}"
SVID_DAYS="${SVID_DAYS:-1}"
CA_DAYS="${CA_DAYS:-30}"
KEY_OWNER="${KEY_OWNER:-}"
WORKLOADS="orders checkout intruder"

if ! command -v openssl >/dev/null 2>&1; then
  # The pinned alpine image has no openssl CLI; install it on first use.
  apk add --no-cache openssl >/dev/null
fi

umask 077
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT INT TERM

new_key() { # $1: destination
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

write_req_config() { # the distinguished name comes from -subj; this only silences defaults
  printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n' >"$WORK/req.cnf"
}

ensure_ca() {
  mkdir -p "$OUT/ca"
  if [ -s "$OUT/ca/ca.pem" ] && [ -s "$OUT/ca/ca.key" ] &&
    openssl x509 -checkend 86400 -noout -in "$OUT/ca/ca.pem" >/dev/null 2>&1; then
    echo "kept   demo CA ($(openssl x509 -noout -enddate -in "$OUT/ca/ca.pem"))"
    return
  fi
  new_key "$WORK/ca.key"
  printf '[v3_ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\nsubjectAltName = URI:spiffe://%s\n' \
    "$TRUST_DOMAIN" >"$WORK/ca.ext"
  cat "$WORK/req.cnf" "$WORK/ca.ext" >"$WORK/ca.cnf"
  openssl req -x509 -new -key "$WORK/ca.key" -sha256 -days "$CA_DAYS" -config "$WORK/ca.cnf" \
    -subj "/O=tollgate demo/CN=tollgate demo CA" -extensions v3_ca -out "$WORK/ca.pem"
  chmod 600 "$WORK/ca.key"
  chmod 644 "$WORK/ca.pem"
  mv "$WORK/ca.key" "$OUT/ca/ca.key"
  mv "$WORK/ca.pem" "$OUT/ca/ca.pem"
  echo "issued demo CA spiffe://$TRUST_DOMAIN"
}

svid_is_current() { # $1: dir, $2: SPIFFE ID
  [ -s "$1/svid.pem" ] && [ -s "$1/key.pem" ] &&
    openssl x509 -checkend 3600 -noout -in "$1/svid.pem" >/dev/null 2>&1 &&
    openssl verify -CAfile "$OUT/ca/ca.pem" "$1/svid.pem" >/dev/null 2>&1 &&
    openssl x509 -noout -ext subjectAltName -in "$1/svid.pem" 2>/dev/null | grep -q "URI:$2\$"
}

issue_svid() { # $1: workload name
  dir="$OUT/$1"
  id="spiffe://$TRUST_DOMAIN/ns/demo/sa/$1"
  mkdir -p "$dir"
  chmod 755 "$dir" # the certificates are public; only key.pem is restricted
  if svid_is_current "$dir" "$id"; then
    echo "kept   $id"
  else
    new_key "$WORK/$1.key"
    printf '[v3_svid]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth, clientAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\nsubjectAltName = URI:%s\n' \
      "$id" >"$WORK/$1.ext"
    openssl req -new -key "$WORK/$1.key" -config "$WORK/req.cnf" \
      -subj "/O=tollgate demo/OU=demo/CN=$1" -out "$WORK/$1.csr" 2>/dev/null
    openssl x509 -req -in "$WORK/$1.csr" -CA "$OUT/ca/ca.pem" -CAkey "$OUT/ca/ca.key" \
      -set_serial "0x$(openssl rand -hex 16)" -days "$SVID_DAYS" -sha256 \
      -extfile "$WORK/$1.ext" -extensions v3_svid -out "$WORK/$1.pem" 2>/dev/null
    chmod 644 "$WORK/$1.pem"
    if [ -n "$KEY_OWNER" ]; then
      chown "$KEY_OWNER" "$WORK/$1.key"
      chmod 400 "$WORK/$1.key"
    fi
    mv "$WORK/$1.key" "$dir/key.pem"
    mv "$WORK/$1.pem" "$dir/svid.pem"
    echo "issued $id"
  fi
  cp "$OUT/ca/ca.pem" "$WORK/bundle.pem"
  chmod 644 "$WORK/bundle.pem"
  mv "$WORK/bundle.pem" "$dir/bundle.pem"
}

write_req_config
ensure_ca
for workload in $WORKLOADS; do
  issue_svid "$workload"
done
