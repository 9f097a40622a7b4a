//! The trainer's math: every backward function against finite differences of its forward
//! function, the whole model's gradient likewise, and a short training run that must learn.

mod common;

use attention_playground::ops::attention::{self_attention_backward, self_attention_forward};
use attention_playground::ops::cross_entropy::{cross_entropy_backward, cross_entropy_forward};
use attention_playground::train::data::{split_lines, Dataset, Source};
use attention_playground::ops::dropout::{dropout_backward, dropout_forward, dropout_mask};
use attention_playground::ops::embedding::{embedding_backward, embedding_forward};
use attention_playground::ops::gelu::{gelu, gelu_backward};
use attention_playground::ops::layernorm::{layernorm_backward, layernorm_forward};
use attention_playground::ops::linear::{head_backward, head_forward, linear_backward, linear_forward, matmul_threaded, transpose};
use attention_playground::train::model::{parameters_mut, zeros_like, Activations};
use attention_playground::weights::random_weights;
use attention_playground::train::masking::{mask_tokens, CHOSEN, TO_MASK, TO_RANDOM};
use attention_playground::train::{Train, TrainConfig, TrainObjective, Trainer};
use attention_playground::attention::Mask;
use attention_playground::backend::scalar::Scalar;
use attention_playground::backend::Backend;
use attention_playground::gpt::Gpt;
use attention_playground::weights::{load_safetensors, save_safetensors, SaveDtype};
use attention_playground::GptConfig;
use common::counting_dataset;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random(rng: &mut ChaCha8Rng, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| scale * (rng.random::<f32>() * 2.0 - 1.0)).collect()
}

/// Σ out · r in f64: a scalar loss whose gradient with respect to `out` is `r`.
fn project(out: &[f32], r: &[f32]) -> f64 {
    out.iter().zip(r).map(|(&o, &g)| o as f64 * g as f64).sum()
}

/// Central differences of `loss` at `x`, compared element by element with `analytic`:
/// |numeric - analytic| ≤ tol + eps · |analytic|.
fn check_gradient(name: &str, x: &[f32], analytic: &[f32], mut loss: impl FnMut(&[f32]) -> f64) {
    const H: f32 = 1e-2;
    const TOL: f64 = 2e-3;
    const EPS: f64 = 2e-2;
    assert_eq!(x.len(), analytic.len(), "{name}: gradient has the wrong size");
    let mut probe = x.to_vec();
    for i in 0..x.len() {
        probe[i] = x[i] + H;
        let up = loss(&probe);
        probe[i] = x[i] - H;
        let down = loss(&probe);
        probe[i] = x[i];
        let numeric = (up - down) / (2.0 * H as f64);
        let a = analytic[i] as f64;
        assert!(
            (numeric - a).abs() <= TOL + EPS * a.abs(),
            "{name}[{i}]: analytic {a}, finite differences {numeric}"
        );
    }
}

#[test]
fn matmul_matches_naive_product_with_and_without_accumulation() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    // Sizes that exercise full 4 × 16 tiles and every leftover path.
    let (m, k, n) = (7, 5, 37);
    let (a, b, start) = (random(&mut rng, m * k, 1.0), random(&mut rng, k * n, 1.0), random(&mut rng, m * n, 1.0));
    let mut out = start.clone();
    matmul_threaded(&mut out, &a, &b, k, n, true);
    for i in 0..m {
        for j in 0..n {
            let expected = start[i * n + j] + (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum::<f32>();
            assert!((out[i * n + j] - expected).abs() < 1e-5, "({i}, {j}): {} vs {expected}", out[i * n + j]);
        }
    }
    let mut overwritten = start.clone();
    matmul_threaded(&mut overwritten, &a, &b, k, n, false);
    for (o, (acc, s)) in overwritten.iter().zip(out.iter().zip(&start)) {
        assert!((o - (acc - s)).abs() < 1e-5);
    }
    assert_eq!(transpose(&transpose(&a, m, k), k, m), a);
}

