//! The native CLI, run as a user would: JSON on stdout, one clear line on stderr on failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{fixture_dir, Golden};
use serde_json::Value;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attention-playground")).args(args).output().expect("run the CLI")
}

/// Run a command that must succeed; its stdout parsed.
fn ok(args: &[&str]) -> Value {
    let out = cli(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e})"))
}

/// Run a command that must fail cleanly; its stderr.
fn fails(args: &[&str]) -> String {
    let out = cli(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} should fail");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout on failure");
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{args:?} panicked: {stderr}");
    assert!(stderr.starts_with("error:"), "{args:?}: {stderr}");
    stderr
}

fn fixture() -> String {
    fixture_dir().to_str().unwrap().to_string()
}

fn ids_arg(ids: &[u32]) -> String {
    ids.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(",")
}

fn matrix(value: &Value) -> Vec<Vec<f64>> {
    value.as_array().unwrap().iter().map(|row| row.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()).collect()
}

#[test]
fn forward_prints_one_row_of_logits_per_position_matching_the_reference() {
    let golden = Golden::load();
    let ids = ids_arg(&golden.ids);
    for (mask, key) in [("causal", "causal"), ("bidirectional", "bidirectional")] {
        for backend in ["scalar", "simd"] {
            let out = ok(&["forward", "--model", &fixture(), "--ids", &ids, "--backend", backend, "--mask", mask]);
            assert_eq!(out["backend"]["kind"], backend);
            let logits = matrix(&out["logits"]);
            let (shape, want) = golden.tensor(&format!("{key}/logits"));
            assert_eq!([logits.len(), logits[0].len()], shape[..]);
            for (got, want) in logits.concat().iter().zip(&want) {
                assert!((got - want).abs() <= 1e-5 + want.abs() * 1e-4, "{backend} {mask}: {got} vs {want}");
            }
        }
    }
    let out = ok(&["forward", "--model", &fixture(), "--ids", "5,17,42", "--backend", "scalar"]);
    assert_eq!(out["ids"], serde_json::json!([5, 17, 42]));
    let logits = matrix(&out["logits"]);
    assert_eq!(logits.len(), 3);
    assert!(logits.iter().all(|row| row.len() == 67));
}

#[test]
fn generate_is_reproducible_per_seed() {
    let run = |seed: &str| ok(&["generate", "--model", &fixture(), "--ids", "1,2,3", "--max-tokens", "6", "--seed", seed, "--backend", "scalar"]);
    let first = run("5");
    assert_eq!(first["ids"].as_array().unwrap().len(), 6);
    assert_eq!(first["prompt_ids"], serde_json::json!([1, 2, 3]));
    assert_eq!(first["ids"], run("5")["ids"]);
    assert_ne!(first["ids"], run("6")["ids"]);
    // The fixture's context is 16 positions: 3 + 13 at most.
    let long = ok(&["generate", "--model", &fixture(), "--ids", "1,2,3", "--max-tokens", "100", "--greedy", "--backend", "simd"]);
    assert_eq!(long["ids"].as_array().unwrap().len(), 13);
}

#[test]
fn trace_has_every_step_and_the_next_token_probabilities() {
    let out = ok(&["trace", "--model", &fixture(), "--ids", "4,8,15,16", "--backend", "scalar", "--temperature", "0.5", "--top", "3"]);
    let trace = &out["trace"];
    assert_eq!(trace["layers"].as_array().unwrap().len(), 2);
    // (NH, T, TK) masked scores: the causal mask's -∞ is written as null.
    let masked = &trace["layers"][0]["attention"]["masked"];
    assert_eq!(masked["shape"], serde_json::json!([3, 4, 4]));
    let row0: Vec<&Value> = masked["data"].as_array().unwrap()[..4].iter().collect();
    assert!(row0[0].is_number() && row0[1..].iter().all(|v| v.is_null()), "{row0:?}");

    let steps = &out["next_token"]["steps"];
    let probabilities: Vec<f64> = steps["probabilities"].as_array().unwrap().iter().map(|p| p.as_f64().unwrap()).collect();
    assert_eq!(probabilities.len(), 67);
    assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-5);
    let top = out["next_token"]["top"].as_array().unwrap();
    assert_eq!(top.len(), 3);
    let best = probabilities.iter().cloned().fold(0.0, f64::max);
    assert!((top[0]["probability"].as_f64().unwrap() - best).abs() < 1e-7);

    let one = ok(&["trace", "--model", &fixture(), "--ids", "4,8", "--backend", "scalar", "--layer", "1"]);
    assert_eq!(one["layer"], 1);
    assert_eq!(one["trace"]["layers"].as_array().unwrap().len(), 1);
}

