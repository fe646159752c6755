#!/usr/bin/env bash
# Builds the fake DATEV Arbeitsplatz exe with mingw-w64 → build/fakes/datev-fake.exe (or $1).
# It shares the call-data object, VARIANT conversion and type-library code with native/com.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$ROOT/build/fakes/datev-fake.exe}
mkdir -p "$(dirname "$OUT")"
CXX=${CXX:-x86_64-w64-mingw32-g++-posix}
SRC=(
  "$ROOT/fakes/datev-exe/main.cc"
  "$ROOT/native/com/call_data_object.cc"
  "$ROOT/native/com/dispatch_util.cc"
  "$ROOT/native/com/field_value.cc"
  "$ROOT/native/com/typelib.cc"
)
# Rebuild only when a source is newer than the exe.
if [ -f "$OUT" ]; then
  newer=$(find "${SRC[@]}" "$ROOT"/native/com/*.h "$ROOT"/fakes/datev-exe/*.h -newer "$OUT" | head -n 1)
  [ -z "$newer" ] && exit 0
fi
# -g and no -s: winedbg names the fake's own frames in a thread dump (test/wine/threadDump.ts)
"$CXX" -std=c++17 -O2 -gdwarf-4 -Wall -Wextra -Werror -municode -DUNICODE -D_UNICODE -DWIN32_LEAN_AND_MEAN -DNOMINMAX \
  -D_WIN32_WINNT=0x0601 -I"$ROOT/native" -I"$ROOT/fakes/datev-exe" "${SRC[@]}" -o "$OUT" \
  -static -static-libgcc -static-libstdc++ -lole32 -loleaut32 -luuid -luser32
echo "built $OUT"
