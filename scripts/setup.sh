#!/usr/bin/env bash
# Installs everything the build and the tests need; a second run only checks and returns.
#   Debian/Ubuntu: apt packages (as root, or through sudo).
#   Any machine: wasm-bindgen-cli at the pinned version, npm packages from the lockfile.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

need_apt=()
have_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
want_deb() { have_deb "$1" || need_apt+=("$1"); }

if command -v dpkg-query >/dev/null 2>&1; then
  # Compilers and tools the build calls.
  command -v cc >/dev/null 2>&1 || want_deb build-essential
  command -v pkg-config >/dev/null 2>&1 || want_deb pkg-config
  command -v node >/dev/null 2>&1 || { want_deb nodejs; want_deb npm; }
  # A Rust toolchain for wasm32: rustup's target if it can be had, else Debian's rustc-web.
  if ! (command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"); then
    if command -v rustup >/dev/null 2>&1 && rustup target add "$WASM_TARGET" >/dev/null 2>&1; then
      log "rustup: added $WASM_TARGET"
    else
      for p in rustc-web cargo-web rust-web-src rust-web-llvm lld-22; do want_deb "$p"; done
    fi
  fi
  # Headless Chromium for wasm and end-to-end tests; Mesa's software Vulkan for native GPU tests.
  for p in chromium chromium-driver mesa-vulkan-drivers libvulkan1; do want_deb "$p"; done
  if ((${#need_apt[@]})); then
    log "apt-get install ${need_apt[*]}"
    SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  fi
else
  log "not a Debian system: install chromium, chromedriver, node/npm, a Vulkan driver and a wasm32 Rust target yourself"
fi

command -v cargo >/dev/null 2>&1 || [ -x /usr/bin/cargo ] || die "no cargo: install Rust (rustup.rs) or, on Debian, cargo-web"

# wasm-bindgen CLI, exactly the crate's version (it also provides wasm-bindgen-test-runner).
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  "$CARGO_NATIVE" install -q wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi

# npm packages (playwright-core, binaryen's wasm-opt), from the lockfile.
cd "$ROOT"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
