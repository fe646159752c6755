#!/usr/bin/env bash
# Makes a THROW-AWAY self-signed code-signing certificate for tests (CI signs the packages with it and
# checks the signatures; no real trust). Never use it for a release: a vendor signs with its own
# certificate (README "Signing").
#   bash scripts/make-test-certificate.sh <dir>
# writes <dir>/test-signing.pfx (PKCS#12, key + certificate), <dir>/test-signing.pass (its random
# password, mode 600) and <dir>/test-signing-ca.pem (the certificate, the trust anchor for
# `osslsigncode verify -CAfile`). A certificate younger than a day is reused.
set -euo pipefail
DIR=${1:?usage: make-test-certificate.sh <dir>}
mkdir -p "$DIR"
chmod 700 "$DIR"
PFX=$DIR/test-signing.pfx PASS=$DIR/test-signing.pass CA=$DIR/test-signing-ca.pem
if [ -f "$PFX" ] && [ -f "$PASS" ] && [ -f "$CA" ] && [ -n "$(find "$PFX" -mmin -1440)" ]; then
  echo "make-test-certificate: reusing $PFX"
  exit 0
fi
command -v openssl >/dev/null || { echo "make-test-certificate: openssl missing (Debian package openssl)" >&2; exit 1; }
umask 077
KEY=$(mktemp "$DIR/key.XXXXXX")
trap 'rm -f "$KEY"' EXIT
openssl rand -hex 24 > "$PASS"
openssl req -x509 -newkey rsa:3072 -nodes -keyout "$KEY" -out "$CA" -days 30 -sha256 \
  -subj "/CN=Wildix CTI TEST ONLY - not trusted/O=Test" \
  -addext "extendedKeyUsage=codeSigning" -addext "keyUsage=critical,digitalSignature" 2>/dev/null
openssl pkcs12 -export -out "$PFX" -inkey "$KEY" -in "$CA" -passout "file:$PASS" 2>/dev/null
echo "make-test-certificate: wrote $PFX (throw-away, valid 30 days)"
