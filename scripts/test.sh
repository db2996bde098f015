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
rm -f data/test-results*.json
set +e
if [ $# -gt 0 ]; then
  node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=data/test-results.json "$@"
  code=$?
else
  # The suites that start whole stacks of their own (chaos, the Temporal cluster, fuzzing) run after
  # the rest, one file at a time, so that two cores are never shared by several stacks at once.
  heavy=(test/chaos test/cluster test/fuzz)
  excludes=()
  for dir in "${heavy[@]}"; do excludes+=(--exclude "$dir/**"); done
  node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=data/test-results.json "${excludes[@]}"
  code=$?
  node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=data/test-results-heavy.json --maxWorkers=1 "${heavy[@]}"
  heavy_code=$?
  [ $code -eq 0 ] && code=$heavy_code
fi
set -e
# One plain closing line for CI: "N passed, N failed, N skipped".
node -e '
  const fs = require("fs");
  const files = process.argv.slice(1).filter((f) => fs.existsSync(f));
  const sum = (k) => files.reduce((n, f) => n + (JSON.parse(fs.readFileSync(f, "utf8"))[k] ?? 0), 0);
  if (files.length) console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed, ${sum("numPendingTests") + sum("numTodoTests")} skipped`);
' "$(pwd)/data/test-results.json" "$(pwd)/data/test-results-heavy.json"
exit $code
