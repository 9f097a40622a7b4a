//! Any text a learner can type, through the shipped tokenizer and a small model: tokenizing
//! never fails, the pieces and offsets describe the text exactly, decoding gives the text back,
//! and the forward pass over the tokens that fit gives finite logits.

#![no_main]

use std::sync::{LazyLock, Mutex};

use attention_playground::attention::Mask;
use attention_playground::backend::BackendKind;
use attention_playground::engine::Engine;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::weights::random_weights;
use attention_playground::GptConfig;
use libfuzzer_sys::fuzz_target;

const TOKENIZER: &str = include_str!("../../../www/models/default/tokenizer.json");

/// The shipped tokenizer over a small random model of its vocabulary (the numbers do not
/// matter here, only that every id the tokenizer makes has a row).
static MODEL: LazyLock<(TextTokenizer, Mutex<Engine>)> = LazyLock::new(|| {
    let tokenizer = TextTokenizer::from_json(TOKENIZER).expect("the shipped tokenizer loads");
    let config = GptConfig {
        n_embd: 16,
        n_layer: 1,
        n_head: 2,
        n_positions: 64,
        vocab_size: tokenizer.vocab_size(),
        layer_norm_epsilon: 1e-5,
    };
    let weights = random_weights(&config, 1);
    let engine = pollster::block_on(Engine::new(config, weights, Some(BackendKind::Simd))).expect("engine");
    (tokenizer, Mutex::new(engine))
});

fuzz_target!(|data: &[u8]| {
    let (tokenizer, engine) = &*MODEL;
    let text = String::from_utf8_lossy(data);
    let encoded = tokenizer.encode(&text).expect("any text tokenizes");
    let n = encoded.ids.len();
    assert_eq!((encoded.pieces.len(), encoded.offsets.len()), (n, n));
    let chars = text.chars().count();
    // In order and covering each character; only tokens that cut one character share it.
    let mut previous = (0, 0);
    for &(start, end) in &encoded.offsets {
        assert!(start < end && end <= chars, "offsets {start}..{end} outside {chars} chars");
        assert!(start >= previous.0 && start + 1 >= previous.1, "offsets {start}..{end} after {previous:?}");
        previous = (start, end);
    }
    assert_eq!(tokenizer.decode(&encoded.ids).expect("decodes"), text, "decode(encode(text)) differs");

    let mut engine = engine.lock().unwrap();
    let fit = &encoded.ids[..n.min(engine.config().n_positions)];
    if fit.is_empty() {
        return;
    }
    for mask in [Mask::Causal, Mask::Bidirectional] {
        let output = pollster::block_on(engine.forward(fit, mask, true)).expect("forward");
        assert!(output.logits.data.iter().all(|x| x.is_finite()), "non-finite logits");
    }
});
