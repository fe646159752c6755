#!/usr/bin/env bash
# npm run bench:wine — latency, start-up and memory of the packaged program against the native baseline
# CTI under Wine, side by side in one run (bench/wine/main.ts prints the table and writes
# .cache/bench/wine.json). Prints figures only; nothing here passes or fails on a number.
#   - a Wine prefix of its own (.cache/bench/wineprefix, or $WILDIX_BENCH_WINEPREFIX), so the Wine tests'
#     prefix and the benchmark never see each other's state;
#   - dist/wildix-datev-cti.exe as it is (npm run package when it is missing; BENCH_PACKAGE=1 rebuilds it);
#   - the fakes (fakes/datev-exe, fakes/tapi32) and the baseline (bench/baseline) rebuilt when changed;
#   - .cache/bench/pkg-empty.exe: `process.exit(0)` made into an exe by pkg --sea like the program
#     (bench/wine/pkg-empty), the start-up reference beside the bare node.exe.
# Environment: BENCH_SAMPLES (measured calls per kind, default 30) in BENCH_ROUNDS rounds (default 3),
# BENCH_STARTS (cold and warm starts each, default 5), BENCH_CALLS (calls in the program's soak, default
# 500), BENCH_IDLE_MS (wait before an idle RSS, default 5000), BENCH_SETTLE_MS (wait before the settled
# idle RSS, default 30000), BENCH_MAIN (another entry, for experiments),
# BENCH_PROGRAM_CONFIG (JSON merged into the program's settings, for experiments).
# BENCH_GAP_MS: pause before each measured call (default 0: right after DATEV has the previous end).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export WILDIX_WINEPREFIX=${WILDIX_BENCH_WINEPREFIX:-$ROOT/.cache/bench/wineprefix}
log=$ROOT/.cache/bench/setup.log
mkdir -p "$ROOT/.cache/bench"
: > "$log"
run() { "$@" >>"$log" 2>&1 || { echo "bench:wine: '$*' failed:" >&2; tail -n 30 "$log" >&2; exit 1; }; }

run bash scripts/setup-windows-toolchain.sh
if [ "${BENCH_PACKAGE:-}" = 1 ] || [ ! -f dist/wildix-datev-cti.exe ] || [ ! -f dist/wildix_cti.node ]; then
  echo "bench:wine: building dist/wildix-datev-cti.exe (npm run package)"
  run npm run --silent package
fi
run bash fakes/datev-exe/build.sh
tapi=$ROOT/build/Release/faketapi/tapi32.dll
if [ ! -f "$tapi" ] || [ -n "$(find fakes/tapi32 -type f -not -path '*/build/*' -newer "$tapi" | head -n 1)" ]; then
  run bash fakes/tapi32/build.sh "$ROOT/build/Release/faketapi"
fi
run bash bench/baseline/build.sh
# the start-up reference: `process.exit(0)` packaged like the program (what pkg --sea's own start costs)
empty=$ROOT/.cache/bench/pkg-empty.exe
if [ ! -f "$empty" ] || [ -n "$(find bench/wine/pkg-empty scripts/pkg-sea.sh node_modules/@yao-pkg/pkg/package.json -newer "$empty" | head -n 1)" ]; then
  run bash scripts/pkg-sea.sh bench/wine/pkg-empty/exit.js bench/wine/pkg-empty/pkg.config.json "$empty"
fi
exec npx --no-install vite-node "${BENCH_MAIN:-bench/wine/main.ts}"
