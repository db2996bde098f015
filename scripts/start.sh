#!/usr/bin/env bash
# npm start: install dependencies on a fresh clone, then bring the whole system up.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/tsx ] || npm ci --no-audit --no-fund
exec node_modules/.bin/tsx scripts/start.ts