#[test]
fn bad_arguments_fail_with_a_message() {
    let model = fixture();
    assert!(fails(&["forward", "--model", &model, "--ids", "1,x"]).contains("--ids"));
    assert!(fails(&["forward", "--model", &model, "--ids", "1,67", "--backend", "scalar"]).contains("67"));
    assert!(fails(&["forward", "--model", &model]).contains("--ids"));
    assert!(fails(&["forward", "--model", &model, "--ids", "1", "--text", "a"]).contains("cannot be used with"));
    assert!(fails(&["forward", "--model", &model, "--ids", "1", "--backend", "tpu"]).contains("tpu"));
    assert!(fails(&["forward", "--model", &model, "--text", "hello", "--backend", "scalar"]).contains("tokenizer.json"));
    assert!(fails(&["generate", "--model", &model, "--ids", "1", "--temperature", "0", "--backend", "scalar"]).contains("temperature"));
    assert!(fails(&["generate", "--model", &model, "--ids", "1", "--top-p", "2", "--backend", "scalar"]).contains("top_p"));
    assert!(fails(&["trace", "--model", &model, "--ids", "1", "--layer", "2", "--backend", "scalar"]).contains("--layer 2"));
    assert!(fails(&["frobnicate"]).contains("frobnicate"));
    let too_long = ids_arg(&[1; 17]);
    assert!(fails(&["forward", "--model", &model, "--ids", &too_long, "--backend", "scalar"]).contains("context"));
}

/// A scratch model directory, removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("attention-playground-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn with_fixture(name: &str) -> Self {
        let dir = Self::new(name);
        for file in ["config.json", "model.safetensors"] {
            std::fs::copy(fixture_dir().join(file), dir.0.join(file)).unwrap();
        }
        dir
    }

    fn write(&self, file: &str, contents: impl AsRef<[u8]>) {
        std::fs::write(self.0.join(file), contents).unwrap();
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn missing_or_corrupt_models_are_reported() {
    let forward = |dir: &str| fails(&["forward", "--model", dir, "--ids", "1", "--backend", "scalar"]);
    assert!(forward("/no/such/model").contains("does not exist"));

    let empty = ScratchDir::new("empty");
    assert!(forward(empty.path()).contains("config.json"));

    let truncated = ScratchDir::with_fixture("truncated");
    let bytes = std::fs::read(fixture_dir().join("model.safetensors")).unwrap();
    truncated.write("model.safetensors", &bytes[..bytes.len() / 2]);
    assert!(forward(truncated.path()).starts_with("error: model:"));

    let bad_config = ScratchDir::with_fixture("bad-config");
    bad_config.write("config.json", "{\"n_embd\": 24");
    assert!(forward(bad_config.path()).contains("config.json"));

    let wrong_shape = ScratchDir::with_fixture("wrong-shape");
    let config = std::fs::read_to_string(fixture_dir().join("config.json")).unwrap();
    wrong_shape.write("config.json", config.replace("\"n_embd\": 24", "\"n_embd\": 30"));
    assert!(forward(wrong_shape.path()).starts_with("error: model:"));

    let bad_tokenizer = ScratchDir::with_fixture("bad-tokenizer");
    bad_tokenizer.write("tokenizer.json", "not json");
    assert!(forward(bad_tokenizer.path()).contains("tokenizer"));
}

/// A word-level tokenizer over the fixture's first ids: enough to test text in and out.
fn word_tokenizer(words: &[&str]) -> String {
    let vocab: serde_json::Map<String, Value> = words.iter().enumerate().map(|(i, w)| (w.to_string(), i.into())).collect();
    serde_json::json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [],
        "normalizer": null,
        "pre_tokenizer": { "type": "WhitespaceSplit" },
        "post_processor": null,
        "decoder": null,
        "model": { "type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]" }
    })
    .to_string()
}

