//! The GPU backend on WebGPU in a real browser, against the scalar reference: a sample of op
//! cases and a small forward pass with its trace. Run by wasm-bindgen-test-runner in Chromium
//! started with `--enable-unsafe-webgpu` (see `webdriver.json`); without WebGPU the tests fail.
#![cfg(target_arch = "wasm32")]

mod gpu_cases;

use attention_playground::attention::Mask;
use attention_playground::backend::gpu::Gpu;
use attention_playground::backend::scalar::Scalar;
use attention_playground::backend::Backend;
use attention_playground::gpt::Gpt;
use attention_playground::weights::random_weights;
use attention_playground::GptConfig;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

async fn webgpu() -> Gpu {
    Gpu::new().await.unwrap_or_else(|e| panic!("{e} (is Chromium started with --enable-unsafe-webgpu?)"))
}

#[wasm_bindgen_test]
async fn ops_match_the_scalar_reference_on_webgpu() {
    let gpu = webgpu().await;
    let cases = gpu_cases::random_cases(11, 3);
    let worst = gpu_cases::check_all(&gpu, &Scalar, &cases).await;
    console_log!("{} cases on {}: largest error per kernel {worst:?}", cases.len(), gpu.adapter_name());
}

#[wasm_bindgen_test]
async fn a_small_forward_matches_the_scalar_reference_on_webgpu() {
    let config = GptConfig { n_embd: 32, n_layer: 2, n_head: 4, n_positions: 16, vocab_size: 64, layer_norm_epsilon: 1e-5 };
    let weights = random_weights(&config, 5);
    let ids = [1, 2, 3, 5, 8, 13, 21, 34];
    let on_gpu = Gpt::new(config.clone(), webgpu().await, &weights);
    let on_cpu = Gpt::new(config, Scalar, &weights);
    let g = on_gpu.forward(&ids, Mask::Causal, None, true).unwrap().trace.unwrap();
    let s = on_cpu.forward(&ids, Mask::Causal, None, true).unwrap().trace.unwrap();
    let got = on_gpu.backend.read(&g.tensors()).await.unwrap();
    let want = on_cpu.backend.read(&s.tensors()).await.unwrap();
    let error = gpu_cases::compare(&got, &want).unwrap();
    console_log!("forward on {}: {} trace tensors, largest error {error:.2e}", on_gpu.backend.adapter_name(), got.len());
}
