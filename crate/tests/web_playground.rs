//! The wasm API (`Playground`) as the page's worker calls it, in a real browser: a tiny random
//! model with a byte-level tokenizer (one token per byte, so token counts are known). The engine
//! picks whatever backend the browser offers; the last test forces the CPU ones.
#![cfg(target_arch = "wasm32")]

use attention_playground::views::MAX_TEXT_CHARS;
use attention_playground::wasm::Playground;
use attention_playground::weights::{random_weights, save_safetensors, SaveDtype};
use attention_playground::GptConfig;
use serde_json::{json, Value};
use wasm_bindgen::{JsError, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const C: usize = 16;
const NH: usize = 2;
const L: usize = 2;
const P: usize = 16;
const V: usize = 256;

fn config_json() -> String {
    json!({"n_embd": C, "n_head": NH, "n_layer": L, "n_positions": P, "vocab_size": V}).to_string()
}

fn weights() -> Vec<u8> {
    let config = GptConfig::from_json(&config_json()).unwrap();
    save_safetensors(&random_weights(&config, 7), SaveDtype::F32).unwrap()
}

/// GPT-2's byte alphabet: printable bytes are themselves, the others move to chars 256...
fn byte_char(b: u8) -> char {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    if printable(b) {
        return char::from(b);
    }
    let moved = (0..b).filter(|&x| !printable(x)).count() as u32;
    char::from_u32(256 + moved).unwrap()
}

/// A byte-level BPE with no merges: every byte is one token, its id the byte's value.
fn tokenizer_json() -> String {
    let vocab: serde_json::Map<String, Value> = (0..=255u8).map(|b| (byte_char(b).to_string(), json!(b))).collect();
    let byte_level = json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true});
    json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
        "pre_tokenizer": byte_level, "post_processor": null, "decoder": byte_level,
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                  "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                  "ignore_merges": false, "vocab": vocab, "merges": []}
    })
    .to_string()
}

async fn playground() -> Playground {
    Playground::load(config_json(), weights(), tokenizer_json(), None).await.map_err(JsValue::from).unwrap()
}

fn value(js: Result<JsValue, JsError>) -> Value {
    serde_wasm_bindgen::from_value(js.map_err(JsValue::from).unwrap()).unwrap()
}

/// Numbers of a JSON array; -∞ arrives as null.
fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap_or(f64::NEG_INFINITY)).collect()
}

#[wasm_bindgen_test]
async fn runs_text_and_reports_tokens() {
    let pg = playground().await;
    let run = value(pg.run("ab 小".into(), "causal".into()).await);
    // One token per byte: a, b, space, and the three bytes of 小 (each only part of it).
    assert_eq!(run["ids"], json!([97, 98, 32, 0xE5, 0xB0, 0x8F]));
    assert_eq!(run["display"], json!(["a", "b", " ", "小¹", "小²", "小³"]));
    assert_eq!(run["partial"], json!([false, false, false, true, true, true]));
    assert_eq!(run["truncated"], json!(false));
    assert_eq!(run["allowed"].as_array().unwrap().len(), 36);
    assert_eq!(run["allowed"][1], json!(0), "query 0 may not see key 1");
    assert_eq!(run["allowed"][6], json!(1), "query 1 sees key 0");
    assert_eq!(value(pg.tokenize("ab 小")), json!({
        "ids": run["ids"], "display": run["display"], "partial": run["partial"], "total": 6,
        "truncated": false, "dropped": "", "context": P, "allowed": []
    }));
    assert_eq!(pg.forwards(), 1);
    let model = value(pg.model());
    assert_eq!(model["head_size"], json!(C / NH));
}

#[wasm_bindgen_test]
async fn head_steps_come_from_the_trace() {
    let pg = playground().await;
    value(pg.run("hello".into(), "causal".into()).await);
    let steps = value(pg.head_steps(1, 1, 2));
    let hs = C / NH;
    assert_eq!(floats(&steps["q"]).len(), hs);
    assert_eq!(floats(&steps["k"]).len(), 5 * hs);
    assert_eq!(floats(&steps["out"]).len(), hs);
    let masked = floats(&steps["masked"]);
    let weights = floats(&steps["weights"]);
    for j in 0..5 {
        assert_eq!(masked[j] == f64::NEG_INFINITY, j > 2, "key {j}");
        assert_eq!(weights[j] == 0.0, j > 2, "key {j}");
    }
    assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-5);
    let (scores, scaled) = (floats(&steps["scores"]), floats(&steps["scaled"]));
    let sqrt_hs = (hs as f64).sqrt();
    for j in 0..=2 {
        assert!((scaled[j] - scores[j] / sqrt_hs).abs() < 1e-4 * (1.0 + scores[j].abs()));
    }
    assert!(pg.head_steps(L, 0, 0).is_err());
    assert!(pg.head_steps(0, NH, 0).is_err());
    assert!(pg.head_steps(0, 0, 5).is_err());

    let all = pg.attention_weights().map_err(JsValue::from).unwrap().to_vec();
    assert_eq!(all.len(), L * NH * 5 * 5);
    // The (layer 1, head 1, query 2) row of the big array is the head's weights above.
    let row = ((NH + 1) * 5 + 2) * 5;
    for j in 0..5 {
        assert_eq!(f64::from(all[row + j]), weights[j]);
    }
    let stack = value(pg.residual_stream(4));
    assert_eq!(stack["stages"].as_array().unwrap().len(), 2 + 2 * L);
    assert_eq!(floats(&stack["stages"][0]["values"]).len(), C);
    assert!(pg.residual_stream(5).is_err());
}