#[test]
fn text_goes_through_the_model_directorys_tokenizer() {
    let dir = ScratchDir::with_fixture("with-tokenizer");
    dir.write("tokenizer.json", word_tokenizer(&["[UNK]", "the", "cat", "sat", "on", "mat", "小明", "喜欢", "苹果"]));

    let tokens = ok(&["tokenize", "--model", dir.path(), "--text", "小明 喜欢 苹果"]);
    assert_eq!(tokens["ids"], serde_json::json!([6, 7, 8]));
    assert_eq!(tokens["pieces"], serde_json::json!(["小明", "喜欢", "苹果"]));
    assert_eq!(tokens["offsets"], serde_json::json!([[0, 2], [3, 5], [6, 8]]));

    let forward = ok(&["forward", "--model", dir.path(), "--text", "the cat sat", "--backend", "scalar"]);
    assert_eq!(forward["ids"], serde_json::json!([1, 2, 3]));
    let by_ids = ok(&["forward", "--model", dir.path(), "--ids", "1,2,3", "--backend", "scalar"]);
    assert_eq!(forward["logits"], by_ids["logits"]);

    let generated = ok(&["generate", "--model", dir.path(), "--text", "the cat", "--max-tokens", "3", "--backend", "scalar"]);
    assert!(generated["text"].is_string());

    let trace = ok(&["trace", "--model", dir.path(), "--text", "the cat", "--backend", "scalar"]);
    assert_eq!(trace["tokens"]["pieces"], serde_json::json!(["the", "cat"]));
    // The page's view of the same tokens, as the library's views build it.
    assert_eq!(trace["shown"]["display"], serde_json::json!(["the", "cat"]));
    assert_eq!(trace["shown"]["allowed"], serde_json::json!([1, 0, 1, 1]));
    // The model has 67 ids, the tokenizer 9: a candidate beyond them has no text.
    for candidate in trace["next_token"]["top"].as_array().unwrap() {
        assert_eq!(candidate["text"].is_string(), candidate["id"].as_u64().unwrap() < 9, "{candidate}");
    }
}

#[test]
fn a_tokenizer_bigger_than_the_model_is_refused() {
    let dir = ScratchDir::with_fixture("big-tokenizer");
    let words: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
    dir.write("tokenizer.json", word_tokenizer(&words.iter().map(String::as_str).collect::<Vec<_>>()));
    let error = fails(&["forward", "--model", dir.path(), "--text", "w1 w2", "--backend", "scalar"]);
    assert!(error.contains("100") && error.contains("67"), "{error}");
}

#[test]
fn the_default_model_is_looked_for_above_the_current_directory() {
    let root = ScratchDir::new("default-model");
    let model = Path::new(root.path()).join("www/models/default");
    std::fs::create_dir_all(&model).unwrap();
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(fixture_dir().join(file), model.join(file)).unwrap();
    }
    let inner = Path::new(root.path()).join("some/where");
    std::fs::create_dir_all(&inner).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_attention-playground"))
        .args(["forward", "--ids", "1", "--backend", "scalar"])
        .current_dir(&inner)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A tiny bilingual corpus in the shape of the default model's data.
fn tiny_corpus() -> String {
    let subjects = [("他", "He"), ("我", "I"), ("老师", "The teacher"), ("小明", "Xiao Ming")];
    let verbs = [("喜欢", "likes"), ("想", "wants"), ("看", "reads")];
    let objects = [("苹果", "apples"), ("书", "books"), ("户外 运动", "outdoor sports")];
    let mut lines = Vec::new();
    for (zs, es) in subjects {
        for (zv, ev) in verbs {
            for (zo, eo) in objects {
                lines.push(format!("{zs} {zv} {zo} | {es} {ev} {eo}."));
            }
        }
    }
    lines.join("\n").repeat(2) + "\n"
}

