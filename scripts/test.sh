#!/usr/bin/env bash
# The README's test command (`npm test`): set up what the tests need, build once, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run build --silent
NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}" exec npx jest --maxWorkers=2 "$@"
