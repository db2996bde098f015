#!/usr/bin/env bash
# npm run bench [-- name]: runs every bench/*.bench.ts (or those matching the name), one after another.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/tsx ] || npm ci --no-audit --no-fund
# Benchmarks run their own servers on loopback: the local profile (development secret) unless told otherwise.
export DVCQG_PROFILE="${DVCQG_PROFILE:-local}"
shopt -s nullglob
for f in bench/*.bench.ts; do
  if [ -n "${1:-}" ] && [[ "$f" != *"$1"* ]]; then continue; fi
  echo "### $f"
  node --expose-gc node_modules/tsx/dist/cli.mjs "$f"
done
