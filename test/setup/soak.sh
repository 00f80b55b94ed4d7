#!/usr/bin/env bash
# Runs the whole vitest suite RUNS times in a row (default 5) with a CPU-heavy process
# beside it, to find tests that depend on timing. Stops at the first failing run; the
# busy process is bounded in time and killed on exit. Logs: test-results/soak-N.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
mkdir -p test-results
# one core kept busy for at most two hours
timeout 7200 node -e 'for (;;) {}' &
hog=$!
trap 'kill "$hog" 2>/dev/null || true' EXIT
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if npx vitest run >"test-results/soak-$i.log" 2>&1; then
    echo "soak run $i/$runs: passed in $(($(date +%s) - start)) s"
  else
    echo "soak run $i/$runs: FAILED after $(($(date +%s) - start)) s (test-results/soak-$i.log)"
    grep -E "FAIL|AssertionError|Error:" "test-results/soak-$i.log" | head -20 || true
    exit 1
  fi
done
