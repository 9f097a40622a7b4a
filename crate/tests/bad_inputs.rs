//! The rows of tests/BAD_INPUTS.md the engine answers natively, beyond checkpoint.rs: a config
//! that is not one, a tokenizer that is not JSON or not this model's, and odd text through the
//! shipped tokenizer and model. Each is a clear error or a normal result, never a panic.

mod common;

use attention_playground::attention::Mask;
use attention_playground::backend::BackendKind;
use attention_playground::engine::Engine;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::weights::load_safetensors;
use attention_playground::{Error, GptConfig};
use common::fixture_bytes;

fn shipped(file: &str) -> Vec<u8> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/models/default/");
    std::fs::read(format!("{path}{file}")).unwrap_or_else(|e| panic!("{path}{file}: {e}"))
}

fn config_error(json: &str) -> String {
    match GptConfig::from_json(json) {
        Err(Error::Model(message)) => message,
        Err(other) => panic!("expected a model error, got {other}"),
        Ok(config) => panic!("{json} was accepted as {config:?}"),
    }
}

#[test]
fn a_config_that_is_not_one_names_the_field() {
    let base = r#""n_embd": 8, "n_layer": 1, "n_head": 2, "n_positions": 8, "vocab_size": 10"#;
    assert!(config_error("not json").contains("not valid JSON"));
    assert!(config_error("[]").contains("JSON object"));
    assert!(config_error("{}").contains("n_embd is missing"));
    for (field, bad) in [("n_layer", "-1"), ("n_layer", "\"2\""), ("n_embd", "2.5"), ("n_head", "null")] {
        let json = format!("{{{}}}", base.replace(&format!("\"{field}\": "), &format!("\"{field}\": {bad}, \"was\": ")));
        let message = config_error(&json);
        assert!(message.contains(&format!("{field} must be a positive whole number, got {bad}")), "{message}");
    }
    assert!(config_error(&format!("{{{}}}", base.replace("10", "1e400"))).contains("not valid JSON"));
    assert!(config_error(&format!(r#"{{{base}, "layer_norm_epsilon": -1}}"#)).contains("layer_norm_epsilon"));
}

#[test]
fn a_config_promising_absurd_sizes_is_refused_before_anything_is_allocated() {
    let huge = [
        ("n_layer", r#"{"n_embd": 8, "n_layer": 1000000000000, "n_head": 2, "n_positions": 8, "vocab_size": 10}"#),
        ("n_embd", r#"{"n_embd": 18446744073709551614, "n_layer": 1, "n_head": 2, "n_positions": 8, "vocab_size": 10}"#),
        ("vocab_size", r#"{"n_embd": 8, "n_layer": 1, "n_head": 2, "n_positions": 8, "vocab_size": 18446744073709551615}"#),
        ("n_positions", r#"{"n_embd": 8, "n_layer": 1, "n_head": 2, "n_positions": 18446744073709551615, "vocab_size": 10}"#),
    ];
    for (field, json) in huge {
        let message = config_error(json);
        assert!(message.contains(field) && message.contains("at most"), "{message}");
    }
    // And through the loader, which validates a config built by hand too.
    let config = GptConfig { n_layer: usize::MAX, n_embd: 8, n_head: 2, n_positions: 8, vocab_size: 10, layer_norm_epsilon: 1e-5 };
    assert!(matches!(load_safetensors(&fixture_bytes("model.safetensors"), &config), Err(Error::Model(_))));
}

#[test]
fn a_tokenizer_that_is_not_json_or_not_this_models_is_an_error() {
    for bad in [&b"not json"[..], b"", b"{}", b"[1, 2]", b"\xFF\xFE{", br#"{"model": {"type": "BPE"}}"#] {
        assert!(matches!(TextTokenizer::from_bytes(bad), Err(Error::Tokenizer(_))), "{:?}", String::from_utf8_lossy(bad));
    }
    let tokenizer = TextTokenizer::from_bytes(&shipped("tokenizer.json")).unwrap();
    let config = GptConfig::from_json(std::str::from_utf8(&shipped("config.json")).unwrap()).unwrap();
    assert!(tokenizer.check_vocab(&config).is_ok());
    // The tiny golden model has 67 tokens; the shipped tokenizer makes thousands of ids.
    let tiny = GptConfig::from_json(std::str::from_utf8(&fixture_bytes("config.json")).unwrap()).unwrap();
    let size = tokenizer.vocab_size().to_string();
    match tokenizer.check_vocab(&tiny) {
        Err(Error::Model(message)) => assert!(message.contains(&size) && message.contains("67"), "{message}"),
        other => panic!("a tokenizer with more ids than the model was accepted: {other:?}"),
    }
}

/// The shipped model on the SIMD CPU path, as the page runs it without WebGPU.
fn shipped_model() -> (TextTokenizer, Engine) {
    let config = GptConfig::from_json(std::str::from_utf8(&shipped("config.json")).unwrap()).unwrap();
    let weights = load_safetensors(&shipped("model.safetensors"), &config).unwrap();
    let tokenizer = TextTokenizer::from_bytes(&shipped("tokenizer.json")).unwrap();
    let engine = pollster::block_on(Engine::new(config, weights, Some(BackendKind::Simd))).unwrap();
    (tokenizer, engine)
}

#[test]
fn odd_text_tokenizes_exactly_and_runs() {
    let (tokenizer, mut engine) = shipped_model();
    let texts = [
        " ",
        "     ",
        "👩‍👩‍👧‍👦 👨🏽‍💻 🏳️‍🌈",            // ZWJ sequences, a skin tone, a variation selector
        "e\u{301}\u{302} a\u{30A} 한\u{1100}", // combining marks, decomposed Hangul
        "שלום עולם مرحبا \u{202E}abc\u{202C}", // right-to-left, and an override character
        "nul\0 bell\u{7} esc\u{1B}[31m del\u{7F} \u{FEFF}\u{200B}", // control and invisible characters
        "\u{FFFD}\u{FFFD}",                  // what a lone surrogate from JavaScript becomes (see BAD_INPUTS.md)
        "a\r\nb\u{2028}c\u{85}",             // every kind of line break
    ];
    let context = engine.config().n_positions;
    for text in texts {
        let encoded = tokenizer.encode(text).unwrap();
        assert!(!encoded.ids.is_empty(), "{text:?}");
        assert_eq!(tokenizer.decode(&encoded.ids).unwrap(), text, "the tokens must spell the text");
        let fit = &encoded.ids[..encoded.ids.len().min(context)];
        let output = pollster::block_on(engine.forward(fit, Mask::Causal, true)).unwrap();
        assert!(output.logits.data.iter().all(|x| x.is_finite()), "{text:?}");
    }
    assert!(tokenizer.encode("").unwrap().ids.is_empty());
}

#[test]
fn mask_is_plain_text_for_this_gpt() {
    // GPT-2 has no [MASK] token (BERT has): the brackets and letters are ordinary text.
    let (tokenizer, _) = shipped_model();
    let encoded = tokenizer.encode("小明 [MASK] 苹果").unwrap();
    assert!(encoded.ids.len() > 3);
    assert!(encoded.pieces.iter().all(|p| p != "[MASK]"), "{:?}", encoded.pieces);
    assert!(encoded.pieces.concat().contains("[MASK]"));
}

#[test]
fn a_hundred_thousand_characters_tokenize() {
    let (tokenizer, mut engine) = shipped_model();
    let text = "小明 喜欢 苹果。The cat sat. ".repeat(5000);
    assert!(text.chars().count() >= 100_000);
    let started = std::time::Instant::now();
    let encoded = tokenizer.encode(&text).unwrap();
    println!("{} chars → {} tokens in {:.0?}", text.chars().count(), encoded.ids.len(), started.elapsed());
    let context = engine.config().n_positions;
    let output = pollster::block_on(engine.forward(&encoded.ids[..context], Mask::Causal, false)).unwrap();
    assert_eq!(output.logits.shape, [context, engine.config().vocab_size]);
}