#[test]
fn linear_backward_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (m, k, n) = (5, 6, 18);
    let (x, w, bias, r) = (random(&mut rng, m * k, 1.0), random(&mut rng, k * n, 1.0), random(&mut rng, n, 1.0), random(&mut rng, m * n, 1.0));
    let forward = |x: &[f32], w: &[f32], bias: &[f32]| {
        let mut out = vec![0.0; m * n];
        linear_forward(&mut out, x, w, bias, k, n);
        project(&out, &r)
    };
    let (mut dx, mut dw, mut dbias) = (vec![0.0; m * k], vec![0.0; k * n], vec![0.0; n]);
    linear_backward(&mut dx, &mut dw, &mut dbias, &r, &x, &w, k, n);
    check_gradient("linear dx", &x, &dx, |x| forward(x, &w, &bias));
    check_gradient("linear dW", &w, &dw, |w| forward(&x, w, &bias));
    check_gradient("linear dbias", &bias, &dbias, |b| forward(&x, &w, b));
}

#[test]
fn tied_head_backward_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (m, c, v) = (4, 8, 19);
    let (x, wte, r) = (random(&mut rng, m * c, 1.0), random(&mut rng, v * c, 1.0), random(&mut rng, m * v, 1.0));
    let forward = |x: &[f32], wte: &[f32]| {
        let mut logits = vec![0.0; m * v];
        head_forward(&mut logits, x, wte, c, v);
        project(&logits, &r)
    };
    let (mut dx, mut dwte) = (vec![0.0; m * c], vec![0.0; v * c]);
    head_backward(&mut dx, &mut dwte, &r, &x, &wte, c, v);
    check_gradient("head dx", &x, &dx, |x| forward(x, &wte));
    check_gradient("head dwte", &wte, &dwte, |w| forward(&x, w));
}

#[test]
fn embedding_backward_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let (v, p, c, t) = (6, 4, 5, 3);
    let ids = [1u32, 4, 1, 0, 1, 5]; // two sequences of 3, token 1 repeated
    let (wte, wpe, r) = (random(&mut rng, v * c, 1.0), random(&mut rng, p * c, 1.0), random(&mut rng, ids.len() * c, 1.0));
    let forward = |wte: &[f32], wpe: &[f32]| {
        let mut x = vec![0.0; ids.len() * c];
        embedding_forward(&mut x, &ids, wte, wpe, t, c);
        project(&x, &r)
    };
    let (mut dwte, mut dwpe) = (vec![0.0; v * c], vec![0.0; p * c]);
    embedding_backward(&mut dwte, &mut dwpe, &r, &ids, t, c);
    check_gradient("embedding dwte", &wte, &dwte, |w| forward(w, &wpe));
    check_gradient("embedding dwpe", &wpe, &dwpe, |w| forward(&wte, w));
}

#[test]
fn layernorm_backward_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (m, c) = (3, 7);
    let (x, gamma, beta, r) = (random(&mut rng, m * c, 2.0), random(&mut rng, c, 1.0), random(&mut rng, c, 1.0), random(&mut rng, m * c, 1.0));
    let forward = |x: &[f32], gamma: &[f32], beta: &[f32]| {
        let (mut y, mut mean, mut rstd) = (vec![0.0; m * c], vec![0.0; m], vec![0.0; m]);
        layernorm_forward(&mut y, &mut mean, &mut rstd, x, gamma, beta, c, 1e-5);
        (project(&y, &r), mean, rstd)
    };
    let (_, mean, rstd) = forward(&x, &gamma, &beta);
    let (mut dx, mut dgamma, mut dbeta) = (vec![0.0; m * c], vec![0.0; c], vec![0.0; c]);
    layernorm_backward(&mut dx, &mut dgamma, &mut dbeta, &r, &x, &gamma, &mean, &rstd, c);
    check_gradient("layernorm dx", &x, &dx, |x| forward(x, &gamma, &beta).0);
    check_gradient("layernorm dgamma", &gamma, &dgamma, |g| forward(&x, g, &beta).0);
    check_gradient("layernorm dbeta", &beta, &dbeta, |b| forward(&x, &gamma, b).0);
}

