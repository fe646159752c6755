#!/usr/bin/env bash
# Runs the program. On Windows (Git Bash / WSL-less shells) it starts the real CTI; everywhere else the
# same application wired to its built-in simulated Wildix PBX and DATEV, playing a short scenario.
# Extra arguments go to the program (e.g. --diagnose, --help).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "node/npm missing: install Node.js >= 20" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
npx tsc -p tsconfig.json
exec node build/js/src/main.js "$@"
