//! What the page shows of a forward pass, as plain data: the text's tokens (with the pieces of a
//! character numbered), one head's attention steps for one token, the residual stream of a
//! token, the next-token probabilities, and a sample that finishes a cut character.
//!
//! Every view reads a recorded [`Trace`] (or its logits); none recomputes the math. The wasm
//! API (`wasm.rs`, in the browser) only converts arguments and results around these
//! functions, the CLI's `trace` command prints the token view, and the model card numbers
//! pieces with [`tokens_of`] too, so each rule exists once and is tested natively.

use serde::Serialize;

use crate::config::Objective;
use crate::engine::{BackendStatus, Engine, Why};
use crate::ops::attention::Mask;
use crate::sampling::{self, probability_steps, ProbabilitySteps, Sampler, SamplingOptions};
use crate::tokenizer::TextTokenizer;
use crate::trace::Trace;
use crate::{Error, GptConfig, Result, Tensor};

/// Text beyond this many characters is not even tokenized (it could never fit the context).
pub const MAX_TEXT_CHARS: usize = 20_000;
/// How much of the ignored text the page is given to show, faded.
const MAX_DROPPED_CHARS: usize = 200;
/// A sampled token may be half of a UTF-8 character; sample at most this many more to finish it.
const MAX_CHARACTER_TOKENS: usize = 4;

/// The model's dimensions, and what it was trained for.
#[derive(Serialize)]
pub struct ModelView {
    pub n_layer: usize,
    pub n_head: usize,
    pub n_embd: usize,
    pub head_size: usize,
    pub n_positions: usize,
    pub vocab_size: usize,
    /// The mask it was trained with: causal (GPT) or bidirectional (encoder).
    pub attention_mask: Mask,
    /// The encoder's fill-in token, e.g. `[MASK]`.
    pub mask_token: Option<String>,
}

impl ModelView {
    pub fn new(c: &GptConfig, objective: &Objective) -> Self {
        ModelView {
            n_layer: c.n_layer,
            n_head: c.n_head,
            n_embd: c.n_embd,
            head_size: c.head_size(),
            n_positions: c.n_positions,
            vocab_size: c.vocab_size,
            attention_mask: objective.attention_mask,
            mask_token: objective.mask_token.clone(),
        }
    }
}

/// Which backend runs, why, and on which adapter.
#[derive(Serialize)]
pub struct StatusView {
    pub kind: &'static str,
    /// A code the page words in the reader's language, e.g. "software_gpu".
    pub why: Why,
    pub reason: String,
    pub adapter: Option<String>,
}

impl From<&BackendStatus> for StatusView {
    fn from(status: &BackendStatus) -> Self {
        StatusView { kind: status.kind.name(), why: status.why, reason: status.reason.clone(), adapter: status.adapter.clone() }
    }
}

/// The text as the model sees it.
#[derive(Clone, Debug, Serialize)]
pub struct TokensView {
    /// The tokens that fit the context (T ≤ P).
    pub ids: Vec<u32>,
    /// What each token stands for in the text; a token that is only part of a character shows
    /// that character with its part number (小¹ 小² 小³).
    pub display: Vec<String>,
    /// True where the token is part of a character that spans several tokens.
    pub partial: Vec<bool>,
    /// Tokens in the whole text (more than `ids.len()` when truncated).
    pub total: usize,
    pub truncated: bool,
    /// The start of the text that did not fit, for the page to show faded.
    pub dropped: String,
    /// P: the model's context length.
    pub context: usize,
    /// (T, T) 1 where the mask lets query i see key j, else 0; empty before a forward pass.
    pub allowed: Vec<u8>,
}

impl TokensView {
    /// Fill [`Self::allowed`] for the mask the tokens were run with.
    pub fn with_mask(mut self, mask: Mask) -> Self {
        let t = self.ids.len();
        self.allowed = (0..t * t).map(|n| u8::from(mask.allows(n / t, n % t))).collect();
        self
    }
}

