//! The engine: backend choice, the GPU-loss fallback, generation with a KV cache and sampling.
//!
//! GPU tests need a native adapter (Mesa's llvmpipe is enough); without one they fail, unless
//! `ATTN_ALLOW_NO_GPU=1` says this machine has none on purpose.

use attention_playground::attention::Mask;
use attention_playground::backend::BackendKind;
use attention_playground::engine::{Engine, Why};
use attention_playground::sampling::{argmax, SamplingOptions};
use attention_playground::weights::random_weights;
use attention_playground::{Error, GptConfig, Tensor};
use pollster::block_on;

fn config() -> GptConfig {
    GptConfig { n_embd: 16, n_layer: 2, n_head: 2, n_positions: 12, vocab_size: 40, layer_norm_epsilon: 1e-5 }
}

fn engine(prefer: Option<BackendKind>) -> attention_playground::Result<Engine> {
    block_on(Engine::new(config(), random_weights(&config(), 7), prefer))
}

fn cpu(kind: BackendKind) -> Engine {
    engine(Some(kind)).unwrap()
}

/// An engine on the GPU, or `None` where `ATTN_ALLOW_NO_GPU=1` excuses a machine without one.
fn gpu() -> Option<Engine> {
    match engine(Some(BackendKind::Gpu)) {
        Ok(engine) => Some(engine),
        Err(e) if std::env::var("ATTN_ALLOW_NO_GPU").as_deref() == Ok("1") => {
            eprintln!("skipped, no GPU: {e}");
            None
        }
        Err(e) => panic!("no GPU adapter ({e}); install mesa-vulkan-drivers or set ATTN_ALLOW_NO_GPU=1"),
    }
}

const IDS: [u32; 6] = [3, 17, 5, 39, 0, 22];

fn logits(engine: &mut Engine, ids: &[u32]) -> Tensor {
    block_on(engine.forward(ids, Mask::Causal, false)).unwrap().logits
}

fn assert_close(actual: &Tensor, expected: &Tensor) {
    assert_eq!(actual.shape, expected.shape);
    for (i, (a, e)) in actual.data.iter().zip(&expected.data).enumerate() {
        assert!((a - e).abs() <= 1e-4 + e.abs() * 1e-4, "element {i}: {a} vs {e}");
    }
}

#[test]
fn automatic_choice_says_why() {
    let engine = engine(None).unwrap();
    let status = engine.status();
    assert!(!status.reason.is_empty());
    match status.kind {
        BackendKind::Gpu => assert!(status.adapter.as_deref().is_some_and(|a| status.reason.contains(a))),
        BackendKind::Simd => assert!(status.reason.contains("SIMD") && status.adapter.is_none()),
        BackendKind::Scalar => panic!("automatic choice never picks the scalar reference"),
    }
}

/// Automatic choice passes over a software adapter (llvmpipe here) and says so; asked for by
/// hand, the same adapter is used.
#[test]
fn automatic_choice_passes_over_a_software_gpu() {
    let Some(forced) = gpu() else { return };
    let adapter = forced.status().adapter.clone().unwrap();
    let software = block_on(attention_playground::backend::gpu::Gpu::new()).unwrap().is_software();
    let auto = engine(None).unwrap();
    assert_eq!(forced.status().why, Why::Asked);
    if software {
        assert_eq!(auto.status().kind, BackendKind::Simd, "{}", auto.status().reason);
        assert_eq!(auto.status().why, Why::SoftwareGpu);
        assert!(auto.status().reason.contains(&adapter), "{}", auto.status().reason);
        assert!(forced.status().reason.contains("software adapter"), "{}", forced.status().reason);
    } else {
        assert_eq!(auto.status().kind, BackendKind::Gpu, "{}", auto.status().reason);
        assert_eq!(auto.status().why, Why::HardwareGpu);
    }
}

#[test]
fn forced_cpu_backends_agree() {
    let mut scalar = cpu(BackendKind::Scalar);
    assert_eq!(scalar.status().kind, BackendKind::Scalar);
    assert!(scalar.status().adapter.is_none());
    let mut simd = cpu(BackendKind::Simd);
    assert_eq!(simd.status().kind, BackendKind::Simd);
    let expected = logits(&mut scalar, &IDS);
    assert_eq!(expected.shape, [IDS.len(), config().vocab_size]);
    assert_close(&logits(&mut simd, &IDS), &expected);
}

