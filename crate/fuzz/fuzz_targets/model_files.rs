//! A model folder from a stranger: config.json, tokenizer.json and model.safetensors, each
//! any bytes at all. Loading must either give a model that runs or an error, never a panic, an
//! abort or an allocation the file did not pay for.
//!
//! Input layout (so the fuzzer can mutate each file and their disagreements):
//! `[config length: u32 LE][config.json][tokenizer length: u32 LE][tokenizer.json][model.safetensors]`.
//! An empty config section means "the tiny test model's config", so mutations of the
//! safetensors bytes alone are tried against a valid config too.

#![no_main]

use attention_playground::attention::Mask;
use attention_playground::backend::BackendKind;
use attention_playground::engine::Engine;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::weights::load_safetensors;
use attention_playground::GptConfig;
use libfuzzer_sys::fuzz_target;

/// The next length-prefixed section, or everything left when the prefix does not fit.
fn section<'a>(data: &mut &'a [u8]) -> &'a [u8] {
    let Some((len, rest)) = data.split_first_chunk::<4>() else { return std::mem::take(data) };
    let len = (u32::from_le_bytes(*len) as usize).min(rest.len());
    let (head, tail) = rest.split_at(len);
    *data = tail;
    head
}

fn tiny_config() -> GptConfig {
    GptConfig { n_embd: 24, n_layer: 2, n_head: 3, n_positions: 16, vocab_size: 67, layer_norm_epsilon: 1e-5 }
}

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let config_bytes = section(&mut rest);
    let tokenizer_bytes = section(&mut rest);
    let safetensors = rest;

    let config = if config_bytes.is_empty() {
        tiny_config()
    } else {
        match std::str::from_utf8(config_bytes).map(GptConfig::from_json) {
            Ok(Ok(config)) => config,
            _ => return,
        }
    };
    if !tokenizer_bytes.is_empty() {
        if let Ok(tokenizer) = TextTokenizer::from_bytes(tokenizer_bytes) {
            let _ = tokenizer.check_vocab(&config);
        }
    }
    let Ok(weights) = load_safetensors(safetensors, &config) else { return };
    // What loaded must run: every weight is finite and shaped as the config says.
    let mut engine = pollster::block_on(Engine::new(config.clone(), weights, Some(BackendKind::Scalar)))
        .expect("weights that load build an engine");
    let ids: Vec<u32> = (0..config.n_positions.min(3) as u32).map(|i| i % config.vocab_size as u32).collect();
    let output = pollster::block_on(engine.forward(&ids, Mask::Causal, false)).expect("a loaded model runs");
    assert!(output.logits.data.iter().all(|x| !x.is_nan()), "NaN logits from finite weights");
});