#[wasm_bindgen_test]
async fn probabilities_reuse_the_cached_logits() {
    let pg = playground().await;
    value(pg.run("the cat".into(), "causal".into()).await);
    let warm = value(pg.probabilities(1.0, 0, 1.0, 10));
    let cold = value(pg.probabilities(0.5, 0, 1.0, 10));
    assert_eq!(pg.forwards(), 1, "re-sampling must not run the model");
    let top = |v: &Value| v["rows"][0]["probability"].as_f64().unwrap();
    assert!(top(&cold) > top(&warm));
    let total = warm["shown"].as_f64().unwrap() + warm["others"].as_f64().unwrap();
    assert!((total - 1.0).abs() < 1e-4);
    let cut = value(pg.probabilities(1.0, 3, 1.0, 10));
    let kept: Vec<bool> = cut["rows"].as_array().unwrap().iter().map(|r| r["kept"].as_bool().unwrap()).collect();
    assert_eq!(kept, [true, true, true, false, false, false, false, false, false, false]);
    assert!(pg.probabilities(0.0, 0, 1.0, 10).is_err());
}

#[wasm_bindgen_test]
async fn sampling_is_seeded_and_appends_to_the_text() {
    let pg = playground().await;
    value(pg.run("ab".into(), "causal".into()).await);
    let a = value(pg.sample(1.0, 0, 1.0, 7).await);
    let b = value(pg.sample(1.0, 0, 1.0, 7).await);
    assert_eq!(a, b);
    assert!(a["text"].as_str().unwrap().starts_with("ab"));
    assert!(!a["ids"].as_array().unwrap().is_empty());
    // Each drawn token comes with the probability it was drawn with.
    let probabilities = a["probabilities"].as_array().unwrap();
    assert_eq!(probabilities.len(), a["ids"].as_array().unwrap().len());
    assert!(probabilities.iter().all(|p| p.as_f64().is_some_and(|p| p > 0.0 && p <= 1.0)), "{probabilities:?}");
}

#[wasm_bindgen_test]
async fn bad_input_is_an_error_not_a_panic() {
    let pg = playground().await;
    assert!(pg.head_steps(0, 0, 0).is_err(), "nothing has run yet");
    assert!(pg.run("x".into(), "sideways".into()).await.is_err());
    let empty = value(pg.run(String::new(), "causal".into()).await);
    assert_eq!(empty["ids"], json!([]));
    assert!(pg.probabilities(1.0, 0, 1.0, 10).is_err());
    // Longer than the context: the first P tokens run, the rest is reported as dropped.
    let long = value(pg.run("x".repeat(3 * P), "bidirectional".into()).await);
    assert_eq!(long["ids"].as_array().unwrap().len(), P);
    assert_eq!(long["truncated"], json!(true));
    assert_eq!(long["dropped"].as_str().unwrap().len(), 2 * P);
    assert!(long["allowed"].as_array().unwrap().iter().all(|a| a == 1));
    // Far longer than anything could fit is cut before tokenizing.
    let huge = value(pg.tokenize(&"字".repeat(MAX_TEXT_CHARS + 5)));
    assert_eq!(huge["truncated"], json!(true));
    assert!(Playground::load("{}".into(), vec![], tokenizer_json(), None).await.is_err());
    assert!(Playground::load(config_json(), vec![1, 2, 3], tokenizer_json(), None).await.is_err());
    assert!(Playground::load(config_json(), weights(), "not json".into(), None).await.is_err());
    assert!(pg.set_backend(Some("quantum".into())).await.is_err());
}

#[wasm_bindgen_test]
async fn backends_can_be_forced_and_agree() {
    let pg = playground().await;
    let mut rows = Vec::new();
    for kind in ["scalar", "simd"] {
        let status = value(pg.set_backend(Some(kind.into())).await);
        assert_eq!(status["kind"], kind);
        value(pg.run("hello".into(), "causal".into()).await);
        rows.push(floats(&value(pg.head_steps(0, 0, 4))["weights"]));
    }
    for (a, b) in rows[0].iter().zip(&rows[1]) {
        assert!((a - b).abs() < 1e-5);
    }
}

