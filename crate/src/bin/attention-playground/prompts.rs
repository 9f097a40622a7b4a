//! Continuing a prompt to the end of its line with a model's weights: what `train` prints at
//! each evaluation and the model card shows. Generation is the engine's (on the scalar
//! reference, so the text does not depend on the machine's vector instructions), sampling is
//! [`attention_playground::sampling`]'s.

use attention_playground::backend::BackendKind;
use attention_playground::engine::Engine;
use attention_playground::sampling::SamplingOptions;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::weights::HostWeights;
use attention_playground::{Error, GptConfig, Result};

/// The model behind the prompts, on the scalar reference backend.
pub fn engine(config: &GptConfig, weights: &HostWeights) -> Result<Engine> {
    pollster::block_on(Engine::new(config.clone(), weights.clone(), Some(BackendKind::Scalar)))
}

/// The token of "\n" on its own, where generation stops.
pub fn newline_id(tokenizer: &TextTokenizer) -> Result<u32> {
    match tokenizer.encode("\n")?.ids[..] {
        [id] => Ok(id),
        _ => Err(Error::Tokenizer("the tokenizer has no single token for a newline".into())),
    }
}

/// `prompt` continued by up to `max_tokens` tokens, stopping after a newline or at the end of
/// the model's context; the new text only. A prompt longer than the context (only with a tiny
/// model) keeps its end, leaving room for one new token.
pub fn continue_line(engine: &mut Engine, tokenizer: &TextTokenizer, prompt: &str, max_tokens: usize, opts: &SamplingOptions) -> Result<String> {
    let ids = tokenizer.encode(prompt)?.ids;
    let ids = &ids[ids.len().saturating_sub(engine.config().n_positions - 1)..];
    let newline = newline_id(tokenizer).ok();
    let generated = pollster::block_on(engine.generate(ids, max_tokens, opts, |token| Some(token) != newline))?;
    tokenizer.decode(&generated)
}

/// Sampling at `temperature` with `seed`, or greedy when the temperature is 0.
pub fn options(temperature: f32, seed: u64) -> SamplingOptions {
    if temperature == 0.0 {
        SamplingOptions::greedy()
    } else {
        SamplingOptions { temperature, seed, ..SamplingOptions::default() }
    }
}
