//! The GPU backend against the scalar reference: every op over random shapes, whole forward
//! passes with their traces, KV-cache generation, buffer reuse, and device loss.
//!
//! These tests need a GPU adapter; Mesa's llvmpipe (`mesa-vulkan-drivers`) is enough. Without
//! one they fail, unless `ATTN_ALLOW_NO_GPU=1` says that skipping is intended.

mod common;
mod gpu_cases;

use attention_playground::attention::Mask;
use attention_playground::backend::gpu::Gpu;
use attention_playground::backend::scalar::Scalar;
use attention_playground::backend::Backend;
use attention_playground::gpt::{Gpt, KvCache};
use attention_playground::weights::{BlockWeights, GptWeights, LayerNorm, Linear};
use attention_playground::{Error, GptConfig, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A fresh GPU context, or `None` when there is no adapter and skipping is allowed.
fn gpu() -> Option<Gpu> {
    match pollster::block_on(Gpu::new()) {
        Ok(gpu) => Some(gpu),
        Err(e) if std::env::var("ATTN_ALLOW_NO_GPU").as_deref() == Ok("1") => {
            eprintln!("skipping GPU test (ATTN_ALLOW_NO_GPU=1): {e}");
            None
        }
        Err(e) => panic!(
            "no GPU for the GPU tests: {e}\n(install mesa-vulkan-drivers for the llvmpipe adapter, \
             or set ATTN_ALLOW_NO_GPU=1 to skip)"
        ),
    }
}

fn read<B: Backend>(backend: &B, tensors: &[&B::Tensor]) -> Vec<Tensor> {
    pollster::block_on(backend.read(tensors)).expect("read failed")
}

#[test]
fn every_op_matches_the_scalar_reference_on_random_shapes() {
    let Some(gpu) = gpu() else { return };
    let cases = gpu_cases::random_cases(7, 12);
    let worst = pollster::block_on(gpu_cases::check_all(&gpu, &Scalar, &cases));
    println!("{} cases on {}; largest |gpu - scalar| per kernel:", cases.len(), gpu.adapter_name());
    for (kernel, error) in worst {
        println!("  {kernel:<22} {error:.2e}");
    }
}

#[test]
fn elementwise_kernels_wrap_past_65535_workgroups() {
    let Some(gpu) = gpu() else { return };
    // 65535 groups of 256 threads is 16.7M elements; one more row of groups is needed here.
    let n = 65_535 * 256 + 4_099;
    let x = Tensor::new([n], (0..n).map(|i| (i % 1_000) as f32 * 0.01 - 5.0).collect());
    let got = read(&gpu, &[&gpu.scale(&gpu.upload(&x), -0.5)]).remove(0);
    let want = read(&Scalar, &[&Scalar.scale(&Scalar.upload(&x), -0.5)]).remove(0);
    gpu_cases::compare(&[got], &[want]).unwrap();
}

#[test]
fn a_fully_masked_row_softmaxes_to_zeros() {
    let Some(gpu) = gpu() else { return };
    let x = Tensor::new([2, 3], vec![f32::NEG_INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY, 1.0, f32::NEG_INFINITY, 1.0]);
    let y = read(&gpu, &[&gpu.softmax_rows(&gpu.upload(&x))]).remove(0);
    assert_eq!(y.data, [0.0, 0.0, 0.0, 0.5, 0.0, 0.5]);
}

#[test]
fn forward_and_trace_match_the_golden_reference() {
    let Some(gpu) = gpu() else { return };
    let adapter = gpu.adapter_name();
    let c = common::check_golden(gpu);
    println!("golden fixture on {adapter}: largest |diff| {:e} at {}", c.max_abs_diff, c.where_max);
}

/// A small model with random weights (scaled like a trained one), and its config.
fn random_model(seed: u64) -> (GptConfig, GptWeights<Tensor>) {
    let config = GptConfig {
        n_embd: 48,
        n_layer: 2,
        n_head: 3,
        n_positions: 24,
        vocab_size: 101,
        layer_norm_epsilon: 1e-5,
    };
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    let mut tensor = |shape: &[usize], scale: f32, offset: f32| {
        let n = shape.iter().product();
        Tensor::new(shape.to_vec(), (0..n).map(|_| offset + rng.random_range(-scale..=scale)).collect())
    };
    let c = config.n_embd;
    let mut linear = |fan_in: usize, fan_out: usize| Linear {
        weight: tensor(&[fan_in, fan_out], 1.0 / (fan_in as f32).sqrt(), 0.0),
        bias: tensor(&[fan_out], 0.1, 0.0),
    };
    let mut layers = Vec::new();
    for _ in 0..config.n_layer {
        layers.push((linear(c, 3 * c), linear(c, c), linear(c, 4 * c), linear(4 * c, c)));
    }
    let mut norm = || LayerNorm { weight: tensor(&[c], 0.2, 1.0), bias: tensor(&[c], 0.1, 0.0) };
    let h = layers
        .into_iter()
        .map(|(c_attn, attn_c_proj, c_fc, mlp_c_proj)| BlockWeights {
            ln_1: norm(),
            c_attn,
            attn_c_proj,
            ln_2: norm(),
            c_fc,
            mlp_c_proj,
        })
        .collect();
    let ln_f = norm();
    let weights = GptWeights {
        wte: tensor(&[config.vocab_size, c], 0.5, 0.0),
        wpe: tensor(&[config.n_positions, c], 0.2, 0.0),
        h,
        ln_f,
        lm_head: None,
    };
    (config, weights)
}

#[test]
fn forward_and_trace_match_the_scalar_reference() {
    let Some(gpu) = gpu() else { return };
    let (config, weights) = random_model(1);
    let ids = [5, 17, 99, 0, 42, 42, 8, 63, 1, 100, 27];
    let on_gpu = Gpt::new(config.clone(), gpu, &weights);
    let on_cpu = Gpt::new(config, Scalar, &weights);
    for mask in [Mask::Causal, Mask::Bidirectional] {
        let g = on_gpu.forward(&ids, mask, None, true).unwrap().trace.unwrap();
        let s = on_cpu.forward(&ids, mask, None, true).unwrap().trace.unwrap();
        let (got, want) = (read(&on_gpu.backend, &g.tensors()), read(&on_cpu.backend, &s.tensors()));
        let error = gpu_cases::compare(&got, &want).unwrap_or_else(|e| panic!("{mask:?} trace: {e}"));
        println!("{mask:?} forward: {} trace tensors, largest |gpu - scalar| {error:.2e}", got.len());
    }
}

#[test]
fn kv_cache_generation_equals_full_recomputation() {
    let Some(gpu) = gpu() else { return };
    let (config, weights) = random_model(2);
    let model = Gpt::new(config.clone(), gpu, &weights);
    let ids = [3, 1, 4, 1, 5, 9, 2, 6, 53, 58, 97, 93];
    let full = model.forward(&ids, Mask::Causal, None, false).unwrap().logits; // (T, V)
    let full = read(&model.backend, &[&full]).remove(0);

    // A 4-token prompt, then one token per step, each step reading only its new logits.
    let mut cache = KvCache::new(config.n_layer);
    let mut rows = Vec::new();
    let prompt = model.forward(&ids[..4], Mask::Causal, Some(&mut cache), false).unwrap().logits;
    rows.extend(read(&model.backend, &[&prompt]).remove(0).data);
    for &id in &ids[4..] {
        let step = model.forward(&[id], Mask::Causal, Some(&mut cache), false).unwrap().logits;
        rows.extend(read(&model.backend, &[&step]).remove(0).data);
    }
    assert_eq!(cache.len, ids.len());
    let cached = Tensor::new(full.shape.clone(), rows);
    let error = gpu_cases::compare(&[cached], &[full]).unwrap();
    println!("KV-cache logits vs full recomputation: largest difference {error:.2e}");
}

#[test]
fn many_forward_passes_reuse_buffers_instead_of_creating_more() {
    let Some(gpu) = gpu() else { return };
    let (config, weights) = random_model(3);
    let model = Gpt::new(config.clone(), gpu, &weights);
    let ids: Vec<u32> = (0..config.n_positions as u32).map(|i| (i * 37) % config.vocab_size as u32).collect();
    // One pass of every length and mask, traced as the page asks, its logits read back.
    let every_shape = || {
        for t in 1..=ids.len() {
            for mask in [Mask::Causal, Mask::Bidirectional] {
                let output = model.forward(&ids[..t], mask, None, true).unwrap();
                read(&model.backend, &[&output.logits]);
            }
        }
    };
    let at_load = model.backend.buffers_created();
    every_shape();
    let warm = model.backend.buffers_created();
    for _ in 0..4 {
        every_shape();
    }
    let after = model.backend.buffers_created();
    println!(
        "buffers: {at_load} after loading, {warm} after one pass of each of {} shapes, {after} after {} passes more",
        2 * ids.len(),
        8 * ids.len()
    );
    assert!(warm > at_load, "a pass needs buffers of its own");
    assert_eq!(after, warm, "passes of sizes already seen created new buffers");
}

#[test]
fn a_lost_device_makes_read_fail_with_a_gpu_error() {
    let Some(gpu) = gpu() else { return };
    let x = gpu.upload(&Tensor::new([2, 2], vec![1.0, 2.0, 3.0, 4.0]));
    assert_eq!(read(&gpu, &[&gpu.gelu(&x)])[0].shape, [2, 2]);
    assert!(!gpu.is_lost());

    gpu.simulate_device_loss();
    // Ops on the dead device still return (the engine may have queued work); only read reports.
    let y = gpu.add(&x, &x);
    match pollster::block_on(gpu.read(&[&y])) {
        Err(Error::Gpu(message)) => assert!(message.contains("lost"), "unexpected message: {message}"),
        other => panic!("expected a GPU error after device loss, got {other:?}"),
    }
    assert!(gpu.is_lost());
}

#[test]
fn check_fits_accepts_a_small_model_and_rejects_an_oversized_one() {
    let Some(gpu) = gpu() else { return };
    let (tiny, _) = random_model(3);
    gpu.check_fits(&tiny).unwrap();
    // A billion-token vocabulary: its embedding alone is 3 TiB.
    let huge = GptConfig { vocab_size: 1 << 30, n_embd: 768, ..tiny };
    match gpu.check_fits(&huge) {
        Err(Error::Gpu(message)) => assert!(message.contains("does not fit"), "unexpected message: {message}"),
        other => panic!("expected the oversized model to be refused, got {other:?}"),
    }
    assert!(!gpu.adapter_name().is_empty());
}
