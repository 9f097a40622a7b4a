//! Chapter 3, RNN vs attention: how strongly each earlier token sways the prediction of the
//! next token, in the GPT and in the recurrent net ([`crate::rnn`]).
//!
//! For tokens `x_0 … x_(T−1)`, let p be the model's next-token distribution after the last
//! token. For every position j, replace `x_j` by a fixed neutral token (everything else
//! unchanged), run the model again and take the distribution p′_j. The influence of j is the
//! total variation distance
//!
//! ```text
//! influence_j = ½ · Σ_v |p(v) − p′_j(v)|     ∈ [0, 1]
//! ```
//!
//! the share of probability that moved: 0 when the token does not matter at all, 1 when the
//! prediction moved to entirely different tokens. It is bounded and symmetric, so the two
//! models' figures can be read on one scale, and replacing a token by itself gives exactly 0.
//! Its distance is `T − 1 − j` (0 for the last token itself).
//!
//! The neutral token is [`NEUTRAL_TOKEN`], a single space: the commonest token of the training
//! text (it separates the words of every Chinese sentence and many English ones), so neither
//! model is surprised to see it anywhere, and it carries no meaning of its own. A real word
//! would bring its own meaning; `[MASK]` the GPT never saw; removing the token instead would
//! shift every later position, which changes the GPT's position embeddings as well.
//!
//! Both models read the same tokens (the GPT's tokenizer) and at most [`MAX_TOKENS`] of them.

use serde::Serialize;

use crate::engine::Engine;
use crate::fill::Candidate;
use crate::ops::attention::Mask;
use crate::ops::softmax::softmax_row;
use crate::rnn::Rnn;
use crate::sampling::top_n;
use crate::tokenizer::TextTokenizer;
use crate::views::{token_label, tokens_of};
use crate::{Error, Result};

/// What replaces a token: a single space (see the module's documentation for why).
pub const NEUTRAL_TOKEN: &str = " ";

/// The most tokens measured: the default GPT's context, so both models read the same tokens.
pub const MAX_TOKENS: usize = 64;

/// How many of the most likely next tokens each answer lists.
pub const TOP: usize = 5;

/// One earlier token and how much replacing it moves the prediction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenInfluence {
    pub id: u32,
    /// The token as the page shows it.
    pub text: String,
    /// T − 1 − j: how many tokens lie between it and the prediction (0 = the last token).
    pub distance: usize,
    /// ½ Σ |p − p′|, in [0, 1].
    pub influence: f32,
}

/// One model's answer for a text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelInfluence {
    /// "gpt" or "rnn".
    pub model: &'static str,
    /// The token that replaces each token in turn, and how the page shows it.
    pub neutral_id: u32,
    pub neutral_text: String,
    /// In text order.
    pub tokens: Vec<TokenInfluence>,
    /// The most likely next tokens after the unchanged text, most likely first.
    pub top: Vec<Candidate>,
    /// Tokens in the whole text; more than `tokens.len()` when it was cut to [`MAX_TOKENS`].
    pub total_tokens: usize,
}

/// Both models on the same text: what the CLI prints and the page shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InfluenceView {
    pub gpt: ModelInfluence,
    pub rnn: ModelInfluence,
}

/// ½ Σ |p − q| of two distributions over the same tokens.
pub fn total_variation(p: &[f32], q: &[f32]) -> f32 {
    (0.5 * p.iter().zip(q).map(|(&a, &b)| (a as f64 - b as f64).abs()).sum::<f64>()) as f32
}

/// The id of [`NEUTRAL_TOKEN`] in `tokenizer`.
pub fn neutral_id(tokenizer: &TextTokenizer) -> Result<u32> {
    match tokenizer.encode(NEUTRAL_TOKEN)?.ids[..] {
        [id] => Ok(id),
        _ => Err(Error::Tokenizer("the tokenizer has no single token for a space, the neutral replacement".into())),
    }
}

/// The text's tokens as both models read them (at most [`MAX_TOKENS`]); an empty text is an
/// error, since there is nothing to predict from.
fn text_ids(tokenizer: &TextTokenizer, text: &str) -> Result<(Vec<u32>, usize)> {
    let tokens = tokens_of(tokenizer, MAX_TOKENS, text)?;
    if tokens.ids.is_empty() {
        return Err(Error::Input("type a sentence: the models predict the token after its last one".into()));
    }
    Ok((tokens.ids, tokens.total))
}

