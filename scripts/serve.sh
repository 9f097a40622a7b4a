#!/usr/bin/env bash
# Builds everything and serves the playground, with its default model, on 127.0.0.1.
#   PORT=8080 (default) ./scripts/serve.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build-wasm.sh"
[ -f "$ROOT/www/models/default/model.safetensors" ] || die "www/models/default/ is missing: run scripts/train-default-model.sh"
exec node "$ROOT/scripts/serve.mjs" "$ROOT/www"
