# Shared by the scripts: where things are, and which Rust toolchain builds wasm.
# Sourced, not run. Sets ROOT, CARGO_NATIVE, and the WASM_* variables after `detect_wasm_toolchain`.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_BINDGEN_VERSION="0.2.130"   # must equal the pinned wasm-bindgen crate in crate/Cargo.toml
WASM_TARGET="wasm32-unknown-unknown"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# rustup's cargo when there is one, else Debian's.
if command -v cargo >/dev/null 2>&1; then CARGO_NATIVE="$(command -v cargo)"; else CARGO_NATIVE=/usr/bin/cargo; fi
export PATH="$HOME/.cargo/bin:$PATH"

# Two ways to build for wasm32:
#  - rustup with the wasm32-unknown-unknown target installed: plain cargo.
#  - otherwise Debian's rustc-web, rebuilding std from rust-web-src (RUSTC_BOOTSTRAP for -Zbuild-std).
detect_wasm_toolchain() {
  WASM_RUSTFLAGS='-C target-feature=+simd128 --cfg getrandom_backend="wasm_js"'
  if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
    WASM_KIND=rustup
    WASM_CARGO=(cargo)
    WASM_BUILD_STD=()
  else
    WASM_KIND=debian
    WASM_CARGO=(env RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 /usr/bin/cargo)
    WASM_BUILD_STD=(-Zbuild-std=std,panic_abort)
  fi
}