/// `ids` as is, then once with each position replaced by `neutral`: T + 1 sequences.
pub fn variants(ids: &[u32], neutral: u32) -> Vec<Vec<u32>> {
    let replaced = (0..ids.len()).map(|j| {
        let mut v = ids.to_vec();
        v[j] = neutral;
        v
    });
    std::iter::once(ids.to_vec()).chain(replaced).collect()
}

/// Each position's influence from the next-token distributions of [`variants`]: the total
/// variation between the first (the unchanged text) and each of the others.
pub fn influences(distributions: &[Vec<f32>]) -> Vec<f32> {
    let (p, replaced) = distributions.split_first().expect("the unchanged text comes first");
    replaced.iter().map(|q| total_variation(p, q)).collect()
}

/// The answer from the next-token distributions of [`variants`] (the unchanged text first).
fn from_distributions(
    model: &'static str,
    tokenizer: &TextTokenizer,
    ids: &[u32],
    total_tokens: usize,
    neutral: u32,
    distributions: &[Vec<f32>],
) -> ModelInfluence {
    let t = ids.len();
    let tokens = ids
        .iter()
        .zip(influences(distributions))
        .enumerate()
        .map(|(j, (&id, influence))| TokenInfluence { id, text: token_label(tokenizer, id), distance: t - 1 - j, influence })
        .collect();
    let p = &distributions[0];
    let candidate = |id: u32, probability: f32| Candidate { id, text: token_label(tokenizer, id), probability };
    let top = top_n(p, TOP).into_iter().map(|(id, probability)| candidate(id, probability)).collect();
    ModelInfluence { model, neutral_id: neutral, neutral_text: token_label(tokenizer, neutral), tokens, top, total_tokens }
}

/// The probabilities of `logits`.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let mut p = vec![0.0; logits.len()];
    softmax_row(&mut p, logits);
    p
}

/// The GPT's influences for `text` (causal mask, one forward pass per variant, each reusing
/// the positions before the replaced token).
pub async fn gpt_influence(engine: &mut Engine, tokenizer: &TextTokenizer, text: &str) -> Result<ModelInfluence> {
    let context = engine.config().n_positions.min(MAX_TOKENS);
    let (mut ids, total) = text_ids(tokenizer, text)?;
    ids.truncate(context);
    let neutral = neutral_id(tokenizer)?;
    let last = ids.len() - 1;
    // The unchanged text first, recorded: a variant that replaces token j shares its first j
    // positions with it, which the causal mask leaves unchanged, so only the rest is computed
    // (bit for bit what a full pass gives).
    let unchanged = engine.forward(&ids, Mask::Causal, true).await?;
    let mut distributions = vec![softmax(unchanged.logits.row(last))];
    let previous = unchanged.trace.ok_or_else(|| Error::Model("the engine recorded no trace".into()))?;
    for variant in &variants(&ids, neutral)[1..] {
        let output = engine.forward_after(variant, Mask::Causal, Some(&previous)).await?;
        distributions.push(softmax(output.logits.row(last)));
    }
    Ok(from_distributions("gpt", tokenizer, &ids, total, neutral, &distributions))
}

/// The recurrent net's influences for `text`.
pub fn rnn_influence(rnn: &Rnn, tokenizer: &TextTokenizer, text: &str) -> Result<ModelInfluence> {
    if tokenizer.vocab_size() != rnn.config.vocab_size {
        return Err(Error::Model(format!(
            "the tokenizer has {} tokens, the recurrent net {}: it must read the GPT's tokenizer",
            tokenizer.vocab_size(),
            rnn.config.vocab_size
        )));
    }
    let (ids, total) = text_ids(tokenizer, text)?;
    let neutral = neutral_id(tokenizer)?;
    let distributions = variants(&ids, neutral).iter().map(|v| Ok(softmax(&rnn.next_token_logits(v)?))).collect::<Result<Vec<_>>>()?;
    Ok(from_distributions("rnn", tokenizer, &ids, total, neutral, &distributions))
}

/// Both models on `text`.
pub async fn influence(engine: &mut Engine, rnn: &Rnn, tokenizer: &TextTokenizer, text: &str) -> Result<InfluenceView> {
    Ok(InfluenceView { gpt: gpt_influence(engine, tokenizer, text).await?, rnn: rnn_influence(rnn, tokenizer, text)? })
}
