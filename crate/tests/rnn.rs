//! The recurrent net (`crate::rnn`): its backward pass through time against finite differences,
//! its forward pass against `tests/golden/reference_rnn.py` (an independent pure-Python GRU in
//! float64), its checkpoint round trip, and a short training run by the shared recipe that
//! must learn.

mod common;

use std::path::PathBuf;

use attention_playground::lessons::influence::{influences, softmax, variants};
use attention_playground::rnn::{Rnn, RnnActivations, RnnConfig, RnnWeights};
use attention_playground::train::adamw::Parameters;
use attention_playground::train::recurrent::RnnTrainer;
use attention_playground::train::{Train, TrainConfig};
use attention_playground::weights::SaveDtype;
use common::counting_dataset;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn tiny() -> RnnConfig {
    RnnConfig::gru(11, 5, 6)
}

/// Loss of `w` on a fixed batch.
fn loss(cfg: &RnnConfig, w: &RnnWeights, ids: &[u32], targets: &[u32], batch: usize, t: usize) -> f64 {
    let mut acts = RnnActivations::new(cfg, batch, t).unwrap();
    acts.forward(w, cfg, ids).unwrap();
    acts.cross_entropy(targets, cfg).unwrap() as f64
}

#[test]
fn backward_through_time_matches_finite_differences_for_every_parameter() {
    let cfg = tiny();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut weights = RnnWeights::random(&cfg, 3);
    // Larger than the init, biases too, so every gate is away from its linear region.
    for tensor in weights.parameters_mut() {
        tensor.data.iter_mut().for_each(|x| *x = rng.random::<f32>() * 1.6 - 0.8);
    }
    let (batch, t) = (2, 5);
    let ids: Vec<u32> = (0..batch * t).map(|_| rng.random_range(0..cfg.vocab_size as u32)).collect();
    let targets: Vec<u32> = (0..batch * t).map(|_| rng.random_range(0..cfg.vocab_size as u32)).collect();
    let mut acts = RnnActivations::new(&cfg, batch, t).unwrap();
    acts.forward(&weights, &cfg, &ids).unwrap();
    acts.cross_entropy(&targets, &cfg).unwrap();
    let mut grads = RnnWeights::zeros(&cfg);
    acts.backward(&weights, &cfg, &targets, &mut grads);

    let names: Vec<String> = weights.named_tensors().into_iter().map(|(n, _)| n).collect();
    let analytic: Vec<Vec<f32>> = grads.parameters_mut().into_iter().map(|g| g.data.clone()).collect();
    const H: f32 = 1e-2;
    for (index, analytic) in analytic.iter().enumerate() {
        let mut probe = weights.clone();
        let original = probe.parameters_mut()[index].data.clone();
        assert!(analytic.iter().any(|&g| g != 0.0), "{}: the gradient is all zero", names[index]);
        for i in 0..original.len() {
            probe.parameters_mut()[index].data[i] = original[i] + H;
            let up = loss(&cfg, &probe, &ids, &targets, batch, t);
            probe.parameters_mut()[index].data[i] = original[i] - H;
            let down = loss(&cfg, &probe, &ids, &targets, batch, t);
            probe.parameters_mut()[index].data[i] = original[i];
            let numeric = (up - down) / (2.0 * H as f64);
            let a = analytic[i] as f64;
            assert!((numeric - a).abs() <= 2e-3 + 2e-2 * a.abs(), "{}[{i}]: analytic {a}, finite differences {numeric}", names[index]);
        }
    }
}

#[test]
fn checkpoint_round_trip_in_f32_is_exact_and_f16_is_close() {
    let cfg = tiny();
    let weights = RnnWeights::random(&cfg, 5);
    let bytes = weights.save_safetensors(SaveDtype::F32).unwrap();
    assert_eq!(RnnWeights::load_safetensors(&bytes, &cfg).unwrap(), weights);
    let half = RnnWeights::load_safetensors(&weights.save_safetensors(SaveDtype::F16).unwrap(), &cfg).unwrap();
    for ((_, a), (_, b)) in half.named_tensors().into_iter().zip(weights.named_tensors()) {
        assert!(a.data.iter().zip(&b.data).all(|(x, y)| (x - y).abs() <= 1e-3 * y.abs().max(1e-2)));
    }
    // A checkpoint of another shape is refused with the tensor's name.
    let error = RnnWeights::load_safetensors(&bytes, &RnnConfig::gru(11, 5, 7)).unwrap_err().to_string();
    assert!(error.contains("gru.weight_x"), "{error}");
}

