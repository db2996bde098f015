#!/usr/bin/env bash
# npm test: install dependencies on a fresh clone, then run every test suite. The vitest global
# setup provisions PostgreSQL, a Temporal dev server and the time-skipping test server.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/vitest ] || npm ci --no-audit --no-fund
node_modules/.bin/tsc -p tsconfig.json
exec node_modules/.bin/vitest run "$@"
