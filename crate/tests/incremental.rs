//! A pass that reuses the first positions of the previous one (the page while a learner types)
//! records the very trace a full pass records — bit for bit, on every backend — and reuses only
//! what the causal mask makes safe: not under the bidirectional mask, not across backends.
//!
//! The GPU case needs an adapter (Mesa's llvmpipe is enough); without one it fails, unless
//! `ATTN_ALLOW_NO_GPU=1` says this machine has none on purpose.

use attention_playground::attention::Mask;
use attention_playground::backend::BackendKind;
use attention_playground::engine::Engine;
use attention_playground::trace::Trace;
use attention_playground::weights::random_weights;
use attention_playground::{GptConfig, Tensor};
use pollster::block_on;

/// Odd sizes, so that no SIMD register or GPU tile divides the sequence or the channels evenly.
fn config() -> GptConfig {
    GptConfig { n_embd: 20, n_layer: 2, n_head: 4, n_positions: 20, vocab_size: 53, layer_norm_epsilon: 1e-5 }
}

fn engine(kind: BackendKind) -> Option<Engine> {
    match block_on(Engine::new(config(), random_weights(&config(), 5), Some(kind))) {
        Ok(engine) => Some(engine),
        Err(e) if kind == BackendKind::Gpu && std::env::var("ATTN_ALLOW_NO_GPU").as_deref() == Ok("1") => {
            eprintln!("skipped, no GPU: {e}");
            None
        }
        Err(e) => panic!("no {} backend ({e}); for the GPU install mesa-vulkan-drivers or set ATTN_ALLOW_NO_GPU=1", kind.name()),
    }
}

fn full(engine: &mut Engine, ids: &[u32], mask: Mask) -> Trace<Tensor> {
    block_on(engine.forward(ids, mask, true)).unwrap().trace.unwrap()
}

/// Every tensor of two traces equal bit for bit (NaN never appears; -∞ equals itself).
fn assert_identical(what: &str, got: &Trace<Tensor>, want: &Trace<Tensor>) {
    assert_eq!((&got.ids, got.pos0, got.mask, got.backend), (&want.ids, want.pos0, want.mask, want.backend), "{what}");
    let (got_all, want_all) = (got.tensors(), want.tensors());
    assert_eq!(got_all.len(), want_all.len(), "{what}: tensor count");
    for (n, (g, w)) in got_all.iter().zip(&want_all).enumerate() {
        assert_eq!(g.shape, w.shape, "{what}: tensor {n} shape");
        let first_difference = g.data.iter().zip(&w.data).position(|(a, b)| a.to_bits() != b.to_bits());
        assert!(first_difference.is_none(), "{what}: tensor {n} differs at {first_difference:?}");
    }
}

/// Edits a learner makes, each from the previous ids: type at the end, paste, delete, change
/// the middle, retype the same, replace everything, fill the context.
fn edits() -> Vec<(&'static str, Vec<u32>)> {
    let start: Vec<u32> = vec![3, 17, 5, 39, 0, 22, 8];
    let mut edits = vec![("start", start.clone())];
    let mut push = |what, ids: Vec<u32>| edits.push((what, ids));
    push("one token typed", [&start[..], &[11]].concat());
    push("three pasted", [&start[..], &[11, 52, 1, 1]].concat());
    push("backspace", [&start[..], &[11, 52]].concat());
    push("middle changed", vec![3, 17, 44, 39, 0, 22, 8, 11, 52]);
    push("same again", vec![3, 17, 44, 39, 0, 22, 8, 11, 52]);
    push("one token left", vec![3]);
    push("nothing shared", vec![9, 9, 2]);
    push("context filled", (0..20).map(|i| (i * 7 + 9) % 53).collect());
    edits
}

fn reuse_equals_full(kind: BackendKind) {
    let Some(mut engine) = engine(kind) else { return };
    let mut previous: Option<Trace<Tensor>> = None;
    for (what, ids) in edits() {
        let reused = block_on(engine.forward_after(&ids, Mask::Causal, previous.as_ref())).unwrap().trace.unwrap();
        assert_identical(&format!("{} after {what}", kind.name()), &reused, &full(&mut engine, &ids, Mask::Causal));
        previous = Some(reused);
    }
}

#[test]
fn scalar_reuse_equals_full_pass() {
    reuse_equals_full(BackendKind::Scalar);
}

#[test]
fn simd_reuse_equals_full_pass() {
    reuse_equals_full(BackendKind::Simd);
}

#[test]
fn gpu_reuse_equals_full_pass() {
    reuse_equals_full(BackendKind::Gpu);
}

/// Under the bidirectional mask an early position sees the later ones, so nothing is reused; a
/// causal pass after a bidirectional one (or on another backend) starts from scratch too.
#[test]
fn only_a_causal_pass_on_the_same_backend_is_reused() {
    let mut engine = engine(BackendKind::Simd).unwrap();
    let (before, after) = ([3, 17, 5, 39], [3, 17, 5, 39, 12]);
    let bidirectional = full(&mut engine, &before, Mask::Bidirectional);
    let got = block_on(engine.forward_after(&after, Mask::Bidirectional, Some(&bidirectional))).unwrap().trace.unwrap();
    assert_identical("bidirectional", &got, &full(&mut engine, &after, Mask::Bidirectional));
    // The early rows really change when a later token arrives: reusing them would be wrong.
    assert_ne!(got.layers[0].after_mlp.row(0), bidirectional.layers[0].after_mlp.row(0));

    let got = block_on(engine.forward_after(&after, Mask::Causal, Some(&bidirectional))).unwrap().trace.unwrap();
    assert_identical("causal after bidirectional", &got, &full(&mut engine, &after, Mask::Causal));

    let on_scalar = full(&mut self::engine(BackendKind::Scalar).unwrap(), &before, Mask::Causal);
    let got = block_on(engine.forward_after(&after, Mask::Causal, Some(&on_scalar))).unwrap().trace.unwrap();
    assert_identical("after a pass on another backend", &got, &full(&mut engine, &after, Mask::Causal));
}

/// The shared rows really are taken from the previous pass, not computed again: a mark put in
/// the previous trace's first rows shows up in the next one (and only in the rows it may).
#[test]
fn the_shared_rows_come_from_the_previous_pass() {
    let mut engine = engine(BackendKind::Simd).unwrap();
    let mut marked = full(&mut engine, &[3, 17, 5, 39], Mask::Causal);
    marked.layers[1].after_mlp.data[0] = 1234.5; // position 0
    marked.logits.data[2 * 53] = -99.0; // position 2
    let got = block_on(engine.forward_after(&[3, 17, 5, 39, 12], Mask::Causal, Some(&marked))).unwrap().trace.unwrap();
    assert_eq!(got.layers[1].after_mlp.data[0], 1234.5);
    assert_eq!(got.logits.data[2 * 53], -99.0);
    // Cut short to three tokens: positions 0 and 1 are reused, the last one is computed again
    // (a pass always computes at least one position; see `Engine::forward_after`).
    let got = block_on(engine.forward_after(&[3, 17, 5], Mask::Causal, Some(&marked))).unwrap().trace.unwrap();
    assert_eq!(got.layers[1].after_mlp.data[0], 1234.5, "a text cut short reuses its start too");
    assert_ne!(got.logits.data[2 * 53], -99.0, "its last position is computed again");
}