#[test]
fn gelu_backward_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let (x, r) = (random(&mut rng, 40, 4.0), random(&mut rng, 40, 1.0));
    let forward = |x: &[f32]| {
        let mut y = vec![0.0; x.len()];
        gelu(&mut y, x);
        project(&y, &r)
    };
    let mut dx = vec![0.0; x.len()];
    gelu_backward(&mut dx, &r, &x);
    check_gradient("gelu dx", &x, &dx, forward);
}

#[test]
fn attention_backward_matches_finite_differences() {
    attention_backward_for(Mask::Causal);
}

/// The encoder's attention: no mask, so every query also looks ahead and every key gets gradient.
#[test]
fn bidirectional_attention_backward_matches_finite_differences() {
    attention_backward_for(Mask::Bidirectional);
}

fn attention_backward_for(mask: Mask) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (b, t, c, nh) = (2, 4, 6, 2);
    let (qkv, r) = (random(&mut rng, b * t * 3 * c, 1.0), random(&mut rng, b * t * c, 1.0));
    let forward = |qkv: &[f32]| {
        let (mut out, mut att) = (vec![0.0; b * t * c], vec![0.0; b * nh * t * t]);
        self_attention_forward(&mut out, &mut att, qkv, t, c, nh, mask);
        (project(&out, &r), att)
    };
    let (_, att) = forward(&qkv);
    // Causal: nothing attends to the future; bidirectional: every key has weight. Every row of
    // weights sums to 1.
    for row in att.chunks(t).enumerate().map(|(i, row)| (i % t, row)) {
        let (query, weights) = row;
        match mask {
            Mask::Causal => assert!(weights[query + 1..].iter().all(|&w| w == 0.0)),
            Mask::Bidirectional => assert!(weights.iter().all(|&w| w > 0.0), "{weights:?}"),
        }
        assert!((weights.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
    let mut dqkv = vec![0.0; qkv.len()];
    self_attention_backward(&mut dqkv, &r, &qkv, &att, t, c, nh, mask);
    check_gradient(&format!("{mask:?} attention dqkv"), &qkv, &dqkv, |q| forward(q).0);
}

#[test]
fn cross_entropy_backward_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let (m, v) = (3, 9);
    let logits = random(&mut rng, m * v, 3.0);
    let targets = [2u32, 8, 0];
    let forward = |logits: &[f32]| cross_entropy_forward(&mut vec![0.0; m * v], logits, &targets, v) as f64;
    let mut probs = vec![0.0; m * v];
    let loss = cross_entropy_forward(&mut probs, &logits, &targets, v);
    let manual: f32 = (0..m)
        .map(|i| {
            let row = &logits[i * v..(i + 1) * v];
            row.iter().map(|l| l.exp()).sum::<f32>().ln() - row[targets[i] as usize]
        })
        .sum::<f32>()
        / m as f32;
    assert!((loss - manual).abs() < 1e-5, "loss {loss} vs {manual}");
    let mut dlogits = vec![0.0; m * v];
    cross_entropy_backward(&mut dlogits, &probs, &targets, v);
    check_gradient("cross-entropy dlogits", &logits, &dlogits, forward);
}

fn tiny_config() -> GptConfig {
    GptConfig { n_embd: 8, n_layer: 2, n_head: 2, n_positions: 6, vocab_size: 11, layer_norm_epsilon: 1e-5 }
}

#[test]
fn dropout_zeroes_about_p_and_keeps_the_expected_value() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut mask = vec![0.0; 20_000];
    dropout_mask(&mut mask, 0.25, &mut rng);
    let dropped = mask.iter().filter(|&&m| m == 0.0).count() as f32 / mask.len() as f32;
    assert!((dropped - 0.25).abs() < 0.01, "dropped {dropped}");
    assert!(mask.iter().all(|&m| m == 0.0 || (m - 1.0 / 0.75).abs() < 1e-6));
    let mean = mask.iter().sum::<f32>() / mask.len() as f32;
    assert!((mean - 1.0).abs() < 0.02, "E[mask] = {mean}");
    // The backward pass of x ⊙ mask is dy ⊙ mask.
    let (x, r) = (random(&mut rng, 30, 1.0), random(&mut rng, 30, 1.0));
    let forward = |x: &[f32]| {
        let mut y = x.to_vec();
        dropout_forward(&mut y, &mask[..30]);
        project(&y, &r)
    };
    let mut dx = vec![0.0; 30];
    dropout_backward(&mut dx, &r, &mask[..30]);
    check_gradient("dropout dx", &x, &dx, forward);
}

