//! Chapter 4's view (`lessons::layers`) natively: the logit lens against the model's real
//! logits and against a float64 LayerNorm + LM head written here, the contributions against
//! blocks whose output projections are switched off, the head summaries against the trace's
//! weights, and the `layers` command against the library.

use std::process::Command;

use attention_playground::attention::Mask;
use attention_playground::backend::BackendKind;
use attention_playground::engine::Engine;
use attention_playground::lessons::layers::{layers_view, logit_lens, LayersView};
use attention_playground::sampling::top_n;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::trace::Trace;
use attention_playground::views::{head_weights, tokens_of};
use attention_playground::weights::{load_safetensors, random_weights, HostWeights};
use attention_playground::{Error, GptConfig, Tensor};
use pollster::block_on;
use serde_json::Value;

const MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/models");

fn read(model: &str, file: &str) -> Vec<u8> {
    std::fs::read(format!("{MODELS}/{model}/{file}")).unwrap()
}

/// A shipped model ("default" or "encoder") on the scalar reference, its tokenizer and mask.
fn shipped(model: &str) -> (Engine, TextTokenizer, Mask) {
    let config_json = String::from_utf8(read(model, "config.json")).unwrap();
    let config = GptConfig::from_json(&config_json).unwrap();
    let mask = attention_playground::config::Objective::from_json(&config_json).unwrap().attention_mask;
    let weights = load_safetensors(&read(model, "model.safetensors"), &config).unwrap();
    let tokenizer = TextTokenizer::from_bytes(&read(model, "tokenizer.json")).unwrap();
    (block_on(Engine::new(config, weights, Some(BackendKind::Scalar))).unwrap(), tokenizer, mask)
}

fn run(engine: &mut Engine, tokenizer: &TextTokenizer, text: &str, mask: Mask) -> Trace<Tensor> {
    let ids = tokens_of(tokenizer, engine.config().n_positions, text).unwrap().ids;
    block_on(engine.forward(&ids, mask, true)).unwrap().trace.unwrap()
}

fn view(engine: &Engine, trace: &Trace<Tensor>, tokenizer: &TextTokenizer, focus: usize) -> LayersView {
    layers_view(trace, engine.weights(), engine.config(), tokenizer, focus, 5).unwrap()
}

/// ln_f(x) · headᵀ in float64, written out here: the lens's independent reference.
fn lens_f64(x: &[f32], weights: &HostWeights, eps: f32) -> Vec<f64> {
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = x.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
    let normed: Vec<f64> = x
        .iter()
        .zip(&weights.ln_f.weight.data)
        .zip(&weights.ln_f.bias.data)
        .map(|((&v, &g), &b)| (f64::from(v) - mean) / (var + f64::from(eps)).sqrt() * f64::from(g) + f64::from(b))
        .collect();
    let head = weights.lm_head();
    (0..head.rows()).map(|v| head.row(v).iter().zip(&normed).map(|(&w, &h)| f64::from(w) * h).sum()).collect()
}

