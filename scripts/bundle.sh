#!/usr/bin/env bash
# Bundles each action (actions/*/src/index.ts, which runs main.ts's run(); plus post.ts where an
# action has a post step) into its committed dist/ with @vercel/ncc. `--check` bundles into a temporary folder and fails when
# the committed dist/ differs, so a stale bundle never ships.
set -euo pipefail
cd "$(dirname "$0")/.."
check=0; [ "${1:-}" = "--check" ] && check=1
status=0
# `#core/*` and `#lib/*` resolve through package.json "imports" to build/, for Node and for ncc alike: build first,
# so a bundle is always made from the sources as they are.
npm run build --silent
for dir in actions/*/; do
  name=$(basename "$dir")
  [ -f "$dir/src/main.ts" ] || continue
  out="$dir/dist"; [ $check = 1 ] && out=$(mktemp -d)
  for entry in main post; do
    [ -f "$dir/src/$entry.ts" ] || continue
    target="$out"; [ "$entry" = post ] && target="$out/post"
    src="$dir/src/$entry.ts"; [ "$entry" = main ] && [ -f "$dir/src/index.ts" ] && src="$dir/src/index.ts"
    npx ncc build "$src" -o "$target" --minify --no-source-map-register --quiet --license licenses.txt
  done
  # The default budget travels with the bundle (core/src/budget.ts looks for it beside index.js).
  if grep -q "budget.json" "$out/index.js"; then cp k6/budget.json "$out/budget.json"; fi
  # So does the NDJSON reader's worker entry (core/src/k6/ndjson-parallel.ts starts it from beside index.js).
  if grep -q "ndjson-worker.js" "$out/index.js"; then
    worker=$(mktemp -d)
    npx ncc build core/src/k6/ndjson-worker.ts -o "$worker" --minify --no-source-map-register --quiet
    mv "$worker/index.js" "$out/ndjson-worker.js"
    rm -rf "$worker"
  fi
  if [ $check = 1 ]; then
    if ! diff -r -q "$dir/dist" "$out" >/dev/null 2>&1; then
      echo "dist drift: actions/$name/dist does not match its source; run 'npm run bundle' and commit" >&2
      diff -r -q "$dir/dist" "$out" >&2 || true
      status=1
    else
      echo "actions/$name/dist matches its source"
    fi
    rm -rf "$out"
  fi
done
exit $status