#[test]
fn the_trace_is_read_back_whole() {
    let mut engine = cpu(BackendKind::Scalar);
    let out = block_on(engine.forward(&IDS, Mask::Bidirectional, true)).unwrap();
    let trace = out.trace.unwrap();
    assert_eq!(trace.logits, out.logits);
    assert_eq!(trace.ids, IDS);
    assert_eq!(trace.mask, Mask::Bidirectional);
    assert_eq!(trace.layers.len(), config().n_layer);
    let weights = &trace.layers[0].attention.weights;
    assert_eq!(weights.shape, [config().n_head, IDS.len(), IDS.len()]);
    // Bidirectional: every query sees every key, so no weight is exactly zero.
    assert!(weights.data.iter().all(|&w| w > 0.0));
    assert!(block_on(engine.forward(&IDS, Mask::Causal, false)).unwrap().trace.is_none());
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut engine = cpu(BackendKind::Scalar);
    let too_long = vec![1; config().n_positions + 1];
    for ids in [&[][..], &[40][..], &too_long[..]] {
        assert!(matches!(block_on(engine.forward(ids, Mask::Causal, false)), Err(Error::Input(_))), "{ids:?}");
    }
    let opts = SamplingOptions::greedy();
    assert!(matches!(block_on(engine.generate(&[], 3, &opts, |_| true)), Err(Error::Input(_))));
    assert!(matches!(block_on(engine.generate(&too_long, 3, &opts, |_| true)), Err(Error::Input(_))));
    assert!(matches!(block_on(engine.generate(&[99], 3, &opts, |_| true)), Err(Error::Input(_))));
    let bad = SamplingOptions { temperature: 0.0, ..SamplingOptions::default() };
    assert!(matches!(block_on(engine.generate(&IDS, 3, &bad, |_| true)), Err(Error::Input(_))));
    let mut wrong = config();
    wrong.n_head = 3;
    assert!(matches!(block_on(Engine::new(wrong, random_weights(&config(), 7), None)), Err(Error::Model(_))));
    // Weights for another shape of model: refused up front, not a panic inside a backend.
    let mut wider = config();
    wider.n_embd = 32;
    let error = block_on(Engine::new(config(), random_weights(&wider, 7), None)).err().unwrap();
    assert!(matches!(&error, Error::Model(m) if m.contains("wte.weight")), "{error}");
    let mut shallower = config();
    shallower.n_layer = 1;
    assert!(matches!(block_on(Engine::new(config(), random_weights(&shallower, 7), None)), Err(Error::Model(_))));
}

/// Greedy decoding the slow way: the whole sequence through the model for every new token.
fn greedy_by_recomputation(engine: &mut Engine, prompt: &[u32], n: usize) -> Vec<u32> {
    let mut sequence = prompt.to_vec();
    for _ in 0..n {
        let logits = logits(engine, &sequence);
        sequence.push(argmax(logits.row(logits.rows() - 1)).unwrap());
    }
    sequence[prompt.len()..].to_vec()
}

#[test]
fn generation_with_a_kv_cache_equals_full_recomputation() {
    for kind in [BackendKind::Scalar, BackendKind::Simd] {
        let mut engine = cpu(kind);
        let mut seen = Vec::new();
        let generated = block_on(engine.generate(&IDS[..3], 5, &SamplingOptions::greedy(), |t| {
            seen.push(t);
            true
        }))
        .unwrap();
        assert_eq!(generated.len(), 5);
        assert_eq!(seen, generated);
        assert_eq!(generated, greedy_by_recomputation(&mut engine, &IDS[..3], 5), "{kind:?}");
    }
}

