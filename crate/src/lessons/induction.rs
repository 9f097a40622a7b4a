//! Chapter 7, prompts and in-context learning: what a prompt does to the GPT without changing a
//! weight.
//!
//! - [`prompt_formats`]: the learned format as an instruction. The data's pairs are
//!   `中文 | English`, so after `小明 喜欢 苹果 |` the model should start English; without the `|`
//!   (or with a separator it never saw) it has no such cue. Per prompt: the next-token
//!   probability on tokens that start English, Chinese or anything else, the top tokens, and
//!   the greedy continuation to the end of the line.
//! - [`induction`]: copying from context. A seeded sequence R of distinct random vocabulary
//!   tokens, then R again: on the second pass every next token is in the context, one position
//!   after the earlier copy of the current token. Per head, its induction score (mean attention
//!   from each second-pass token to the token after its earlier occurrence) beside what else it
//!   might do (the previous token, the earlier copy itself); per position, the probability of
//!   the right next token on the first pass and on the second.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::engine::Engine;
use crate::ops::attention::Mask;
use crate::sampling::{self, probability_steps, SamplingOptions};
use crate::tokenizer::TextTokenizer;
use crate::trace::Trace;
use crate::views::{attention_weights, head_weights, is_partial, token_label};
use crate::{Error, Result, Tensor};

/// A head counts as an induction head when at least this share of its attention, on average
/// over the second pass, lands on the token that follows the earlier copy (a head spreading its
/// attention evenly would put about 1/T there).
pub const INDUCTION_THRESHOLD: f32 = 0.3;

/// Tokens shown for each prompt.
const TOP_TOKENS: usize = 8;
/// Most tokens of a greedy continuation (it also stops at the end of the line).
const CONTINUATION_TOKENS: usize = 16;

/// What a next token begins with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Script {
    /// A Latin letter (after any leading space).
    English,
    /// A CJK character, or a byte piece of one.
    Chinese,
    /// Punctuation, digits, `|`, the end of the line, …
    Other,
}