/// Tokenize `text`, keep the tokens that fit a context of `context` positions, and say what
/// each one shows.
pub fn tokens_of(tokenizer: &TextTokenizer, context: usize, text: &str) -> Result<TokensView> {
    let (kept_text, cut_chars) = match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((byte, _)) => (&text[..byte], true),
        None => (text, false),
    };
    let encoded = tokenizer.encode(kept_text)?;
    let total = encoded.ids.len();
    let fit = total.min(context);
    let offsets = &encoded.offsets; // in chars
    // Tokens that cut a character share its char range with a neighbour.
    let partial: Vec<bool> = (0..fit)
        .map(|i| (i > 0 && offsets[i - 1].1 > offsets[i].0) || (i + 1 < total && offsets[i + 1].0 < offsets[i].1))
        .collect();
    // A cut character shows as itself with the token's part number: 小¹ 小² 小³.
    let mut part = 0;
    let display = (0..fit)
        .map(|i| {
            if !partial[i] {
                part = 0;
                return encoded.pieces[i].clone();
            }
            // The cut character is the last one a piece reaches (a piece may begin with whole
            // characters, such as the space before it): the next piece of the same character ends there too.
            part = if i > 0 && partial[i - 1] && offsets[i - 1].1 == offsets[i].1 { part + 1 } else { 1 };
            let character = chars(kept_text, offsets[i].0, offsets[i].1 - offsets[i].0);
            format!("{character}{}", superscript(part))
        })
        .collect();
    let dropped = if total > context {
        chars(kept_text, offsets[context].0, MAX_DROPPED_CHARS)
    } else if cut_chars {
        chars(&text[kept_text.len()..], 0, MAX_DROPPED_CHARS)
    } else {
        String::new()
    };
    Ok(TokensView {
        ids: encoded.ids[..fit].to_vec(),
        display,
        partial,
        total,
        truncated: total > context || cut_chars,
        dropped,
        context,
        allowed: Vec::new(),
    })
}

fn superscript(n: usize) -> String {
    n.to_string().chars().map(|d| ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize]).collect()
}

/// `count` characters of `text` from character `start`.
fn chars(text: &str, start: usize, count: usize) -> String {
    text.chars().skip(start).take(count).collect()
}

/// One head's attention for one focus token, every step, from the trace.
#[derive(Debug, Serialize)]
pub struct HeadStepsView {
    pub layer: usize,
    pub head: usize,
    pub focus: usize,
    pub head_size: usize,
    pub sqrt_head_size: f32,
    /// (HS) query of the focus token.
    pub q: Vec<f32>,
    /// (T, HS) keys of every token, row-major.
    pub k: Vec<f32>,
    /// (T, HS) values of every token, row-major.
    pub v: Vec<f32>,
    /// (T) q·k for each key.
    pub scores: Vec<f32>,
    /// (T) scores / √HS.
    pub scaled: Vec<f32>,
    /// (T) scaled, -∞ where masked.
    pub masked: Vec<f32>,
    /// (T) softmax of masked.
    pub weights: Vec<f32>,
    /// Σ weights (1 up to rounding), summed in f64.
    pub weight_sum: f32,
    /// (HS) Σ weights · v: this head's output for the focus token.
    pub out: Vec<f32>,
}

/// The (T, T) attention weights of one head of one layer: row = query, column = key.
pub fn head_weights(trace: &Trace<Tensor>, layer: usize, head: usize) -> Result<&[f32]> {
    let (n_layer, t) = (trace.layers.len(), trace.ids.len());
    let weights = &trace.layers.get(layer).ok_or_else(|| outside(layer, head, 0, n_layer, 0, t))?.attention.weights;
    let n_head = weights.shape[0];
    if head >= n_head {
        return Err(outside(layer, head, 0, n_layer, n_head, t));
    }
    Ok(of_head(weights, head))
}

/// Head `head`'s (T, TK) block of an (NH, T, TK) tensor of scores or weights.
fn of_head(x: &Tensor, head: usize) -> &[f32] {
    let block = x.shape[1] * x.shape[2];
    &x.data[head * block..(head + 1) * block]
}

fn outside(layer: usize, head: usize, focus: usize, n_layer: usize, n_head: usize, t: usize) -> Error {
    Error::Input(format!(
        "layer {layer}, head {head}, token {focus} is outside {n_layer} layers, {n_head} heads, {t} tokens"
    ))
}

/// One head's steps for one focus token: q, k, v (this head's slice), scores, scaled, masked,
/// weights and the weighted sum, exactly as the trace recorded them.
pub fn head_steps(trace: &Trace<Tensor>, config: &GptConfig, layer: usize, head: usize, focus: usize) -> Result<HeadStepsView> {
    let t = trace.ids.len();
    let (n_layer, n_head, hs) = (config.n_layer, config.n_head, config.head_size());
    if layer >= n_layer || head >= n_head || focus >= t {
        return Err(outside(layer, head, focus, n_layer, n_head, t));
    }
    let a = &trace.layers[layer].attention;
    let cols = head * hs..(head + 1) * hs;
    let head_rows = |x: &Tensor| (0..t).flat_map(|j| x.row(j)[cols.clone()].to_vec()).collect::<Vec<f32>>();
    let score_row = |x: &Tensor| of_head(x, head)[focus * t..(focus + 1) * t].to_vec();
    let weights = score_row(&a.weights);
    Ok(HeadStepsView {
        layer,
        head,
        focus,
        head_size: hs,
        sqrt_head_size: (hs as f32).sqrt(),
        q: a.q.row(focus)[cols.clone()].to_vec(),
        k: head_rows(&a.k),
        v: head_rows(&a.v),
        scores: score_row(&a.scores),
        scaled: score_row(&a.scaled),
        masked: score_row(&a.masked),
        weight_sum: weights.iter().map(|&w| f64::from(w)).sum::<f64>() as f32,
        weights,
        out: a.out.row(focus)[cols].to_vec(),
    })
}

