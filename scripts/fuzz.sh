#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of what strangers' files and text reach: the
# model loader (config.json, tokenizer.json, model.safetensors) and the tokenizer → forward path.
# Not part of test.sh or CI: it runs as long as you let it. Crashing inputs land in
# crate/fuzz/artifacts/<target>/; each one found so far is a test in crate/tests/fuzz_regressions.rs.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 60 seconds for each of model_files, text_forward)
#
# cargo-fuzz needs nightly flags (-Zsanitizer=address): a nightly toolchain when rustup has one,
# otherwise the stable compiler with RUSTC_BOOTSTRAP=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(model_files text_forward)
[[ $seconds =~ ^[0-9]+$ ]] || die "usage: scripts/fuzz.sh [SECONDS] [TARGET...]"

CARGO_FUZZ_VERSION=0.13.2
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  log "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (a few minutes, once)"
  "$CARGO_NATIVE" install -q --locked cargo-fuzz --version "=$CARGO_FUZZ_VERSION"
fi
toolchain=()
if command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi

FUZZ="$ROOT/crate/fuzz"
# Seeds: the tiny golden model as a model folder (see model_files.rs for the layout), and text.
python3 - "$ROOT" "$FUZZ/corpus" <<'PY'
import os, struct, sys
root, corpus = sys.argv[1:]
tiny = os.path.join(root, "tests/golden/tiny")
read = lambda name: open(os.path.join(tiny, name), "rb").read()
section = lambda b: struct.pack("<I", len(b)) + b
models = os.path.join(corpus, "model_files")
os.makedirs(models, exist_ok=True)
for name in ["model.safetensors", "model.f16.safetensors", "model.bf16.safetensors", "model.prefixed.safetensors"]:
    for config in [b"", read("config.json")]:
        seed = section(config) + section(b"") + read(name)
        open(os.path.join(models, f"seed-{bool(config):d}-{name}"), "wb").write(seed)
texts = os.path.join(corpus, "text_forward")
os.makedirs(texts, exist_ok=True)
for i, text in enumerate(["小明 喜欢 苹果", "The cat sat on the mat.", "👩‍👩‍👧 e\u0301 שלום مرحبا", "[MASK] \t\n\0"]):
    open(os.path.join(texts, f"seed-{i}"), "wb").write(text.encode())
PY

cd "$ROOT/crate"
crashed=()
for target in "${targets[@]}"; do
  log "fuzzing $target for ${seconds}s"
  # A crash ends that target's run (its input is saved); the other targets still get their turn.
  cargo "${toolchain[@]}" fuzz run --release "$target" "$FUZZ/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 || crashed+=("$target")
done
if ((${#crashed[@]})); then
  die "crashed: ${crashed[*]} (inputs in crate/fuzz/artifacts/; keep each as a test in crate/tests/fuzz_regressions.rs)"
fi
log "no crashes"
