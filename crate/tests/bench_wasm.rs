//! Scalar vs SIMD (simd128) forward time in the browser, and the matmul against the peak: the wasm half of `bench_native`.
//! A benchmark, not part of the test command (no speed is asserted):
//! `make bench-wasm` runs it in headless Chromium and prints the figures.
#![cfg(target_arch = "wasm32")]

use attention_playground::backend::scalar::Scalar;
use attention_playground::backend::simd::Simd;
use attention_playground::bench::{matmul_gflops, one_core_peak_gflops, time_forward, Timing};
use attention_playground::gpt::Gpt;
use attention_playground::weights::{load_safetensors, random_weights};
use attention_playground::GptConfig;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn compare(name: &str, config: GptConfig, weights: attention_playground::weights::HostWeights, tokens: usize, runs: usize) {
    let ids: Vec<u32> = (0..tokens as u32).map(|i| (i * 7919) % config.vocab_size as u32).collect();
    let scalar = Gpt::new(config.clone(), Scalar, &weights);
    let simd = Gpt::new(config, Simd, &weights);
    let now = js_sys::Date::now;
    let a: Timing = time_forward(&scalar, &ids, runs, now).await.unwrap();
    let b: Timing = time_forward(&simd, &ids, runs, now).await.unwrap();
    console_log!(
        "{name}, T={tokens}: scalar {:.1} ms, SIMD (simd128) {:.1} ms per forward → SIMD is {:.1}× faster",
        a.mean_ms,
        b.mean_ms,
        a.mean_ms / b.mean_ms
    );
}

#[wasm_bindgen_test]
async fn scalar_vs_simd_in_the_browser() {
    let config = GptConfig::from_json(include_str!("../../www/models/default/config.json")).unwrap();
    let weights = load_safetensors(include_bytes!("../../www/models/default/model.safetensors"), &config).unwrap();
    compare("default model", config, weights, 64, 20).await;

    let gpt2_small = GptConfig {
        n_embd: 768,
        n_layer: 12,
        n_head: 12,
        n_positions: 1024,
        vocab_size: 50257,
        layer_norm_epsilon: 1e-5,
    };
    let weights = random_weights(&gpt2_small, 0);
    compare("GPT-2 small shape (random weights)", gpt2_small, weights, 16, 2).await;
}

/// The SIMD matmul in wasm against this core's peak measured the same way (simd128 has no fused
/// multiply-add: the peak loop, like the matmul, does a multiply and an add).
#[wasm_bindgen_test]
fn matmul_against_the_one_core_peak_in_the_browser() {
    let peak = one_core_peak_gflops(js_sys::Date::now);
    console_log!("wasm simd128: one core's peak (register-only multiply-adds) {peak:.1} GFLOP/s");
    for (what, m, k, n) in [("default model c_fc", 64, 112, 448), ("GPT-2 small c_fc", 64, 768, 3072)] {
        let gflops = matmul_gflops(m, k, n, js_sys::Date::now);
        console_log!("wasm simd128: SIMD matmul {what} ({m}×{k})·({k}×{n}): {gflops:.1} GFLOP/s = {:.0}% of peak", 100.0 * gflops / peak);
    }
}
