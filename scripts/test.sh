#!/usr/bin/env bash
# Runs every test: native cargo tests (CPU backends, golden vectors, GPU on Mesa's software
# Vulkan, CLI), wasm tests in headless Chromium (wasm-bindgen-test, WebGPU via SwiftShader),
# and browser end-to-end tests of the page (Playwright driving /usr/bin/chromium).
# Installs what it needs first. Ends with one summary line: "N passed, N failed".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
detect_wasm_toolchain
cd "$ROOT"
# Mesa's Vulkan loader complains on every device creation without one.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"

passed=0; failed=0; failures=()
suite() {  # suite NAME COMMAND...
  local name=$1; shift
  log "$name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

# 1. Native: unit, golden, backend-vs-reference, GPU (llvmpipe), CLI tests.
suite "native tests (cargo test)" "$CARGO_NATIVE" test --workspace --all-targets

# 2. The release wasm the page loads (its dependencies are reused by the wasm tests below).
suite "wasm release build" "$ROOT/scripts/build-wasm.sh"

# 3. Wasm in headless Chromium: the crate/tests/web_*.rs files (wasm_bindgen_test, run_in_browser).
#    Release profile, so the dependencies built for the page's wasm are reused.
web_tests=()
for f in crate/tests/web_*.rs; do [ -e "$f" ] && web_tests+=(--test "$(basename "$f" .rs)"); done
if ((${#web_tests[@]})); then
  suite "wasm tests in Chromium (wasm-bindgen-test)" env \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 \
    RUSTFLAGS="$WASM_RUSTFLAGS" \
    "${WASM_CARGO[@]}" test --release -p attention-playground --target "$WASM_TARGET" "${WASM_BUILD_STD[@]}" \
    --target-dir "$ROOT/target-wasm-$WASM_KIND" "${web_tests[@]}"
fi

# 4. The page in real Chromium.
suite "browser end-to-end tests (Playwright + Chromium)" npm run --silent e2e

echo
if ((failed)); then
  printf 'failed suites: %s\n' "${failures[*]}"
fi
echo "suites: $passed passed, $failed failed"
((failed == 0))