#[test]
fn next_token_logits_equal_the_batched_forward_at_the_last_position() {
    let cfg = tiny();
    let rnn = Rnn::new(cfg.clone(), RnnWeights::random(&cfg, 8));
    let ids = [1u32, 4, 4, 9, 0, 10];
    let mut acts = RnnActivations::new(&cfg, 1, ids.len()).unwrap();
    acts.forward(&rnn.weights, &cfg, &ids).unwrap();
    let last = rnn.next_token_logits(&ids).unwrap();
    for (a, b) in last.iter().zip(acts.logits_at(0, ids.len() - 1, &cfg)) {
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
    }
    assert!(rnn.next_token_logits(&[]).is_err(), "no tokens, no prediction");
    assert!(rnn.next_token_logits(&[11]).is_err(), "a token outside the vocabulary is an error");
}

#[test]
fn the_shared_recipe_trains_the_gru_to_count() {
    let cfg = RnnConfig::gru(16, 8, 16);
    let data = counting_dataset(8, 16);
    let config = TrainConfig {
        batch_size: 8,
        seq_len: 8,
        steps: 300,
        max_lr: 1e-2,
        min_lr: 1e-3,
        warmup_steps: 20,
        grad_clip: 1.0,
        weight_decay: 0.0,
        dropout: 0.0,
        seed: 1,
        objective: Default::default(),
    };
    let mut trainer = RnnTrainer::new(cfg, config).unwrap();
    let val = data.val_batches(0, 8, 4);
    let before = trainer.evaluate(&val).unwrap();
    for _ in 0..300 {
        trainer.train_step(&data).unwrap();
    }
    let after = trainer.evaluate(&val).unwrap();
    // ln 16 = 2.77 at chance; counting leaves only each line's random start unpredictable.
    assert!(before > 2.5 && after < 1.0, "validation loss {before} → {after}");
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/tiny-rnn")
}

fn close(got: f32, want: f64) -> bool {
    (got as f64 - want).abs() <= 1e-5 + 1e-4 * want.abs()
}

#[test]
fn forward_and_influence_match_the_independent_python_reference() {
    let dir = golden_dir();
    let rnn = Rnn::from_files(
        &std::fs::read_to_string(dir.join("config.json")).unwrap(),
        &std::fs::read(dir.join("model.safetensors")).unwrap(),
    )
    .unwrap();
    let golden: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("golden.json")).unwrap()).unwrap();
    let ids: Vec<u32> = golden["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
    let cfg = &rnn.config;
    let mut acts = RnnActivations::new(cfg, 1, ids.len()).unwrap();
    acts.forward(&rnn.weights, cfg, &ids).unwrap();
    for t in 0..ids.len() {
        let want_h = golden["hidden"][t].as_array().unwrap();
        for (i, (got, want)) in acts.hidden(0, t, cfg).iter().zip(want_h).enumerate() {
            assert!(close(*got, want.as_f64().unwrap()), "h[{t}][{i}]: {got} vs {want}");
        }
        let want_logits = golden["logits"][t].as_array().unwrap();
        for (v, (got, want)) in acts.logits_at(0, t, cfg).iter().zip(want_logits).enumerate() {
            assert!(close(*got, want.as_f64().unwrap()), "logits[{t}][{v}]: {got} vs {want}");
        }
    }
    let neutral = golden["neutral"].as_u64().unwrap() as u32;
    let distributions: Vec<Vec<f32>> = variants(&ids, neutral).iter().map(|v| softmax(&rnn.next_token_logits(v).unwrap())).collect();
    let got = influences(&distributions);
    let want = golden["influence"].as_array().unwrap();
    assert_eq!(got.len(), want.len());
    for (j, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(close(*g, w.as_f64().unwrap()), "influence[{j}]: {g} vs {w}");
    }
    let same = ids.iter().position(|&id| id == neutral).expect("the reference text holds the neutral token");
    assert_eq!(got[same], 0.0, "replacing a token by itself changes nothing");
}

#[test]
fn a_config_that_is_not_a_grus_is_refused_by_name() {
    let good = r#"{"architecture": "gru", "vocab_size": 11, "n_embd": 5, "n_hidden": 6, "tokenizer": "../default/tokenizer.json"}"#;
    let config = RnnConfig::from_json(good).unwrap();
    assert_eq!((config.vocab_size, config.n_embd, config.n_hidden), (11, 5, 6));
    let lstm = RnnConfig::from_json(&good.replace("\"gru\"", "\"lstm\"")).unwrap_err().to_string();
    assert!(lstm.contains("architecture \"lstm\""), "{lstm}");
    let zero = RnnConfig::from_json(&good.replace("\"n_hidden\": 6", "\"n_hidden\": 0")).unwrap_err().to_string();
    assert!(zero.contains("n_hidden must be between 1 and"), "{zero}");
    let huge = RnnConfig::from_json(&good.replace("\"vocab_size\": 11", "\"vocab_size\": 99999999999")).unwrap_err().to_string();
    assert!(huge.contains("vocab_size"), "{huge}");
    assert!(RnnConfig::from_json("not json").is_err());
    assert!(RnnConfig::from_json(r#"{"architecture": "gru"}"#).unwrap_err().to_string().contains("vocab_size"));
}
