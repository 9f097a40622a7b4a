//! Every input the fuzzers (crate/fuzz, `scripts/fuzz.sh`) found to break something, kept in
//! `crate/tests/fuzz_inputs/<target>/` and replayed here with what it must do now.

use attention_playground::tokenizer::TextTokenizer;
use attention_playground::weights::load_safetensors;
use attention_playground::{Error, GptConfig};

fn input(target: &str, name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fuzz_inputs/{target}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `model_files` layout: length-prefixed config.json and tokenizer.json, then the weights.
fn model_files(data: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let mut rest = data;
    let mut section = || {
        let (len, tail) = rest.split_first_chunk::<4>().unwrap();
        let (head, tail) = tail.split_at(u32::from_le_bytes(*len) as usize);
        rest = tail;
        head
    };
    let (config, tokenizer) = (section(), section());
    (config, tokenizer, rest)
}

/// Found by `model_files` after 417 runs: every weight finite, but values up to 1.8e37, so the
/// forward pass overflowed and the logits were NaN. Now the loader refuses such a tensor.
#[test]
fn finite_but_absurd_weights_are_refused_by_name() {
    let data = input("model_files", "finite-weights-of-1e37");
    let (config, _, safetensors) = model_files(&data);
    let config = GptConfig::from_json(std::str::from_utf8(config).unwrap()).unwrap();
    match load_safetensors(safetensors, &config) {
        Err(Error::Model(message)) => {
            assert!(message.contains("tensor `transformer.") && message.contains("probably corrupt"), "{message}")
        }
        Err(other) => panic!("expected a model error, got {other}"),
        Ok(_) => panic!("weights of 1e37 loaded"),
    }
}

/// Found by `text_forward` on its seed `"[MASK] \t\n\0"`: the space token had the empty range
/// 7..7, because GPT-2's ByteLevel post-processor trims whitespace from offsets. Now every token's
/// range is the characters its bytes come from: never empty, in order, covering the text.
#[test]
fn whitespace_tokens_keep_their_characters() {
    let text = String::from_utf8(input("text_forward", "space-before-tab")).unwrap();
    let json = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../www/models/default/tokenizer.json")).unwrap();
    let tokenizer = TextTokenizer::from_bytes(&json).unwrap();
    let encoded = tokenizer.encode(&text).unwrap();
    let chars: Vec<char> = text.chars().collect();
    let mut next = 0;
    // A piece is its characters, or one byte (`<09>`) of a character the shipped tokenizer's
    // data never had (the tab, the NUL): byte pieces of one character share its range.
    for (piece, &(start, end)) in encoded.pieces.iter().zip(&encoded.offsets) {
        let span: String = chars[start..end].iter().collect();
        let byte_of_span = span.chars().count() == 1 && span.bytes().any(|b| *piece == format!("<{b:02X}>"));
        assert!(start == next || (byte_of_span && start + 1 == next), "{:?}", encoded.offsets);
        assert!(span == *piece || byte_of_span, "{piece:?} at {start}..{end}: {span:?}");
        next = end;
    }
    assert_eq!(next, chars.len());
}
