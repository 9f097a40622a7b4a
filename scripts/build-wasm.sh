#!/usr/bin/env bash
# Builds the engine for the browser: cargo (release, wasm32 + simd128) → wasm-bindgen (ES module
# in www/pkg/) → wasm-opt -O3. Incremental: each step runs only when its input changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
detect_wasm_toolchain
cd "$ROOT"

TARGET_DIR="$ROOT/target-wasm-$WASM_KIND"
log "cargo build --release --target $WASM_TARGET ($WASM_KIND toolchain)"
RUSTFLAGS="$WASM_RUSTFLAGS" "${WASM_CARGO[@]}" build --release --lib -p attention-playground \
  --target "$WASM_TARGET" "${WASM_BUILD_STD[@]}" --target-dir "$TARGET_DIR"

wasm="$TARGET_DIR/$WASM_TARGET/release/attention_playground.wasm"
out="$ROOT/www/pkg"
if [ ! -f "$out/attention_playground_bg.wasm" ] || [ "$wasm" -nt "$out/attention_playground_bg.wasm" ]; then
  log "wasm-bindgen --target web → www/pkg/"
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" "$wasm"
  log "wasm-opt -O3"
  "$ROOT/node_modules/.bin/wasm-opt" -O3 --enable-simd --enable-bulk-memory --enable-reference-types \
    --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-multivalue \
    "$out/attention_playground_bg.wasm" -o "$out/attention_playground_bg.wasm"
fi
raw=$(stat -c %s "$out/attention_playground_bg.wasm")
gz=$(gzip -9c "$out/attention_playground_bg.wasm" | wc -c)
log "www/pkg/attention_playground_bg.wasm: $((raw / 1024)) KiB ($((gz / 1024)) KiB gzipped)"