/// Every attention weight of the pass: (L, NH, T, T), row-major.
pub fn attention_weights(trace: &Trace<Tensor>) -> Vec<f32> {
    trace.layers.iter().flat_map(|l| l.attention.weights.data.iter().copied()).collect()
}

#[derive(Debug, Serialize)]
pub struct StageView {
    /// "embeddings", "attention", "mlp" or "final".
    pub kind: &'static str,
    pub layer: usize,
    /// (C) the residual stream of the token after this stage.
    pub values: Vec<f32>,
    /// Euclidean length of `values`.
    pub norm: f32,
}

#[derive(Debug, Serialize)]
pub struct TokenView {
    pub id: u32,
    pub text: String,
    /// True when the token is only part of a character.
    pub partial: bool,
}

#[derive(Debug, Serialize)]
pub struct StackView {
    pub token: usize,
    pub channels: usize,
    pub stages: Vec<StageView>,
    /// The most likely next token at this position.
    pub top: TokenView,
}

/// A token's readable text; an id the tokenizer lacks (the model may have more) shows as
/// `<id N>`, as the tokenizer's `decode` writes it.
pub fn token_label(tokenizer: &TextTokenizer, id: u32) -> String {
    tokenizer.token_text(id).unwrap_or_else(|_| format!("<id {id}>"))
}

/// Whether a token alone is not whole characters: its bytes do not decode (as [`sample_whole_character`] checks).
pub fn is_partial(tokenizer: &TextTokenizer, id: u32) -> bool {
    tokenizer.decode(&[id]).is_ok_and(|text| text.contains(char::REPLACEMENT_CHARACTER))
}

fn token_view(tokenizer: &TextTokenizer, id: u32) -> TokenView {
    TokenView { id, text: token_label(tokenizer, id), partial: is_partial(tokenizer, id) }
}

/// The residual stream of one token after each stage, with its length, and the most likely
/// next token at that position.
pub fn residual_stream(trace: &Trace<Tensor>, tokenizer: &TextTokenizer, token: usize) -> Result<StackView> {
    let t = trace.ids.len();
    if token >= t {
        return Err(Error::Input(format!("token {token} is outside the {t} tokens")));
    }
    let stage = |kind, layer, x: &Tensor| {
        let values = x.row(token).to_vec();
        let norm = values.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt() as f32;
        StageView { kind, layer, values, norm }
    };
    let mut stages = vec![stage("embeddings", 0, &trace.embeddings)];
    for (l, layer) in trace.layers.iter().enumerate() {
        stages.push(stage("attention", l, &layer.after_attention));
        stages.push(stage("mlp", l, &layer.after_mlp));
    }
    stages.push(stage("final", 0, &trace.final_norm));
    let id = sampling::argmax(trace.logits.row(token)).unwrap_or(0);
    Ok(StackView { token, channels: trace.embeddings.cols(), stages, top: token_view(tokenizer, id) })
}

#[derive(Debug, Serialize)]
pub struct NextRow {
    pub id: u32,
    pub text: String,
    pub logit: f32,
    pub scaled: f32,
    pub exp: f32,
    pub probability: f32,
    /// False when top-k or top-p removed the token.
    pub kept: bool,
    /// True when the token is only part of a character (a lone UTF-8 byte or a few).
    pub partial: bool,
}

#[derive(Debug, Serialize)]
pub struct NextView {
    /// The position whose logits these are (the last token, unless asked for another).
    pub position: usize,
    pub vocab: usize,
    /// The largest scaled logit, subtracted before exp (so `exp` = e^(scaled − max_scaled)).
    pub max_scaled: f32,
    /// Σ exp over the kept tokens: the softmax denominator (`probability` = exp / exp_sum).
    pub exp_sum: f32,
    /// How many tokens top-k and top-p kept (all `vocab` when both are off).
    pub kept: usize,
    /// The most likely tokens before filtering, most likely first.
    pub rows: Vec<NextRow>,
    /// Σ probability of `rows`.
    pub shown: f32,
    /// Σ probability of every other token: rows + others = 1.
    pub others: f32,
}

/// The page's controls as engine options: top-k 0 and top-p ≥ 1 switch the filter off.
pub fn sampling_options(temperature: f32, top_k: u32, top_p: f32, seed: u64) -> SamplingOptions {
    SamplingOptions {
        temperature,
        top_k: (top_k > 0).then_some(top_k as usize),
        // NaN is not "off": it goes on to the check that refuses it.
        top_p: (top_p.is_nan() || top_p < 1.0).then_some(top_p),
        greedy: false,
        seed,
    }
}

