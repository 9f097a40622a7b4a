#!/usr/bin/env bash
# The wasm benchmark (crate/tests/bench_wasm.rs) in headless Chromium: scalar vs simd128 forward
# times, printed as a ratio measured in one run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
detect_wasm_toolchain
cd "$ROOT"
env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=600 RUSTFLAGS="$WASM_RUSTFLAGS" \
  "${WASM_CARGO[@]}" test --release -p attention-playground --target "$WASM_TARGET" "${WASM_BUILD_STD[@]}" \
  --target-dir "$ROOT/target-wasm-$WASM_KIND" --test bench_wasm -- --nocapture