#[test]
fn whole_model_gradient_matches_finite_differences() {
    check_whole_model_gradient(0.0, false, false);
}

/// The encoder: bidirectional attention, loss on a few scored positions only (the others get
/// gradient through attention alone).
#[test]
fn the_encoders_whole_model_gradient_matches_finite_differences() {
    check_whole_model_gradient(0.0, false, true);
    check_whole_model_gradient(0.2, false, true);
}

/// The trainer's encoder computes what the engine computes with the bidirectional mask, at
/// the scored positions.
#[test]
fn the_trainers_encoder_matches_the_engines_bidirectional_forward() {
    let cfg = tiny_config();
    let weights = random_weights(&cfg, 23);
    let ids = [1u32, 4, 2, 7, 3];
    let rows = vec![0usize, 2, 4];
    let mut acts = Activations::new(&cfg, 1, ids.len()).unwrap();
    acts.mask = Mask::Bidirectional;
    acts.predict_only(Some(rows.clone())).unwrap();
    acts.forward(&weights, &cfg, &ids).unwrap();
    let engine = Gpt::new(cfg.clone(), Scalar, &weights);
    let forward = engine.forward(&ids, Mask::Bidirectional, None, false).unwrap();
    let logits = pollster::block_on(engine.backend.read(&[&forward.logits])).unwrap().remove(0);
    let v = cfg.vocab_size;
    for (r, &row) in rows.iter().enumerate() {
        for (i, (&a, &e)) in acts.logits[r * v..(r + 1) * v].iter().zip(logits.row(row)).enumerate() {
            assert!((a - e).abs() <= 1e-5 + 1e-4 * e.abs(), "row {row} logit {i}: trainer {a}, engine {e}");
        }
    }
    // The first token's logits depend on the last token now (they could not, causally).
    let mut changed = acts.clone();
    changed.forward(&weights, &cfg, &[1, 4, 2, 7, 9]).unwrap();
    assert!(changed.logits[..v].iter().zip(&acts.logits[..v]).any(|(a, b)| (a - b).abs() > 1e-4));
    assert!(acts.predict_only(Some(vec![5])).is_err(), "a row outside the batch");
}

#[test]
fn whole_model_gradient_with_dropout_matches_finite_differences() {
    check_whole_model_gradient(0.3, false, false);
}

/// A checkpoint with its own `lm_head.weight` (an untied head) is trained as the engine runs
/// it: the logits come from that head, and its gradient is the head's, not wte's.
#[test]
fn an_explicit_lm_head_is_trained_as_the_engine_runs_it() {
    check_whole_model_gradient(0.0, true, false);
    let cfg = tiny_config();
    let mut weights = random_weights(&cfg, 21);
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    weights.lm_head = Some(attention_playground::Tensor::new([cfg.vocab_size, cfg.n_embd], random(&mut rng, cfg.vocab_size * cfg.n_embd, 0.5)));
    let ids = [1u32, 4, 2, 7, 3];
    let mut acts = Activations::new(&cfg, 1, ids.len()).unwrap();
    acts.forward(&weights, &cfg, &ids).unwrap();
    let engine = Gpt::new(cfg.clone(), Scalar, &weights);
    let forward = engine.forward(&ids, Mask::Causal, None, false).unwrap();
    let logits = pollster::block_on(engine.backend.read(&[&forward.logits])).unwrap().remove(0);
    for (i, (&a, &e)) in acts.logits.iter().zip(&logits.data).enumerate() {
        assert!((a - e).abs() <= 1e-5 + 1e-4 * e.abs(), "logit {i}: trainer {a}, engine {e}");
    }
    // And the tied model's logits differ: the head really is a different matrix.
    let mut tied = acts.clone();
    tied.forward(&attention_playground::weights::HostWeights { lm_head: None, ..weights.clone() }, &cfg, &ids).unwrap();
    assert!(tied.logits.iter().zip(&acts.logits).any(|(a, b)| (a - b).abs() > 1e-3));
}

