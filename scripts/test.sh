#!/usr/bin/env bash
# The whole test suite: type check, lint, then unit, engine and end-to-end tests
# (node:test) against the real Docker engine and the real OpenSSH client.
# `npm test` runs setup first (scripts/setup.sh --test).
set -euo pipefail
cd "$(dirname "$0")/.."
node --version | grep -q '^v24\.' || { echo "test.sh: expected Node 24 on PATH (run through npm test)" >&2; exit 1; }
echo "== typecheck"
npx --no-install tsc --noEmit -p tsconfig.json
echo "== lint (import boundaries, line width: scripts/lint.ts; Biome's linter and formatter: biome.json)"
node --disable-warning=ExperimentalWarning scripts/lint.ts
npx --no-install biome lint --diagnostic-level=error
npx --no-install biome format   # the formatter as a check (no --write): exits 1 when a file is not formatted
echo "== leftovers of earlier runs (islet.test-labelled containers and networks)"
node --disable-warning=ExperimentalWarning scripts/sweep-test-leftovers.ts
echo "== tests"
mapfile -t files < <(find src test scripts bench -name '*.test.ts' -not -path '*/node_modules/*' | sort)
exec node --disable-warning=ExperimentalWarning --test --test-concurrency=2 --test-timeout=300000 "${files[@]}"
