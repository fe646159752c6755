#!/usr/bin/env bash
# Authenticode-signs the release with osslsigncode (Debian package osslsigncode), offline apart from an
# optional timestamp server.
#
#   npm run sign                  the release in dist/: wildix-datev-cti.exe and wildix_cti.node are
#                                 signed, the MSIs are rebuilt from them (scripts/build-msi.js, so the
#                                 installed files carry the signature) and signed too
#   bash scripts/sign.sh FILE...  signs these files in place (an existing signature is replaced)
#
# Environment (the certificate never lives in the repository; the password is never printed, logged
# or put on a command line — osslsigncode reads it from a private temporary file):
#   WILDIX_SIGN_PFX            path of the PKCS#12 file (.pfx/.p12) with the code-signing key and its chain
#   WILDIX_SIGN_PASSWORD       its password (may be empty)
#   WILDIX_SIGN_TIMESTAMP_URL  optional RFC 3161 timestamp server (e.g. http://timestamp.digicert.com),
#                              so the signatures stay valid after the certificate expires
#   WILDIX_SIGN_CAFILE         optional trust anchors for the check after signing (default: the
#                              certificates in the PFX plus the system's CA bundle)
# Each signed file is checked with `osslsigncode verify` before the script ends. The exe's version
# resource (scripts/set-version-info.js) is written before signing and is covered by the signature.
set -euo pipefail
set +x # never trace: the password is in the environment
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DESC="Wildix CTI für DATEV"

fail() { echo "sign: ERROR: $*" >&2; exit 1; }

command -v osslsigncode >/dev/null || fail "osslsigncode missing (Debian package osslsigncode; scripts/setup-windows-toolchain.sh installs it)"
command -v openssl >/dev/null || fail "openssl missing (Debian package openssl)"
[ -n "${WILDIX_SIGN_PFX:-}" ] || fail "WILDIX_SIGN_PFX is not set (path of the .pfx with the code-signing certificate)"
[ -f "$WILDIX_SIGN_PFX" ] || fail "WILDIX_SIGN_PFX: no such file: $WILDIX_SIGN_PFX"
[ -n "${WILDIX_SIGN_PASSWORD+set}" ] || fail "WILDIX_SIGN_PASSWORD is not set (use an empty value for a PFX without password)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
chmod 700 "$WORK"
PASSFILE=$WORK/pass
(umask 077 && printf '%s' "$WILDIX_SIGN_PASSWORD" > "$PASSFILE")

# trust anchors for the check: the PFX's own certificates (a self-signed test certificate, or the
# vendor's chain) plus the system bundle for a chain that ends in a public root
CAFILE=${WILDIX_SIGN_CAFILE:-}
if [ -z "$CAFILE" ]; then
  CAFILE=$WORK/ca.pem
  openssl pkcs12 -in "$WILDIX_SIGN_PFX" -nokeys -passin "file:$PASSFILE" -out "$CAFILE" 2>/dev/null \
    || openssl pkcs12 -legacy -in "$WILDIX_SIGN_PFX" -nokeys -passin "file:$PASSFILE" -out "$CAFILE" 2>/dev/null \
    || fail "cannot read $WILDIX_SIGN_PFX (wrong password or not a PKCS#12 file)"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && cat /etc/ssl/certs/ca-certificates.crt >> "$CAFILE"
fi

sign_file() {
  local f=$1 out=$WORK/signed
  [ -f "$f" ] || fail "no such file: $f"
  local ts=()
  [ -n "${WILDIX_SIGN_TIMESTAMP_URL:-}" ] && ts=(-ts "$WILDIX_SIGN_TIMESTAMP_URL")
  rm -f "$out"
  osslsigncode sign -pkcs12 "$WILDIX_SIGN_PFX" -readpass "$PASSFILE" -h sha256 -n "$DESC" "${ts[@]}" \
    -in "$f" -out "$out" >"$WORK/sign.log" 2>&1 || { cat "$WORK/sign.log" >&2; fail "signing $f failed"; }
  osslsigncode verify -CAfile "$CAFILE" -in "$out" >"$WORK/verify.log" 2>&1 \
    || { cat "$WORK/verify.log" >&2; fail "the signature of $f does not verify"; }
  cp -f "$out" "$f"
  echo "sign: signed and verified $f${ts:+ (timestamped)}"
}

if [ $# -gt 0 ]; then
  for f in "$@"; do sign_file "$f"; done
  exit 0
fi

cd "$ROOT"
[ -f dist/wildix-datev-cti.exe ] || fail "dist/wildix-datev-cti.exe missing: run npm run package first"
[ -f dist/wildix_cti.node ] || fail "dist/wildix_cti.node missing: run npm run package first"
sign_file dist/wildix-datev-cti.exe
sign_file dist/wildix_cti.node
node scripts/build-msi.js
V=$(node -p "require('./package.json').version")
sign_file "dist/wildix-datev-cti-$V-x64.msi"
sign_file "dist/wildix-datev-cti-$V-x64-allusers.msi"