/// The gradient of every parameter tensor of a tiny model against finite differences, with the
/// dropout masks (if any) drawn once and held fixed, as within one training step; with
/// `explicit_head`, the model has an untied `lm_head` and its gradient is checked too; with
/// `encoder`, attention is bidirectional and only a few positions are scored, as in masked
/// language modelling.
fn check_whole_model_gradient(dropout: f32, explicit_head: bool, encoder: bool) {
    let cfg = tiny_config();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut weights = random_weights(&cfg, 9);
    if explicit_head {
        weights.lm_head = Some(weights.wte.clone());
    }
    // Larger than GPT-2's init so every path carries signal, biases and LayerNorm non-trivial.
    for tensor in parameters_mut(&mut weights) {
        tensor.data = random(&mut rng, tensor.len(), 0.5);
    }
    let (batch, t) = (2, 5);
    let ids: Vec<u32> = (0..batch * t).map(|_| rng.random_range(0..cfg.vocab_size as u32)).collect();
    let predicted = [1usize, 4, 7, 8];
    let scored = if encoder { predicted.len() } else { batch * t };
    let targets: Vec<u32> = (0..scored).map(|_| rng.random_range(0..cfg.vocab_size as u32)).collect();
    let mut acts = Activations::new(&cfg, batch, t).unwrap();
    if encoder {
        acts.mask = Mask::Bidirectional;
        acts.predict_only(Some(predicted.to_vec())).unwrap();
    }
    acts.draw_dropout(dropout, &mut rng).unwrap();
    let with_masks = acts.clone();
    let loss_of = |w: &attention_playground::weights::HostWeights| {
        let mut acts = with_masks.clone();
        acts.forward(w, &cfg, &ids).unwrap();
        acts.cross_entropy(&targets, cfg.vocab_size).unwrap() as f64
    };
    acts.forward(&weights, &cfg, &ids).unwrap();
    acts.cross_entropy(&targets, cfg.vocab_size).unwrap();
    let mut grads = zeros_like(&weights);
    acts.backward(&weights, &cfg, &ids, &targets, &mut grads);

    let analytic: Vec<Vec<f32>> = parameters_mut(&mut grads).into_iter().map(|g| g.data.clone()).collect();
    let n_tensors = analytic.len();
    for (index, analytic) in analytic.iter().enumerate().take(n_tensors) {
        let original = parameters_mut(&mut weights)[index].data.clone();
        let mut probe = weights.clone();
        check_gradient(&format!("model parameter {index}"), &original, analytic, |x| {
            parameters_mut(&mut probe)[index].data.copy_from_slice(x);
            loss_of(&probe)
        });
    }
}