#[test]
fn generation_stops_when_asked_and_at_the_end_of_the_context() {
    let mut engine = cpu(BackendKind::Scalar);
    let opts = SamplingOptions::greedy();
    let mut calls = 0;
    let stopped = block_on(engine.generate(&IDS, 10, &opts, |_| {
        calls += 1;
        calls < 2
    }))
    .unwrap();
    assert_eq!(stopped.len(), 2, "the token that says stop is kept");
    // 6 prompt tokens + 6 new ones fill the 12 positions.
    let full = block_on(engine.generate(&IDS, 100, &opts, |_| true)).unwrap();
    assert_eq!(full.len(), config().n_positions - IDS.len());
    assert!(block_on(engine.generate(&IDS, 0, &opts, |_| true)).unwrap().is_empty());
}

#[test]
fn the_same_seed_gives_the_same_tokens() {
    let mut engine = cpu(BackendKind::Simd);
    // A high temperature makes the draw, not the argmax, decide.
    let sample = |engine: &mut Engine, seed| {
        let opts = SamplingOptions { temperature: 5.0, seed, ..SamplingOptions::default() };
        block_on(engine.generate(&IDS[..2], 10, &opts, |_| true)).unwrap()
    };
    let first = sample(&mut engine, 11);
    assert_eq!(first, sample(&mut engine, 11));
    assert_ne!(first, sample(&mut engine, 12));
    assert_ne!(first, greedy_by_recomputation(&mut engine, &IDS[..2], 10));
    // Seeds name the same tokens on every backend.
    assert_eq!(first, sample(&mut cpu(BackendKind::Scalar), 11));
}

#[test]
fn set_backend_moves_the_model() {
    let mut engine = cpu(BackendKind::Scalar);
    let before = logits(&mut engine, &IDS);
    block_on(engine.set_backend(Some(BackendKind::Simd))).unwrap();
    assert_eq!(engine.status().kind, BackendKind::Simd);
    assert_close(&logits(&mut engine, &IDS), &before);
    block_on(engine.set_backend(None)).unwrap();
    assert_ne!(engine.status().kind, BackendKind::Scalar);
    assert_close(&logits(&mut engine, &IDS), &before);
}

#[test]
fn gpu_matches_the_cpu() {
    let Some(mut gpu) = gpu() else { return };
    assert_eq!(gpu.status().kind, BackendKind::Gpu);
    let expected = logits(&mut cpu(BackendKind::Scalar), &IDS);
    assert_close(&logits(&mut gpu, &IDS), &expected);
    let generated = block_on(gpu.generate(&IDS[..3], 5, &SamplingOptions::greedy(), |_| true)).unwrap();
    assert_eq!(generated, greedy_by_recomputation(&mut cpu(BackendKind::Scalar), &IDS[..3], 5));
}

#[test]
fn a_lost_gpu_falls_back_to_the_cpu_with_the_same_results() {
    let Some(mut engine) = gpu() else { return };
    let expected = logits(&mut cpu(BackendKind::Scalar), &IDS);
    assert_close(&logits(&mut engine, &IDS), &expected);

    engine.simulate_device_loss();
    let out = block_on(engine.forward(&IDS, Mask::Causal, true)).unwrap();
    let status = engine.status();
    assert_eq!(status.kind, BackendKind::Simd);
    assert!(status.reason.contains("GPU failed"), "{}", status.reason);
    assert_eq!(status.why, Why::GpuLost);
    assert!(status.adapter.is_none());
    assert_close(&out.logits, &expected);
    assert_eq!(out.trace.unwrap().layers.len(), config().n_layer);
}

#[test]
fn generation_on_a_lost_gpu_finishes_on_the_cpu() {
    let Some(mut engine) = gpu() else { return };
    let expected = greedy_by_recomputation(&mut cpu(BackendKind::Scalar), &IDS[..2], 6);
    let generated = block_on(engine.generate(&IDS[..2], 6, &SamplingOptions::greedy(), |_| true)).unwrap();
    assert_eq!(generated, expected);

    engine.simulate_device_loss();
    let mut seen = Vec::new();
    let generated = block_on(engine.generate(&IDS[..2], 6, &SamplingOptions::greedy(), |t| {
        seen.push(t);
        true
    }))
    .unwrap();
    assert_eq!(engine.status().kind, BackendKind::Simd);
    assert_eq!(generated, expected);
    assert_eq!(seen, expected, "each token reported once");
}
