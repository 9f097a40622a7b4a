#!/usr/bin/env bash
# In headless Chromium, one page: our scalar vs SIMD (simd128) vs WebGPU backends vs candle built for
# wasm32, on the same weights (bench/candle/tests/browser.rs). Prints the table; with OUT.json,
# writes the figures there too. Chromium gets --enable-unsafe-webgpu, so WebGPU has an adapter
# (SwiftShader where there is no GPU).
#   scripts/bench-candle-wasm.sh [OUT.json]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
detect_wasm_toolchain
out="${1:+$(realpath -m "$1")}"
capabilities="$(mktemp --suffix=.json)"
log="$(mktemp)"
trap 'rm -f "$capabilities" "$log"' EXIT
# wasm-bindgen-test-runner adds headless, no-sandbox and disable-dev-shm-usage to these.
echo '{ "goog:chromeOptions": { "args": ["enable-unsafe-webgpu"] } }' >"$capabilities"
cd "$ROOT/bench/candle"
# Its own target dir: sharing the main workspace's, after that one rebuilt its wasm, the test's
# module came out with js-sys twice (wasm-bindgen: "`Base64Alphabet` is defined more than once").
env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=900 WASM_BINDGEN_TEST_WEBDRIVER_JSON="$capabilities" \
  RUSTFLAGS="$WASM_RUSTFLAGS" \
  "${WASM_CARGO[@]}" test --release --target "$WASM_TARGET" "${WASM_BUILD_STD[@]}" \
  --target-dir "$ROOT/target-wasm-$WASM_KIND/bench-candle" --test browser -- --nocapture >"$log" 2>&1 || { cat "$log"; exit 1; }
grep -v '^candle-wasm-json ' "$log" | grep -E 'WebGPU|logits vs|round|ratio' || true
if [ -n "$out" ]; then
  grep '^candle-wasm-json ' "$log" | sed 's/^candle-wasm-json //' >"$out"
  [ -s "$out" ] || { cat "$log"; die "no figures in the benchmark's output"; }
fi