#[test]
fn berts_recipe_chooses_15_percent_and_masks_80_randomises_10_keeps_10() {
    const V: usize = 50;
    const MASK_ID: u32 = 7;
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    // Never the mask token in the input, so a [MASK] in the output was put there.
    let ids: Vec<u32> = (0..100_000).map(|_| rng.random_range(8..V as u32)).collect();
    let masked = mask_tokens(&ids, MASK_ID, V, &mut ChaCha8Rng::seed_from_u64(1)).unwrap();
    assert_eq!(masked, mask_tokens(&ids, MASK_ID, V, &mut ChaCha8Rng::seed_from_u64(1)).unwrap(), "seeded");
    let n = masked.positions.len() as f32;
    assert!((n / ids.len() as f32 - CHOSEN).abs() < 0.005, "chose {n}");
    assert!(masked.positions.windows(2).all(|w| w[0] < w[1]));
    let targets: Vec<u32> = masked.positions.iter().map(|&p| ids[p]).collect();
    assert_eq!(masked.targets, targets, "targets are the original tokens");
    let (mut to_mask, mut kept, mut randomised) = (0, 0, 0);
    for &p in &masked.positions {
        match masked.ids[p] {
            MASK_ID => to_mask += 1,
            id if id == ids[p] => kept += 1,
            _ => randomised += 1,
        }
    }
    // A random token may equal the original (1 in 49): it counts as kept.
    assert!((to_mask as f32 / n - TO_MASK).abs() < 0.01, "{to_mask}");
    assert!((randomised as f32 / n - TO_RANDOM * 48.0 / 49.0).abs() < 0.01, "{randomised}");
    assert!((kept as f32 / n - (1.0 - TO_MASK - TO_RANDOM * 48.0 / 49.0)).abs() < 0.01, "{kept}");
    // Positions not chosen are untouched.
    let chosen: std::collections::HashSet<usize> = masked.positions.iter().copied().collect();
    assert!((0..ids.len()).filter(|p| !chosen.contains(p)).all(|p| masked.ids[p] == ids[p]));
    // One token: still one chosen position. Bad input: an error.
    assert_eq!(mask_tokens(&[9], MASK_ID, V, &mut rng).unwrap().positions, [0]);
    assert!(mask_tokens(&[], MASK_ID, V, &mut rng).is_err());
    assert!(mask_tokens(&[1], V as u32, V, &mut rng).is_err());
}

/// The encoder learns to fill in the counting corpus: a masked number is its neighbours'
/// middle. Its masked validation loss (about 7 scored tokens a step) falls well below the
/// unigram baseline, reproducibly.
#[test]
fn a_short_masked_language_model_run_lowers_the_masked_loss() {
    let cfg = tiny_config(); // V = 11: ids 0..10 are data, 10 is [MASK]
    let mask_id = cfg.vocab_size as u32 - 1;
    let data = counting_dataset(6, mask_id);
    let val = data.val_batches(0, 8, 4);
    let config = TrainConfig { objective: TrainObjective::MaskedTokens { mask_id }, batch_size: 16, ..tiny_training(1000, 42) };
    let run = || {
        let mut trainer = Trainer::new(cfg.clone(), config.clone()).unwrap();
        let before = trainer.evaluate(&val).unwrap();
        let losses: Vec<f32> = (0..1000).map(|_| trainer.train_step(&data).unwrap().loss).collect();
        (before, trainer.evaluate(&val).unwrap(), losses)
    };
    let (before, after, losses) = run();
    assert!((before - (cfg.vocab_size as f32).ln()).abs() < 0.3, "untrained loss {before}");
    let unigram = data.unigram_loss(0, cfg.vocab_size);
    assert!(after < 0.65 * unigram, "masked validation loss {after} vs unigram {unigram}");
    assert_eq!(run().2, losses, "same seed, same curve");
    let bad = TrainConfig { objective: TrainObjective::MaskedTokens { mask_id: cfg.vocab_size as u32 }, ..tiny_training(5, 1) };
    assert!(Trainer::new(cfg.clone(), bad).is_err(), "a mask token outside the vocabulary");
}

fn tiny_training(steps: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        batch_size: 8,
        seq_len: 6,
        steps,
        max_lr: 1e-2,
        min_lr: 1e-3,
        warmup_steps: 5,
        grad_clip: 1.0,
        weight_decay: 0.1,
        dropout: 0.0,
        seed,
        objective: TrainObjective::NextToken,
    }
}

#[test]
fn a_short_training_run_learns_and_is_reproducible() {
    short_run_learns_and_is_reproducible(0.0);
}

#[test]
fn a_short_training_run_with_dropout_learns_and_is_reproducible() {
    short_run_learns_and_is_reproducible(0.1);
}

