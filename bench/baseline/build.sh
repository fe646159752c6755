#!/usr/bin/env bash
# Builds the baseline CTI (bench/baseline, no Node) with mingw-w64 → build/bench/baseline-cti.exe (or $1).
# It shares the CTI object, call-data object and VARIANT helpers with native/com, and the clock with
# fakes/datev-exe (timing.h). Rebuilds only when a source changed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$ROOT/build/bench/baseline-cti.exe}
mkdir -p "$(dirname "$OUT")"
CXX=${CXX:-x86_64-w64-mingw32-g++-posix}
SRC=(
  "$ROOT/bench/baseline/baseline_cti.cc"
  "$ROOT/bench/baseline/notifier.cc"
  "$ROOT/bench/baseline/tapi_line.cc"
  "$ROOT/native/com/call_data_object.cc"
  "$ROOT/native/com/cti_object.cc"
  "$ROOT/native/com/dispatch_util.cc"
  "$ROOT/native/com/field_value.cc"
)
if [ -f "$OUT" ]; then
  newer=$(find "${SRC[@]}" "$ROOT"/bench/baseline/*.h "$ROOT"/native/com/*.h "$ROOT"/fakes/datev-exe/timing.h \
    "${BASH_SOURCE[0]}" -newer "$OUT" | head -n 1)
  [ -z "$newer" ] && exit 0
fi
"$CXX" -std=c++17 -O2 -Wall -Wextra -Werror -municode -DUNICODE -D_UNICODE -DWIN32_LEAN_AND_MEAN -DNOMINMAX \
  -D_WIN32_WINNT=0x0601 -I"$ROOT/native" -I"$ROOT/fakes/datev-exe" -I"$ROOT/bench/baseline" "${SRC[@]}" -o "$OUT" \
  -static -static-libgcc -static-libstdc++ -s -lole32 -loleaut32 -luuid -luser32
echo "built $OUT"