/// Every export called with what a confused caller could send, each an error (a panic would
/// trap and leave this module instance unusable), and then good calls on the same instance.
#[wasm_bindgen_test]
async fn bad_calls_leave_the_same_instance_working() {
    let pg = playground().await;
    let no_run_yet = [pg.head_steps(0, 0, 0).err(), pg.residual_stream(0).err(), pg.attention_weights().err()];
    assert!(no_run_yet.iter().all(Option::is_some), "reads before any run must fail");
    assert!(pg.probabilities(1.0, 0, 1.0, 10).is_err());
    assert!(pg.sample(1.0, 0, 1.0, 1).await.is_err());

    value(pg.run("hello".into(), "causal".into()).await);
    for mask in ["", "Causal", "causal ", "<script>", "\0"] {
        assert!(pg.run("x".into(), mask.into()).await.is_err(), "mask {mask:?}");
    }
    for (layer, head, focus) in [(L, 0, 0), (0, NH, 0), (0, 0, 5), (usize::MAX, usize::MAX, usize::MAX)] {
        assert!(pg.head_steps(layer, head, focus).is_err(), "{layer} {head} {focus}");
    }
    assert!(pg.residual_stream(5).is_err());
    assert!(pg.residual_stream(usize::MAX).is_err());
    assert!(pg.fill(5).is_err(), "a GPT has no blanks to fill");
    for (temperature, top_p) in [(0.0, 1.0), (-1.0, 1.0), (f32::NAN, 1.0), (f32::INFINITY, 1.0), (1.0, -1.0), (1.0, 0.0)] {
        assert!(pg.probabilities(temperature, 0, top_p, 10).is_err(), "t {temperature}, p {top_p}");
        assert!(pg.sample(temperature, 0, top_p, 1).await.is_err(), "t {temperature}, p {top_p}");
    }
    // Asking for more rows than there are tokens is not an error: there are only V.
    assert_eq!(value(pg.probabilities(1.0, u32::MAX, 1.0, usize::MAX))["rows"].as_array().unwrap().len(), V);
    for backend in ["quantum", "GPU", "<img>", "\u{0}"] {
        assert!(pg.set_backend(Some(backend.into())).await.is_err(), "backend {backend:?}");
    }
    for bytes in [vec![], vec![0xFF; 8], u64::MAX.to_le_bytes().to_vec(), weights()[..100].to_vec()] {
        assert!(Playground::load(config_json(), bytes, tokenizer_json(), None).await.is_err());
    }
    assert!(Playground::load("[]".into(), weights(), tokenizer_json(), None).await.is_err());
    assert!(Playground::load(config_json(), weights(), "{}".into(), None).await.is_err());

    // The same instance, still good for everything.
    let run = value(pg.run("hello there".into(), "bidirectional".into()).await);
    assert_eq!(run["ids"].as_array().unwrap().len(), 11);
    assert_eq!(floats(&value(pg.head_steps(L - 1, NH - 1, 10))["weights"]).len(), 11);
    assert_eq!(value(pg.residual_stream(10))["token"], json!(10));
    let next = value(pg.probabilities(0.7, 5, 0.9, 10));
    assert!((next["shown"].as_f64().unwrap() + next["others"].as_f64().unwrap() - 1.0).abs() < 1e-4);
    assert!(value(pg.sample(0.7, 5, 0.9, 3).await)["text"].as_str().unwrap().starts_with("hello there"));
    assert_eq!(pg.attention_weights().map_err(JsValue::from).unwrap().length() as usize, L * NH * 11 * 11);
}

/// Lesson chapters 4 and 5: the layers view and the probabilities after any position, from the
/// cached pass (no forward pass of their own).
#[wasm_bindgen_test]
async fn lesson_views_read_the_cached_pass() {
    let pg = playground().await;
    assert!(pg.layers(0, 5).is_err(), "nothing has run yet");
    value(pg.run("hello".into(), "causal".into()).await);
    let layers = value(pg.layers(4, 3));
    assert_eq!(layers["focus"], json!(4));
    assert_eq!(layers["layers"].as_array().unwrap().len(), L);
    let lens = layers["lens"].as_array().unwrap();
    assert_eq!(lens.len(), L + 1);
    // After the last block the lens is the model's own prediction: probabilities' top tokens.
    let next = value(pg.probabilities(1.0, 0, 1.0, 3));
    let ids = |rows: &Value| rows.as_array().unwrap().iter().map(|r| r["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&lens[L]["top"]), ids(&next["rows"]));
    assert_eq!(lens[L]["answer_rank"], json!(1));
    // After the last position it is `probabilities`; after the first, the second token's odds.
    let at_last = value(pg.probabilities_at(4, 1.0, 0, 1.0, 3));
    assert_eq!(ids(&at_last["rows"]), ids(&next["rows"]));
    assert_eq!(value(pg.probabilities_at(0, 1.0, 0, 1.0, 3))["position"], json!(0));
    assert!(pg.layers(5, 3).is_err() && pg.probabilities_at(5, 1.0, 0, 1.0, 3).is_err());
    assert!(pg.probabilities_at(0, 0.0, 0, 1.0, 3).is_err());
    assert!(pg.layers(usize::MAX, 3).is_err() && pg.probabilities_at(usize::MAX, 1.0, 0, 1.0, 3).is_err());
    // More candidates than tokens is not an error: there are only V.
    assert_eq!(value(pg.layers(0, usize::MAX))["lens"][0]["top"].as_array().unwrap().len(), V);
    assert_eq!(pg.forwards(), 1, "the lesson views ran no forward pass");
}