fn softmax_f64(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = logits.iter().map(|z| (z - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.iter().map(|e| e / sum).collect()
}

fn close(got: f32, want: f64, tol: f64) -> bool {
    (f64::from(got) - want).abs() <= tol + want.abs() * tol
}

#[test]
fn the_last_stage_of_the_lens_is_the_models_own_prediction() {
    for (model, text) in [("default", "小明 喜欢 苹果"), ("default", "He likes apples."), ("encoder", "小明 [MASK] 苹果")] {
        let (mut engine, tokenizer, mask) = shipped(model);
        let trace = run(&mut engine, &tokenizer, text, mask);
        let t = trace.ids.len();
        for focus in [0, t / 2, t - 1] {
            let v = view(&engine, &trace, &tokenizer, focus);
            assert_eq!(v.lens.len(), engine.config().n_layer + 1);
            // The lens of the last stream is the very logits the model produced (same ops, same backend).
            let last = &trace.layers.last().unwrap().after_mlp;
            let stream = Tensor::new([1, last.cols()], last.row(focus).to_vec());
            assert_eq!(logit_lens(&stream, engine.weights(), engine.config()).data, trace.logits.row(focus), "{model} {text} {focus}");
            let real: Vec<u32> = top_n(trace.logits.row(focus), 5).into_iter().map(|(id, _)| id).collect();
            let stage = v.lens.last().unwrap();
            assert_eq!((stage.kind, stage.layer), ("layer", Some(engine.config().n_layer - 1)));
            assert_eq!(stage.top.iter().map(|c| c.id).collect::<Vec<_>>(), real);
            assert_eq!((stage.answer.id, stage.answer_rank), (real[0], 1));
            assert_eq!(v.answer, stage.answer);
        }
    }
}

#[test]
fn every_stage_of_the_lens_matches_a_float64_layernorm_and_head() {
    let (mut engine, tokenizer, mask) = shipped("default");
    let trace = run(&mut engine, &tokenizer, "小明 喜欢 苹果", mask);
    let focus = 2; // 喜欢
    let v = view(&engine, &trace, &tokenizer, focus);
    let streams = std::iter::once(&trace.embeddings).chain(trace.layers.iter().map(|l| &l.after_mlp));
    for (stage, (s, x)) in v.lens.iter().zip(streams.enumerate()) {
        assert_eq!((stage.kind == "embeddings", stage.layer), (s == 0, s.checked_sub(1)));
        let logits = lens_f64(x.row(focus), engine.weights(), engine.config().layer_norm_epsilon);
        let probabilities = softmax_f64(&logits);
        let mut order: Vec<usize> = (0..logits.len()).collect();
        order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
        assert_eq!(stage.top.iter().map(|c| c.id as usize).collect::<Vec<_>>(), order[..5], "stage {s}");
        for c in &stage.top {
            assert!(close(c.logit, logits[c.id as usize], 1e-4), "stage {s}: {} vs {}", c.logit, logits[c.id as usize]);
            assert!(close(c.probability, probabilities[c.id as usize], 1e-4));
            assert_eq!(c.text, tokenizer.token_text(c.id).unwrap());
        }
        // The answer's rank: how many tokens this stage scores above it, plus one.
        let answer = v.answer.id as usize;
        assert_eq!(stage.answer_rank, 1 + logits.iter().filter(|&&z| z > logits[answer] + 1e-9).count());
        assert!(close(stage.answer.probability, probabilities[answer], 1e-4));
    }
    // The story the chapter tells on this sentence: the embedding alone does not predict what
    // the model finally says; the blocks bring it to the top.
    assert!(v.lens[0].answer_rank > 1 && v.lens.last().unwrap().answer_rank == 1);
}

/// A random model whose chosen blocks have their attention or MLP output projection zeroed:
/// those parts then add nothing to the residual stream.
fn silenced(attention_off: &[usize], mlp_off: &[usize]) -> Engine {
    let config = GptConfig { n_embd: 16, n_layer: 3, n_head: 2, n_positions: 16, vocab_size: 40, layer_norm_epsilon: 1e-5 };
    let mut weights = random_weights(&config, 11);
    let zero = |t: &mut Tensor| t.data.fill(0.0);
    for &l in attention_off {
        zero(&mut weights.h[l].attn_c_proj.weight);
        zero(&mut weights.h[l].attn_c_proj.bias);
    }
    for &l in mlp_off {
        zero(&mut weights.h[l].mlp_c_proj.weight);
        zero(&mut weights.h[l].mlp_c_proj.bias);
    }
    block_on(Engine::new(config, weights, Some(BackendKind::Scalar))).unwrap()
}

#[test]
fn a_block_that_adds_nothing_shows_zero_contribution_and_leaves_the_lens_unchanged() {
    let tokenizer = TextTokenizer::from_bytes(&read("default", "tokenizer.json")).unwrap();
    let ids = [3, 1, 4, 1, 5, 9];
    let mut engine = silenced(&[1], &[1, 2]);
    let trace = block_on(engine.forward(&ids, Mask::Causal, true)).unwrap().trace.unwrap();
    let v = layers_view(&trace, engine.weights(), engine.config(), &tokenizer, 4, 3).unwrap();
    let on = |x: &[f32]| x.iter().all(|&n| n > 1e-4);
    let off = |x: &[f32]| x.iter().all(|&n| n == 0.0);
    assert!(on(&v.layers[0].attention) && on(&v.layers[0].mlp));
    assert!(off(&v.layers[1].attention) && off(&v.layers[1].mlp), "block 2 is silenced");
    assert!(on(&v.layers[2].attention) && off(&v.layers[2].mlp));
    for layer in &v.layers {
        // Each block's stream continues the previous one's; it is never longer than the parts added.
        assert_eq!(layer.before.len(), ids.len());
        for i in 0..ids.len() {
            assert!(layer.after[i] <= layer.before[i] + layer.attention[i] + layer.mlp[i] + 1e-5);
        }
    }
    for l in 1..3 {
        assert_eq!(v.layers[l].before, v.layers[l - 1].after);
    }
    // Nothing changed in block 2 (index 1): the lens after it is the lens before it.
    let ids_at = |s: usize| v.lens[s].top.iter().map(|c| (c.id, c.logit)).collect::<Vec<_>>();
    assert_eq!(ids_at(2), ids_at(1));
    assert_ne!(ids_at(1), ids_at(0));
}

#[test]
fn head_summaries_are_read_from_the_traces_weights() {
    for (model, text) in [("default", "小明 喜欢 苹果 。 He likes apples."), ("encoder", "小明 [MASK] 苹果")] {
        let (mut engine, tokenizer, mask) = shipped(model);
        let trace = run(&mut engine, &tokenizer, text, mask);
        let t = trace.ids.len();
        let focus = t - 2;
        let v = view(&engine, &trace, &tokenizer, focus);
        for (l, layer) in v.layers.iter().enumerate() {
            let mean: f32 = layer.heads.iter().map(|h| h.mean_distance).sum::<f32>() / layer.heads.len() as f32;
            assert!(close(layer.mean_distance, f64::from(mean), 1e-6));
            for (h, head) in layer.heads.iter().enumerate() {
                let w = head_weights(&trace, l, h).unwrap();
                let previous: f64 = (1..t).map(|i| f64::from(w[i * t + i - 1])).sum::<f64>() / (t - 1) as f64;
                let first: f64 = (1..t).map(|i| f64::from(w[i * t])).sum::<f64>() / (t - 1) as f64;
                // The causal mask leaves the first query no choice: it is not counted.
                let from = usize::from(mask == Mask::Causal);
                let n = (t - from) as f64;
                let itself: f64 = (from..t).map(|i| f64::from(w[i * t + i])).sum::<f64>() / n;
                let distance: f64 =
                    (from..t).flat_map(|i| (0..t).map(move |j| (i, j))).map(|(i, j)| f64::from(w[i * t + j]) * i.abs_diff(j) as f64).sum::<f64>() / n;
                assert_eq!(head.head, h);
                assert!(close(head.previous.unwrap(), previous, 1e-6) && close(head.first.unwrap(), first, 1e-6));
                assert!(close(head.itself, itself, 1e-6) && close(head.mean_distance, distance, 1e-6));
                let row = &w[focus * t..(focus + 1) * t];
                assert_eq!(head.focus_weight, row.iter().copied().fold(f32::MIN, f32::max));
                assert_eq!(row[head.focus_key], head.focus_weight);
                // Under the causal mask the GPT never looks right of the query.
                if mask == Mask::Causal {
                    assert!(head.focus_key <= focus);
                }
            }
        }
    }
}

#[test]
fn a_focus_outside_the_text_is_an_input_error() {
    let (mut engine, tokenizer, mask) = shipped("default");
    let trace = run(&mut engine, &tokenizer, "小明", mask);
    let t = trace.ids.len();
    let result = layers_view(&trace, engine.weights(), engine.config(), &tokenizer, t, 5);
    assert!(matches!(result, Err(Error::Input(m)) if m.contains("outside")));
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_attention-playground")).args(args).output().expect("run the CLI")
}

#[test]
fn the_layers_command_prints_the_librarys_view() {
    let model = format!("{MODELS}/default");
    let out = cli(&["layers", "--model", &model, "--backend", "scalar", "--text", "小明 喜欢 苹果", "--focus", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (mut engine, tokenizer, mask) = shipped("default");
    let trace = run(&mut engine, &tokenizer, "小明 喜欢 苹果", mask);
    // Through text, as the command writes it (f32 in its shortest form).
    let want: Value = serde_json::from_str(&serde_json::to_string(&view(&engine, &trace, &tokenizer, 2)).unwrap()).unwrap();
    for key in ["focus", "n_layer", "n_head", "layers", "lens", "answer"] {
        assert_eq!(json[key], want[key], "{key}");
    }
    assert_eq!(json["tokens"]["ids"], serde_json::to_value(&trace.ids).unwrap());
    assert_eq!(json["tokens"]["display"][2], " 喜欢");
    // Without --focus: the last token. A focus past the end: one clear line, no JSON.
    let last = cli(&["layers", "--model", &model, "--backend", "scalar", "--text", "小明 喜欢 苹果"]);
    let last: Value = serde_json::from_slice(&last.stdout).unwrap();
    assert_eq!(last["focus"], trace.ids.len() - 1);
    let bad = cli(&["layers", "--model", &model, "--text", "小明", "--focus", "9"]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && bad.stdout.is_empty() && stderr.starts_with("error:") && stderr.contains("--focus 9"), "{stderr}");
}