#[test]
fn train_writes_a_model_folder_the_engine_loads_with_its_card_and_figure() {
    let dir = ScratchDir::new("train");
    dir.write("pairs.txt", tiny_corpus());
    let out_dir = Path::new(dir.path()).join("model");
    let out_arg = out_dir.to_str().unwrap();
    let corpus = format!("{}/pairs.txt:2", dir.path());
    let train = [
        "train", "--corpus", &corpus, "--out", out_arg, "--vocab-size", "400", "--n-embd", "16", "--n-layer", "1",
        "--n-head", "2", "--n-positions", "16", "--batch-size", "4", "--steps", "30", "--eval-every", "15",
        "--dropout", "0.1", "--threads", "1",
    ];
    let run = cli(&train);
    assert!(run.status.success(), "train failed: {}", String::from_utf8_lossy(&run.stderr));
    for file in ["config.json", "model.safetensors", "tokenizer.json", "training-log.json", "README.md", "attention-alignment.svg"] {
        assert!(out_dir.join(file).is_file(), "train did not write {file}");
    }

    let log: Value = serde_json::from_slice(&std::fs::read(out_dir.join("training-log.json")).unwrap()).unwrap();
    let evaluations = log["evaluations"].as_array().unwrap();
    assert_eq!(evaluations.iter().map(|e| e["step"].as_u64().unwrap()).collect::<Vec<_>>(), [15, 30]);
    assert_eq!(log["train"]["dropout"].as_f64().unwrap() as f32, 0.1);
    let val = |e: &Value| e["val_loss"][0].as_f64().unwrap();
    assert!(val(&evaluations[1]) < val(&evaluations[0]), "validation loss did not fall: {evaluations:?}");

    // The engine loads the folder and the tokenizer splits text into the model's ids.
    let forward = ok(&["forward", "--model", out_arg, "--text", "他 喜欢 苹果 | He likes apples.", "--backend", "scalar"]);
    assert!(!forward["ids"].as_array().unwrap().is_empty());

    // The card reports the run; the figure is one cell per (query, key ≤ query) pair.
    let card = std::fs::read_to_string(out_dir.join("README.md")).unwrap();
    for section in ["## Data and licences", "### Loss", "## What it writes", "## Attention", "attention-alignment.svg", "dropout 0.1"] {
        assert!(card.contains(section), "the card lacks {section:?}");
    }
    // Layers and heads count from 1, as on the page: this model's 1 layer of 2 heads.
    let head_rows: Vec<&str> = card
        .lines()
        .skip_while(|l| !l.starts_with("| layer | head | own token"))
        .skip(2)
        .take_while(|l| l.starts_with("| "))
        .map(|l| &l[..9])
        .collect();
    assert_eq!(head_rows, ["| 1 | 1 |", "| 1 | 2 |"], "the alignment table's layer and head columns");
    assert!(card.contains("Best: **layer 1, head "), "the best head, counted from 1");
    let svg = std::fs::read_to_string(out_dir.join("attention-alignment.svg")).unwrap();
    let tokens = ok(&["tokenize", "--model", out_arg, "--text", "他 喜欢 户外 运动 | He likes outdoor sports."]);
    let n = tokens["ids"].as_array().unwrap().len().min(16); // the figure stops at the context
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<rect x=").count(), n * (n + 1) / 2, "cells of the causal {n} × {n} figure");

    // Same command and seed, on 2 threads instead of 1: the same tokenizer, loss curve and
    // weights, bit for bit.
    let again_dir = Path::new(dir.path()).join("again");
    let mut again: Vec<&str> = train.iter().map(|&a| if a == out_arg { again_dir.to_str().unwrap() } else { a }).collect();
    *again.last_mut().unwrap() = "2";
    assert!(cli(&again).status.success());
    for file in ["tokenizer.json", "model.safetensors"] {
        assert!(std::fs::read(out_dir.join(file)).unwrap() == std::fs::read(again_dir.join(file)).unwrap(), "{file} differs");
    }
    let again_log: Value = serde_json::from_slice(&std::fs::read(again_dir.join("training-log.json")).unwrap()).unwrap();
    for (a, b) in evaluations.iter().zip(again_log["evaluations"].as_array().unwrap()) {
        assert_eq!((&a["train_loss"], &a["val_loss"], &a["samples"]), (&b["train_loss"], &b["val_loss"], &b["samples"]));
    }

    // --card-only rewrites the same card from the files alone.
    std::fs::remove_file(out_dir.join("README.md")).unwrap();
    let rewrite = cli(&["train", "--card-only", "--out", out_arg]);
    assert!(rewrite.status.success(), "{}", String::from_utf8_lossy(&rewrite.stderr));
    assert_eq!(std::fs::read_to_string(out_dir.join("README.md")).unwrap(), card);

    // --card-notes puts each section of the notes where the card has room for it.
    let notes = format!("{}/notes.md", dir.path());
    std::fs::write(&notes, "A comment.\n<!-- section: title -->\n# Tiny pairs\n\n<!-- section: data -->\n- **pairs.txt**, made up.\n").unwrap();
    let with_notes = cli(&["train", "--card-only", "--out", out_arg, "--card-notes", &notes]);
    assert!(with_notes.status.success(), "{}", String::from_utf8_lossy(&with_notes.stderr));
    let noted = std::fs::read_to_string(out_dir.join("README.md")).unwrap();
    assert!(noted.starts_with("# Tiny pairs\n\n"), "{noted}");
    assert!(noted.contains("## Data and licences\n\n- **pairs.txt**, made up.\n\n| source |"), "{noted}");
    assert!(!noted.contains("A comment."));
    std::fs::write(&notes, "<!-- section: licence -->\nCC0\n").unwrap();
    let error = fails(&["train", "--card-only", "--out", out_arg, "--card-notes", &notes]);
    assert!(error.contains("unknown section \"licence\""), "{error}");
}

