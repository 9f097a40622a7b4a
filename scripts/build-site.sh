#!/usr/bin/env bash
# Builds the static site into dist/ (or the folder given): the playground, the element, the
# example pages, the models, and a service worker for offline use. Relative URLs only, so it
# works from any sub-path of any static host. Prints the raw and gzipped size of every file
# (also written to dist/size-report.json) and fails if the first load is over its budget.
#   ./scripts/build-site.sh [OUT_DIR]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build-wasm.sh"
[ -f "$ROOT/www/models/default/model.safetensors" ] || die "www/models/default/ is missing: run scripts/train-default-model.sh"
exec node "$ROOT/scripts/build-site.mjs" "$ROOT/www" "${1:-$ROOT/dist}"