/// The `n` most likely next tokens, most likely first. Ranked by the scaled logits, which order
/// the tokens as their probabilities do but stay apart where a low temperature rounds the
/// probabilities of all but the best to 0 (ties among those zeros would otherwise fall to the
/// lowest ids). Unfiltered, so tokens cut by top-k/top-p stay visible.
pub fn most_likely(steps: &ProbabilitySteps, n: usize) -> Vec<u32> {
    sampling::top_n(&steps.scaled, n).into_iter().map(|(id, _)| id).collect()
}

/// Next-token probabilities after the last position, from the recorded logits (no forward
/// pass): the `n` most likely tokens with every softmax step.
pub fn probabilities(trace: &Trace<Tensor>, tokenizer: &TextTokenizer, opts: &SamplingOptions, n: usize) -> Result<NextView> {
    let position = trace.logits.rows().checked_sub(1).ok_or_else(|| Error::Input("no tokens were run".into()))?;
    probabilities_at(trace, tokenizer, opts, n, position)
}

/// [`probabilities`] after the token at `position` rather than the last: what a GPT, which
/// sees nothing to the right, would put after it.
pub fn probabilities_at(trace: &Trace<Tensor>, tokenizer: &TextTokenizer, opts: &SamplingOptions, n: usize, position: usize) -> Result<NextView> {
    let t = trace.logits.rows();
    if position >= t {
        return Err(Error::Input(format!("token {position} is outside the {t} tokens")));
    }
    let steps = probability_steps(trace.logits.row(position), opts)?;
    let rows: Vec<NextRow> = most_likely(&steps, n)
        .into_iter()
        .map(|id| {
            let i = id as usize;
            NextRow {
                id,
                text: token_label(tokenizer, id),
                logit: steps.logits[i],
                scaled: steps.scaled[i],
                exp: steps.exp[i],
                probability: steps.probabilities[i],
                kept: steps.kept[i],
                partial: is_partial(tokenizer, id),
            }
        })
        .collect();
    let total: f64 = steps.probabilities.iter().map(|&p| f64::from(p)).sum();
    let shown: f64 = rows.iter().map(|r| f64::from(r.probability)).sum();
    Ok(NextView {
        position,
        vocab: steps.probabilities.len(),
        max_scaled: steps.max_scaled,
        exp_sum: steps.exp_sum,
        kept: steps.kept.iter().filter(|&&k| k).count(),
        rows,
        shown: shown as f32,
        others: (total - shown).max(0.0) as f32,
    })
}

#[derive(Debug, Serialize)]
pub struct SampleView {
    /// The sampled tokens (more than one when a character spans several tokens).
    pub ids: Vec<u32>,
    /// The whole text with the sampled tokens appended.
    pub text: String,
    /// The probability each sampled token had when it was drawn (after temperature, top-k and
    /// top-p).
    pub probabilities: Vec<f32>,
    /// Forward passes run to finish a cut character.
    #[serde(skip)]
    pub forwards: u32,
}

/// Draw the next token after `ids` from `logits` (that position's row, V), and return the text
/// with it appended. When the token is only part of a character, the model runs again on
/// `engine` (with `mask`) and draws more, until the character is whole, the context is full or
/// [`MAX_CHARACTER_TOKENS`] are drawn.
pub async fn sample_whole_character(
    engine: &mut Engine,
    tokenizer: &TextTokenizer,
    mut ids: Vec<u32>,
    mut logits: Vec<f32>,
    mask: Mask,
    opts: &SamplingOptions,
) -> Result<SampleView> {
    let mut sampler = Sampler::new(opts)?;
    let context = engine.config().n_positions;
    let start = ids.len();
    let (mut probabilities, mut forwards) = (Vec::new(), 0);
    for _ in 0..MAX_CHARACTER_TOKENS {
        if ids.len() >= context {
            break;
        }
        let steps = probability_steps(&logits, sampler.options())?;
        let token = sampler.choose(&steps.probabilities);
        ids.push(token);
        probabilities.push(steps.probabilities[token as usize]);
        let text = tokenizer.decode(&ids)?;
        if !text.ends_with(char::REPLACEMENT_CHARACTER) || ids.len() >= context {
            return Ok(SampleView { ids: ids[start..].to_vec(), text, probabilities, forwards });
        }
        let output = engine.forward(&ids, mask, false).await?;
        forwards += 1;
        logits = output.logits.row(ids.len() - 1).to_vec();
    }
    let text = tokenizer.decode(&ids)?;
    Ok(SampleView { ids: ids[start..].to_vec(), text, probabilities, forwards })
}