/// The encoder end to end: trained on the GPT's tokenizer with BERT's objective, its config
/// says so, `fill` lists candidates per `[MASK]`, `trace` runs it bidirectionally, and the
/// commands that make no sense for it (or for a GPT) say why.
#[test]
fn an_encoder_trains_fills_in_mask_and_is_traced_bidirectionally() {
    let dir = ScratchDir::new("encoder");
    dir.write("pairs.txt", tiny_corpus());
    let corpus = format!("{}/pairs.txt", dir.path());
    let gpt_dir = Path::new(dir.path()).join("gpt");
    let gpt = gpt_dir.to_str().unwrap();
    let common = [
        "--corpus", &corpus, "--n-embd", "16", "--n-layer", "1", "--n-head", "2", "--n-positions", "16", "--batch-size", "4",
        "--steps", "20", "--eval-every", "10", "--threads", "1",
    ];
    let gpt_train: Vec<&str> = ["train", "--out", gpt, "--vocab-size", "400"].iter().chain(&common).copied().collect();
    assert!(cli(&gpt_train).status.success());
    let encoder_dir = Path::new(dir.path()).join("encoder");
    let encoder = encoder_dir.to_str().unwrap();
    let tokenizer = format!("{gpt}/tokenizer.json");
    let encoder_train: Vec<&str> =
        ["train", "--objective", "masked-tokens", "--tokenizer", &tokenizer, "--out", encoder].iter().chain(&common).copied().collect();
    let run = cli(&encoder_train);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(std::fs::read(&tokenizer).unwrap(), std::fs::read(encoder_dir.join("tokenizer.json")).unwrap(), "one tokenizer");
    let config: Value = serde_json::from_slice(&std::fs::read(encoder_dir.join("config.json")).unwrap()).unwrap();
    assert_eq!((config["attention_mask"].as_str(), config["mask_token"].as_str()), (Some("bidirectional"), Some("[MASK]")));
    let log: Value = serde_json::from_slice(&std::fs::read(encoder_dir.join("training-log.json")).unwrap()).unwrap();
    assert!(log["train"]["objective"]["masked_tokens"]["mask_id"].is_u64(), "{}", log["train"]);
    let card = std::fs::read_to_string(encoder_dir.join("README.md")).unwrap();
    for section in ["BERT-style", "bidirectional", "## What it fills in", "## Masked-token accuracy", "unigram", "## The study's example"] {
        assert!(card.contains(section), "the encoder's card lacks {section:?}");
    }

    // fill: one entry per [MASK], at its token position, candidates best first.
    let text = "他 [MASK] 苹果 | He likes [MASK].";
    let tokens = ok(&["tokenize", "--model", encoder, "--text", text]);
    let ids: Vec<u64> = tokens["ids"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
    let mask_id = log["train"]["objective"]["masked_tokens"]["mask_id"].as_u64().unwrap();
    let positions: Vec<u64> = (0..ids.len() as u64).filter(|&p| ids[p as usize] == mask_id).collect();
    assert_eq!(positions.len(), 2);
    let fill = ok(&["fill", "--model", encoder, "--text", text, "--top", "4", "--backend", "scalar"]);
    let masks = fill["masks"].as_array().unwrap();
    assert_eq!(masks.iter().map(|m| m["position"].as_u64().unwrap()).collect::<Vec<_>>(), positions);
    for m in masks {
        let candidates = m["candidates"].as_array().unwrap();
        assert_eq!(candidates.len(), 4);
        let p: Vec<f64> = candidates.iter().map(|c| c["probability"].as_f64().unwrap()).collect();
        assert!(p.windows(2).all(|w| w[0] >= w[1]) && p.iter().sum::<f64>() <= 1.0 + 1e-6, "{p:?}");
        assert!(candidates.iter().all(|c| c["id"].is_u64() && c["text"].is_string()));
    }
    // The same numbers on the SIMD backend.
    let simd = ok(&["fill", "--model", encoder, "--text", text, "--top", "4", "--backend", "simd"]);
    assert_eq!(simd["masks"][0]["candidates"][0]["id"], masks[0]["candidates"][0]["id"]);

    // trace and forward run the encoder with its own mask: nothing is masked out.
    let trace = ok(&["trace", "--model", encoder, "--text", "小明 喜欢 苹果", "--backend", "scalar"]);
    let masked = trace["trace"]["layers"][0]["attention"]["masked"].to_string();
    assert!(!masked.contains("null"), "a bidirectional trace has no -inf: {masked}");
    let gpt_trace = ok(&["trace", "--model", gpt, "--text", "小明 喜欢 苹果", "--backend", "scalar"]);
    assert!(gpt_trace["trace"]["layers"][0]["attention"]["masked"].to_string().contains("null"), "the GPT stays causal");
    assert!(ok(&["forward", "--model", encoder, "--text", "小明 喜欢 苹果"])["logits"].is_array());

    // Clear errors.
    assert!(fails(&["fill", "--model", encoder, "--text", "小明 喜欢 苹果"]).contains("[MASK]"));
    assert!(fails(&["fill", "--model", gpt, "--text", "小明 [MASK] 苹果"]).contains("GPT"));
    assert!(fails(&["generate", "--model", encoder, "--text", "小明"]).contains("encoder"));
    let no_mask_prompt: Vec<&str> = encoder_train.iter().copied().chain(["--prompt", "小明 喜欢"]).collect();
    assert!(fails(&no_mask_prompt).contains("[MASK]"));
}

/// The recurrent net end to end: `train --arch gru` on a GPT's tokenizer writes a folder that
/// points at that tokenizer (no copy) and a card beside the GPT's figures, and `influence` sets
/// the two models side by side; what makes no sense says why.
#[test]
fn a_gru_trains_on_the_gpts_tokenizer_and_influence_compares_the_two() {
    let dir = ScratchDir::new("gru");
    dir.write("pairs.txt", tiny_corpus());
    let corpus = format!("{}/pairs.txt", dir.path());
    let (gpt_dir, rnn_dir) = (Path::new(dir.path()).join("gpt"), Path::new(dir.path()).join("rnn"));
    let (gpt, rnn) = (gpt_dir.to_str().unwrap(), rnn_dir.to_str().unwrap());
    let common = ["--corpus", &corpus, "--n-embd", "16", "--n-positions", "16", "--batch-size", "4", "--steps", "20", "--eval-every", "10", "--threads", "1"];
    let gpt_train: Vec<&str> = ["train", "--out", gpt, "--vocab-size", "400", "--n-layer", "1", "--n-head", "2"].iter().chain(&common).copied().collect();
    assert!(cli(&gpt_train).status.success());
    let tokenizer = format!("{gpt}/tokenizer.json");
    let gru_train: Vec<&str> = ["train", "--arch", "gru", "--n-hidden", "24", "--tokenizer", &tokenizer, "--out", rnn].iter().chain(&common).copied().collect();
    let run = cli(&gru_train);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for file in ["config.json", "model.safetensors", "training-log.json", "README.md"] {
        assert!(rnn_dir.join(file).is_file(), "train --arch gru did not write {file}");
    }
    assert!(!rnn_dir.join("tokenizer.json").exists(), "the GPT's tokenizer is pointed at, not copied");
    let config: Value = serde_json::from_slice(&std::fs::read(rnn_dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["architecture"], "gru");
    assert_eq!(config["tokenizer"], "../gpt/tokenizer.json");
    assert_eq!(config["n_hidden"], 24);
    let card = std::fs::read_to_string(rnn_dir.join("README.md")).unwrap();
    assert!(card.contains("| source | unigram | GRU | GPT |"), "{card}");

    let view = ok(&["influence", "--gpt", gpt, "--rnn", rnn, "--text", "他 喜欢 苹果", "--backend", "scalar"]);
    for model in ["gpt", "rnn"] {
        let tokens = view[model]["tokens"].as_array().unwrap();
        assert!(!tokens.is_empty());
        assert_eq!(tokens.last().unwrap()["distance"], 0);
        for t in tokens {
            let influence = t["influence"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&influence), "{model}: {t}");
            if t["id"] == view[model]["neutral_id"] {
                assert_eq!(influence, 0.0, "{model}: the neutral token replaced by itself");
            }
        }
        assert_eq!(view[model]["top"].as_array().unwrap().len(), 5);
    }
    assert_eq!(view["gpt"]["tokens"].as_array().unwrap().len(), view["rnn"]["tokens"].as_array().unwrap().len(), "the same tokens");

    let no_tokenizer: Vec<&str> = gru_train.iter().copied().filter(|&a| a != "--tokenizer" && a != tokenizer).collect();
    assert!(fails(&no_tokenizer).contains("--tokenizer"));
    let missing = fails(&["influence", "--gpt", gpt, "--rnn", dir.path(), "--text", "他"]);
    assert!(missing.contains("no config.json of a recurrent net"), "{missing}");
    // A GPT whose tokenizer is another file than the one the GRU reads.
    let other_gpt = ScratchDir::new("gru-other-gpt");
    for file in ["config.json", "model.safetensors", "training-log.json", "README.md"] {
        std::fs::copy(gpt_dir.join(file), Path::new(other_gpt.path()).join(file)).unwrap();
    }
    let mut json: Value = serde_json::from_slice(&std::fs::read(gpt_dir.join("tokenizer.json")).unwrap()).unwrap();
    json["normalizer"] = Value::Null;
    other_gpt.write("tokenizer.json", serde_json::to_vec(&json).unwrap());
    let mismatch = fails(&["influence", "--gpt", other_gpt.path(), "--rnn", rnn, "--text", "他"]);
    assert!(mismatch.contains("another tokenizer"), "{mismatch}");
    assert!(fails(&["influence", "--gpt", gpt, "--rnn", rnn, "--text", ""]).contains("type a sentence"));
}