/// The script a token's text starts with, after its leading spaces.
pub fn script_of(tokenizer: &TextTokenizer, id: u32) -> Script {
    let text = token_label(tokenizer, id);
    match text.trim_start_matches(' ').chars().next() {
        Some(c) if c.is_ascii_alphabetic() => Script::English,
        Some(c) if is_cjk(c) => Script::Chinese,
        // A lead byte of a three-byte UTF-8 character in the CJK blocks (U+4E00…U+9FFF: E4–E9).
        _ if is_partial(tokenizer, id) && ["<E4>", "<E5>", "<E6>", "<E7>", "<E8>", "<E9>"].contains(&text.as_str()) => Script::Chinese,
        _ => Script::Other,
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// The format variants of a Chinese sentence: with the `|` the data puts before a translation,
/// without it, and with a separator the data never has (`=`). Whatever followed a `|` in the
/// learner's text is dropped.
pub fn format_variants(text: &str) -> Result<Vec<String>> {
    let sentence = text.split('|').next().unwrap_or("").trim();
    if sentence.is_empty() {
        return Err(Error::Input("type a Chinese sentence, e.g. 小明 喜欢 苹果".into()));
    }
    Ok(vec![format!("{sentence} |"), sentence.to_string(), format!("{sentence} =")])
}

#[derive(Debug, Serialize)]
pub struct NextToken {
    pub id: u32,
    pub text: String,
    pub probability: f32,
    pub script: Script,
}

/// The model's next-token distribution after one prompt.
#[derive(Debug, Serialize)]
pub struct PromptView {
    pub prompt: String,
    pub tokens: usize,
    /// Probability on next tokens that begin English, Chinese, or anything else (sums to 1).
    pub english: f32,
    pub chinese: f32,
    pub other: f32,
    /// The most likely next tokens, most likely first.
    pub top: Vec<NextToken>,
    /// The greedy continuation to the end of the line.
    pub continuation: String,
}

/// Each of `prompts` run through the GPT: where its next-token probability goes, and how it
/// goes on.
pub async fn prompt_formats(engine: &mut Engine, tokenizer: &TextTokenizer, prompts: &[String]) -> Result<Vec<PromptView>> {
    let context = engine.config().n_positions;
    let mut views = Vec::new();
    for prompt in prompts {
        let ids = tokenizer.encode(prompt)?.ids;
        if ids.is_empty() || ids.len() >= context {
            return Err(Error::Input(format!("the prompt must be 1 to {} tokens; {prompt:?} is {}", context - 1, ids.len())));
        }
        let output = engine.forward(&ids, Mask::Causal, false).await?;
        let steps = probability_steps(output.logits.row(ids.len() - 1), &SamplingOptions::default())?;
        let mut shares = [0.0f64; 3];
        for (id, &p) in steps.probabilities.iter().enumerate() {
            shares[script_of(tokenizer, id as u32) as usize] += f64::from(p);
        }
        let top = sampling::top_n(&steps.probabilities, TOP_TOKENS)
            .into_iter()
            .map(|(id, probability)| NextToken { id, text: token_label(tokenizer, id), probability, script: script_of(tokenizer, id) })
            .collect();
        let end_of_line = |id: u32| !token_label(tokenizer, id).contains('\n');
        let generated = engine.generate(&ids, CONTINUATION_TOKENS, &SamplingOptions::greedy(), end_of_line).await?;
        views.push(PromptView {
            prompt: prompt.clone(),
            tokens: ids.len(),
            english: shares[Script::English as usize] as f32,
            chinese: shares[Script::Chinese as usize] as f32,
            other: shares[Script::Other as usize] as f32,
            top,
            continuation: tokenizer.decode(&generated)?.trim_end_matches('\n').to_string(),
        });
    }
    Ok(views)
}

/// Tokens a random sequence may use: whole words, an English word with its leading space
/// (` hospital`) or Chinese characters (`选`, ` 住`); no pieces of words or characters,
/// punctuation, newlines, `|` or special tokens such as `[MASK]`.
pub fn ordinary_tokens(tokenizer: &TextTokenizer, vocab_size: usize) -> Vec<u32> {
    (0..vocab_size as u32)
        .filter(|&id| {
            let Ok(text) = tokenizer.token_text(id) else { return false };
            let (spaced, word) = match text.strip_prefix(' ') {
                Some(word) => (true, word),
                None => (false, text.as_str()),
            };
            let english = spaced && word.chars().all(|c| c.is_ascii_alphabetic());
            let chinese = word.chars().all(is_cjk);
            !word.is_empty() && (english || chinese) && tokenizer.token_id(&text) == Some(id)
        })
        .collect()
}

/// `length` distinct ordinary tokens drawn with `seed`, then the same tokens again.
pub fn repeated_tokens(tokenizer: &TextTokenizer, vocab_size: usize, context: usize, seed: u64, length: usize) -> Result<Vec<u32>> {
    let most = context / 2;
    if length < 2 || length > most {
        return Err(Error::Input(format!("the random sequence must be 2 to {most} tokens (twice that fits the model's context of {context})")));
    }
    let mut pool = ordinary_tokens(tokenizer, vocab_size);
    if pool.len() < length {
        return Err(Error::Model(format!("the vocabulary has only {} ordinary tokens", pool.len())));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // The first `length` steps of a Fisher–Yates shuffle: a uniform draw without repeats.
    for i in 0..length {
        let j = rng.random_range(i..pool.len());
        pool.swap(i, j);
    }
    Ok([&pool[..length], &pool[..length]].concat())
}

/// What one head does on the repeated sequence.
#[derive(Clone, Debug, Serialize)]
pub struct HeadPattern {
    pub layer: usize,
    pub head: usize,
    /// Mean weight from second-pass position i on position i − N + 1 (after the earlier copy).
    pub induction: f32,
    /// Mean weight from every position i ≥ 1 on i − 1.
    pub previous_token: f32,
    /// Mean weight from second-pass position i on i − N (the earlier copy itself).
    pub duplicate: f32,
    /// Mean weight from every position i ≥ 1 on itself.
    pub itself: f32,
    /// Mean weight from every position i ≥ 1 on the first token.
    pub first: f32,
}

#[derive(Debug, Serialize)]
pub struct InductionView {
    /// N: the length of the random sequence; the input is 2N tokens.
    pub length: usize,
    pub seed: u64,
    pub ids: Vec<u32>,
    pub labels: Vec<String>,
    pub heads: Vec<HeadPattern>,
    /// The head with the highest induction score.
    pub best_layer: usize,
    pub best_head: usize,
    pub best_score: f32,
    pub threshold: f32,
    /// The induction score of a head that spreads its weight evenly over the tokens it sees
    /// (mean of 1 / (i + 1) over the second pass): the level "no pattern" scores.
    pub even_induction: f32,
    /// The same for the previous-token, itself and first-token scores (mean over i ≥ 1).
    pub even_other: f32,
    /// Whether the best head reaches [`INDUCTION_THRESHOLD`].
    pub has_induction_head: bool,
    /// (N − 1): for k = 1 … N − 1, the probability of `R[k]` after `R[..k]` (first pass), and
    /// after `R, R[..k]` (second pass).
    pub first_pass: Vec<f32>,
    pub second_pass: Vec<f32>,
    pub mean_first: f32,
    pub mean_second: f32,
    /// (L, NH, 2N, 2N): every head's weights, so the page can show any head's stripe.
    pub weights: Vec<f32>,
}

/// Run the repeated sequence of `length` tokens drawn with `seed` and read what each head and
/// the output make of it.
pub async fn induction(engine: &mut Engine, tokenizer: &TextTokenizer, seed: u64, length: usize) -> Result<InductionView> {
    let config = engine.config().clone();
    let ids = repeated_tokens(tokenizer, config.vocab_size.min(tokenizer.vocab_size()), config.n_positions, seed, length)?;
    let output = engine.forward(&ids, Mask::Causal, true).await?;
    let trace = output.trace.ok_or_else(|| Error::Model("the engine returned no trace".into()))?;
    induction_of(&trace, tokenizer, seed, length)
}

/// [`induction`] on a recorded pass over R, R.
pub fn induction_of(trace: &Trace<Tensor>, tokenizer: &TextTokenizer, seed: u64, length: usize) -> Result<InductionView> {
    let (ids, n) = (&trace.ids, length);
    if ids.len() != 2 * n || ids[..n] != ids[n..] {
        return Err(Error::Input(format!("the pass is not a sequence of {n} tokens repeated")));
    }
    let t = 2 * n;
    let n_head = trace.layers.first().map_or(0, |l| l.attention.weights.shape[0]);
    let mut heads = Vec::new();
    for layer in 0..trace.layers.len() {
        for head in 0..n_head {
            let w = head_weights(trace, layer, head)?; // (T, T)
            let mean_over = |queries: std::ops::Range<usize>, key: &dyn Fn(usize) -> usize| {
                let count = queries.len() as f64;
                (queries.map(|i| f64::from(w[i * t + key(i)])).sum::<f64>() / count) as f32
            };
            heads.push(HeadPattern {
                layer,
                head,
                induction: mean_over(n..t, &|i| i - n + 1),
                previous_token: mean_over(1..t, &|i| i - 1),
                duplicate: mean_over(n..t, &|i| i - n),
                itself: mean_over(1..t, &|i| i),
                first: mean_over(1..t, &|_| 0),
            });
        }
    }
    let first_head = heads.first().ok_or_else(|| Error::Model("the model has no attention heads".into()))?;
    let best = heads.iter().fold(first_head, |b, h| if h.induction > b.induction { h } else { b }).clone();
    // Probability of the token at `p + 1` from the logits at `p`.
    let probability_next = |p: usize| -> Result<f32> {
        let steps = probability_steps(trace.logits.row(p), &SamplingOptions::default())?;
        Ok(steps.probabilities[ids[p + 1] as usize])
    };
    let first_pass = (1..n).map(|k| probability_next(k - 1)).collect::<Result<Vec<f32>>>()?;
    let second_pass = (1..n).map(|k| probability_next(n + k - 1)).collect::<Result<Vec<f32>>>()?;
    let mean = |x: &[f32]| (x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64) as f32;
    let even = |queries: std::ops::Range<usize>| {
        let count = queries.len() as f64;
        (queries.map(|i| 1.0 / (i + 1) as f64).sum::<f64>() / count) as f32
    };
    Ok(InductionView {
        length: n,
        seed,
        ids: ids.clone(),
        labels: ids.iter().map(|&id| token_label(tokenizer, id)).collect(),
        best_layer: best.layer,
        best_head: best.head,
        best_score: best.induction,
        threshold: INDUCTION_THRESHOLD,
        even_induction: even(n..t),
        even_other: even(1..t),
        has_induction_head: best.induction >= INDUCTION_THRESHOLD,
        mean_first: mean(&first_pass),
        mean_second: mean(&second_pass),
        first_pass,
        second_pass,
        weights: attention_weights(trace),
        heads,
    })
}
