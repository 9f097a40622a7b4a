#!/usr/bin/env bash
# Every benchmark in one run (not part of the test command; no speed is asserted anywhere):
#   1. native: scalar vs SIMD vs GPU (whatever adapter there is), the keystroke's reused pass, and
#      the SIMD matmul against one core's measured peak (crate/examples/bench_native.rs);
#   2. candle beside our SIMD backend on the same safetensors (bench/candle/, its own workspace);
#   3. wasm in headless Chromium: scalar vs simd128 forward, matmul against the peak (crate/tests/bench_wasm.rs);
#   4. the page in headless Chromium: keystroke → repaint and navigation → first probabilities,
#      per backend (scripts/bench-page.mjs);
#   5. in headless Chromium: scalar vs simd128 vs WebGPU vs candle built for wasm, same weights
#      (bench/candle/tests/browser.rs).
# Prints each table as it goes and writes target/bench/bench.json, with the machine described.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
out="$ROOT/target/bench"
mkdir -p "$out"

log "1. native: scalar vs SIMD vs GPU, matmul vs peak"
"$CARGO_NATIVE" run --quiet --release --example bench_native -- "$out/native.json"

log "2. native: candle vs our SIMD backend, one thread"
(cd bench/candle && RAYON_NUM_THREADS=1 "$CARGO_NATIVE" run --quiet --release --target-dir "$ROOT/target" -- "$out/candle.json")

log "3. wasm in headless Chromium: scalar vs simd128, matmul vs peak"
"$ROOT/scripts/bench-wasm.sh" 2>&1 | grep -E 'faster|GFLOP' | tee "$out/wasm.txt"

log "4. the page in headless Chromium: keystroke → repaint, navigation → first probabilities"
"$ROOT/scripts/build-wasm.sh"
node scripts/bench-page.mjs "$out/page.json"

log "5. wasm in headless Chromium: scalar vs simd128 vs WebGPU vs candle, same weights"
"$ROOT/scripts/bench-candle-wasm.sh" "$out/candle-wasm.json"

node - "$out" <<'JS'
const fs = require('node:fs');
const os = require('node:os');
const { execSync } = require('node:child_process');
const dir = process.argv[2];
const read = (f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
const run = (cmd) => { try { return execSync(cmd, { encoding: 'utf8' }).trim(); } catch { return null; } };
const report = {
  machine: {
    cpu: os.cpus()[0]?.model, logical_cores: os.cpus().length, memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()}`, rustc: run('rustc --version'), chromium: run('/usr/bin/chromium --version'),
    load_average_at_end: os.loadavg(),
  },
  native: read('native.json'),
  candle: read('candle.json'),
  wasm: fs.readFileSync(`${dir}/wasm.txt`, 'utf8').trim().split('\n'),
  page: read('page.json'),
  candle_wasm: read('candle-wasm.json'),
};
fs.writeFileSync(`${dir}/bench.json`, JSON.stringify(report, null, 2));
console.log(`\nmachine: ${report.machine.cpu}, ${report.machine.logical_cores} logical cores; written ${dir}/bench.json`);
JS