fn short_run_learns_and_is_reproducible(dropout: f32) {
    let cfg = tiny_config();
    let data = counting_dataset(6, cfg.vocab_size as u32);
    let val = data.val_batches(0, 8, 4);
    let run = || {
        let mut trainer = Trainer::new(cfg.clone(), TrainConfig { dropout, ..tiny_training(150, 42) }).unwrap();
        let before = trainer.evaluate(&val).unwrap();
        let losses: Vec<f32> = (0..150).map(|_| trainer.train_step(&data).unwrap().loss).collect();
        (before, trainer.evaluate(&val).unwrap(), losses)
    };
    let (before, after, losses) = run();
    // Untrained ≈ ln V; counting is nearly deterministic, so the loss must fall far below that
    // and below the unigram baseline.
    assert!((before - (cfg.vocab_size as f32).ln()).abs() < 0.3, "untrained loss {before}");
    let unigram = data.unigram_loss(0, cfg.vocab_size);
    assert!(after < 0.6 * unigram, "validation loss {after} vs unigram {unigram}");
    // Same seed, same curve, bit for bit.
    assert_eq!(run().2, losses);
    let other_seed = {
        let mut trainer = Trainer::new(cfg.clone(), TrainConfig { dropout, ..tiny_training(150, 7) }).unwrap();
        trainer.train_step(&data).unwrap().loss
    };
    assert_ne!(other_seed, losses[0]);
}

#[test]
fn windows_at_line_starts_begin_after_a_newline() {
    const NEWLINE: u32 = 0;
    // Lines of 1 to 4 tokens (ids 1..=9), each ended by NEWLINE.
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let mut lines = |n: usize| -> Vec<u32> {
        (0..n).flat_map(|_| (0..rng.random_range(1..=4)).map(|_| rng.random_range(1..10u32)).chain([NEWLINE]).collect::<Vec<_>>()).collect()
    };
    let (train, val) = (lines(300), lines(60));
    let t = 6;
    let data = Dataset::new(vec![Source { name: "lines".into(), weight: 1.0, train: train.clone(), val: val.clone() }], t)
        .unwrap()
        .at_line_starts(NEWLINE);
    let begins_a_line = |tokens: &[u32], window: &[u32]| {
        (0..tokens.len() - t).any(|s| &tokens[s..s + t] == window && (s == 0 || tokens[s - 1] == NEWLINE))
    };
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let batch = data.train_batch(&mut rng, 50);
    for (window, targets) in batch.ids.chunks(t).zip(batch.targets.chunks(t)) {
        assert_ne!(window[0], NEWLINE, "a window starts on the newline itself");
        assert!(begins_a_line(&train, window), "{window:?} does not begin a line");
        assert_eq!(&window[1..], &targets[..t - 1], "targets are the inputs shifted by one");
    }
    let val_batches = data.val_batches(0, 4, 3);
    let windows: Vec<&[u32]> = val_batches.iter().flat_map(|b| b.ids.chunks(t)).collect();
    assert!(windows.len() > 4, "only {} validation windows", windows.len());
    assert!(windows.iter().all(|w| begins_a_line(&val, w)));
    // Without line starts the same data gives windows anywhere, and most do not begin a line.
    let anywhere = Dataset::new(vec![Source { name: "lines".into(), weight: 1.0, train: train.clone(), val }], t).unwrap();
    let batch = anywhere.train_batch(&mut rng, 200);
    let at_start = batch.ids.chunks(t).filter(|w| w[0] != NEWLINE && begins_a_line(&train, w)).count();
    assert!(at_start < 150, "{at_start} of 200 windows begin a line");
}

