#!/usr/bin/env bash
# npm test: install dependencies on a fresh clone, typecheck, then run every test suite. The
# vitest global setup provisions PostgreSQL, a Temporal dev server and the time-skipping server.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/vitest ] || npm ci --no-audit --no-fund
node_modules/.bin/tsc -p tsconfig.json
# ESLint enforces workflow determinism (no Node built-ins, no I/O in workflows/) and floating promises.
node_modules/.bin/eslint --max-warnings 0 .
mkdir -p data
results=data/test-results.json
rm -f "$results"
set +e
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
code=$?
set -e
# One plain closing line for CI: "N passed, N failed, N skipped".
if [ -f "$results" ]; then
  node -e 'const r=require(process.argv[1]); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' "$(pwd)/$results"
fi
exit $code
