#!/usr/bin/env bash
# Runs a benchmark script (or type-checks the suite) with the benchmark's own dependencies:
# autocannon and the peer libraries live in bench/package.json, so the root `npm ci` does not
# install them; they are installed here on first use, or again when bench/package-lock.json changed.
# The library, routing-controllers, express, TypeScript and ts-node come from the root install.
#   bash scripts/bench.sh bench/run.ts [options]      (what `npm run bench -- [options]` runs)
#   bash scripts/bench.sh --typecheck                  (npm run typecheck:bench)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  echo "bench: installing the benchmark's dependencies (bench/package.json)" >&2
  npm --prefix bench ci --no-audit --no-fund
fi

if [ "${1:-}" = --typecheck ]; then
  exec npx --no-install tsc --noEmit -p bench/tsconfig.json
fi
exec npx --no-install ts-node --transpile-only "$@"