#[test]
fn validation_split_keeps_whole_lines() {
    let text = "a b\nc d\ne f\ng h\n";
    assert_eq!(split_lines(text, 0.25), ("a b\nc d\ne f\n", "g h\n"));
    assert_eq!(split_lines(text, 0.0), (text, ""));
    assert_eq!(split_lines(text, 1.0), ("", text));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let cfg = tiny_config();
    assert!(Activations::new(&cfg, 1, cfg.n_positions + 1).is_err());
    let mut acts = Activations::new(&cfg, 1, 3).unwrap();
    let weights = random_weights(&cfg, 0);
    assert!(acts.forward(&weights, &cfg, &[1, 2]).is_err(), "wrong number of ids");
    assert!(acts.forward(&weights, &cfg, &[1, 2, 99]).is_err(), "id outside the vocabulary");
    let short = vec![Source { name: "short".into(), weight: 1.0, train: vec![1, 2], val: vec![1, 2] }];
    assert!(Dataset::new(short, 6).is_err());
    for p in [1.0, -0.1, f32::NAN] {
        assert!(Trainer::new(cfg.clone(), TrainConfig { dropout: p, ..tiny_training(5, 1) }).is_err(), "dropout {p}");
        assert!(acts.draw_dropout(p, &mut ChaCha8Rng::seed_from_u64(0)).is_err(), "dropout {p}");
    }
}

#[test]
fn trainer_forward_equals_the_engine_on_the_same_weights() {
    let cfg = GptConfig { n_embd: 32, n_layer: 2, n_head: 4, n_positions: 16, vocab_size: 50, layer_norm_epsilon: 1e-5 };
    let mut trainer = Trainer::new(cfg.clone(), tiny_training(20, 3)).unwrap();
    // Some training first, so the weights are not just the initialisation.
    let data = counting_dataset(6, cfg.vocab_size as u32);
    for _ in 0..20 {
        trainer.train_step(&data).unwrap();
    }
    let (batch, t) = (2, 9);
    let ids: Vec<u32> = (0..(batch * t) as u32).map(|i| (i * 7 + 3) % cfg.vocab_size as u32).collect();
    let mut acts = Activations::new(&cfg, batch, t).unwrap();
    acts.forward(&trainer.weights, &cfg, &ids).unwrap();

    // Through the engine's checkpoint format too: what the trainer saves is what the page runs.
    let bytes = save_safetensors(&trainer.weights, SaveDtype::F32).unwrap();
    let engine = Gpt::new(cfg.clone(), Scalar, &load_safetensors(&bytes, &cfg).unwrap());
    for (b, sequence) in ids.chunks(t).enumerate() {
        let forward = engine.forward(sequence, Mask::Causal, None, false).unwrap();
        let logits = pollster::block_on(engine.backend.read(&[&forward.logits])).unwrap().remove(0);
        let ours = &acts.logits[b * t * cfg.vocab_size..(b + 1) * t * cfg.vocab_size];
        for (i, (&a, &e)) in ours.iter().zip(&logits.data).enumerate() {
            assert!((a - e).abs() <= 1e-5 + 1e-4 * e.abs(), "sequence {b}, logit {i}: trainer {a}, engine {e}");
        }
    }
}

/// The shipped tokenizer splits the page's example sentences into meaningful pieces.
#[test]
fn default_tokenizer_keeps_words_whole() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/models/default/tokenizer.json");
    let path = std::env::var("TOKENIZER").unwrap_or(path.to_string());
    let tokenizer = tokenizers::Tokenizer::from_file(&path).unwrap();
    let pieces = |text: &str| -> Vec<String> {
        let encoding = tokenizer.encode(text, false).unwrap();
        encoding.get_ids().iter().map(|&id| tokenizer.decode(&[id], false).unwrap()).collect()
    };
    let chinese = pieces("小明 喜欢 苹果");
    let english = pieces("The space is a large area.");
    println!("{chinese:?} {english:?} {:?}", pieces("他 喜欢 户外 运动 | He likes outdoor sports."));
    assert!(chinese.contains(&" 喜欢".to_string()), "{chinese:?}");
    let ids = tokenizer.encode("小明 喜欢 苹果", false).unwrap().get_ids().to_vec();
    assert_eq!(tokenizer.decode(&ids, false).unwrap(), "小明 喜欢 苹果");
    for word in ["The", " is", " a", " large", " area", "."] {
        assert!(english.contains(&word.to_string()), "{word:?} not one token in {english:?}");
    }
}
