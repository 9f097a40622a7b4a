//! Chapter 4, self-attention in layers: what each block of a recorded pass does.
//!
//! ```text
//! x₀ = embeddings                                    (T, C)
//! block l:  a = x_l + attn(ln_1(x_l))                (T, C)   added by attention: a − x_l
//!           x_{l+1} = a + mlp(ln_2(a))               (T, C)   added by the MLP: x_{l+1} − a
//! lens(x) = softmax(ln_f(x) · headᵀ)                 (V)      the "logit lens"
//! ```
//!
//! Three readings, all of the trace (no second forward pass):
//! - **contributions**: per block and token, the length of what attention and the MLP add to
//!   the residual stream, beside the length of the stream they add to;
//! - **attention patterns**: per block and head, numbers that tell heads apart — how far back
//!   a query looks on average, how much weight goes to the previous token, the first token and
//!   the token itself;
//! - **logit lens**: the focus token's residual stream after the embedding and after each
//!   block, put through the model's own final LayerNorm and LM head, as if the model stopped
//!   there. After the last block this is the model's real prediction.
//!
//! For a GPT the lens predicts the next token; for the encoder it scores the token at the
//! position itself (what fills a `[MASK]` there), as its logits do.

use serde::Serialize;

use crate::backend::scalar::Scalar;
use crate::backend::Backend;
use crate::ops::attention::Mask;
use crate::ops::softmax::softmax_row;
use crate::sampling::top_n;
use crate::tokenizer::TextTokenizer;
use crate::trace::Trace;
use crate::views::{is_partial, token_label};
use crate::weights::HostWeights;
use crate::{Error, GptConfig, Result, Tensor};

/// A head is named after what it does when one of its shares of weight passes this.
pub const PATTERN_THRESHOLD: f32 = 0.5;

/// The whole chapter's view of one pass, for one focus token.
#[derive(Clone, Debug, Serialize)]
pub struct LayersView {
    /// The token whose predictions the lens follows (0-based).
    pub focus: usize,
    pub n_layer: usize,
    pub n_head: usize,
    /// One entry per block, in order.
    pub layers: Vec<LayerView>,
    /// The lens after the embedding, then after each block: `n_layer + 1` stages.
    pub lens: Vec<LensStage>,
    /// The model's real prediction at the focus token (the top token of its logits), which each
    /// lens stage also rates: see [`LensStage::answer`].
    pub answer: LensCandidate,
}

/// What one block does to the residual stream, and how its heads attend.
#[derive(Clone, Debug, Serialize)]
pub struct LayerView {
    /// 0-based (the page counts from 1).
    pub layer: usize,
    /// (T) ‖x_l‖: the residual stream entering the block, per token.
    pub before: Vec<f32>,
    /// (T) ‖attention's contribution‖ = ‖a − x_l‖.
    pub attention: Vec<f32>,
    /// (T) ‖the MLP's contribution‖ = ‖x_{l+1} − a‖.
    pub mlp: Vec<f32>,
    /// (T) ‖x_{l+1}‖: the stream leaving the block.
    pub after: Vec<f32>,
    pub heads: Vec<HeadPattern>,
    /// The heads' [`HeadPattern::mean_distance`], averaged: how far this layer looks.
    pub mean_distance: f32,
}

/// One head's attention, summed up over the queries that have a choice: under the causal mask
/// the first token sees only itself, so it is left out (it would make every head look at
/// itself); under the bidirectional mask every query counts. A single token is its own only query.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeadPattern {
    pub head: usize,
    /// Mean over those queries i of Σ_j w_ij · |i − j|: how many tokens away the weight sits.
    pub mean_distance: f32,
    /// Mean over queries i ≥ 1 of w_{i, i−1}; `None` for a single token.
    pub previous: Option<f32>,
    /// Mean over queries i ≥ 1 of w_{i, 0}; `None` for a single token.
    pub first: Option<f32>,
    /// Mean over those queries i of w_{i, i}.
    pub itself: f32,
    /// "previous", "first" or "self" when that share is the largest and at least
    /// [`PATTERN_THRESHOLD`], else "spread".
    pub pattern: &'static str,
    /// The key the focus token gives most weight to, and that weight.
    pub focus_key: usize,
    pub focus_weight: f32,
}

/// The lens at one stage.
#[derive(Clone, Debug, Serialize)]
pub struct LensStage {
    /// "embeddings" or "layer".
    pub kind: &'static str,
    /// The block just passed (0-based); `None` for the embeddings.
    pub layer: Option<usize>,
    /// The most probable tokens at this stage, most probable first.
    pub top: Vec<LensCandidate>,
    /// The model's real prediction ([`LayersView::answer`]) as this stage rates it.
    pub answer: LensCandidate,
    /// Its rank among all V tokens at this stage (1 = the top).
    pub answer_rank: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LensCandidate {
    pub id: u32,
    pub text: String,
    /// True when the token is only part of a character.
    pub partial: bool,
    pub logit: f32,
    pub probability: f32,
}

/// The chapter's view of `trace` (run by the model whose `weights` and `config` are given) for
/// the token `focus`, with the `top` most probable tokens at each lens stage.
pub fn layers_view(
    trace: &Trace<Tensor>,
    weights: &HostWeights,
    config: &GptConfig,
    tokenizer: &TextTokenizer,
    focus: usize,
    top: usize,
) -> Result<LayersView> {
    let t = trace.ids.len();
    if focus >= t {
        return Err(Error::Input(format!("token {focus} is outside the {t} tokens")));
    }
    if trace.layers.len() != config.n_layer {
        return Err(Error::Input(format!("the trace has {} blocks; the model has {}", trace.layers.len(), config.n_layer)));
    }
    let layers = trace
        .layers
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let entering = if l == 0 { &trace.embeddings } else { &trace.layers[l - 1].after_mlp };
            let weights = &layer.attention.weights; // (NH, T, T)
            let heads: Vec<HeadPattern> =
                (0..config.n_head).map(|h| head_pattern(h, &weights.data[h * t * t..(h + 1) * t * t], t, trace.mask, focus)).collect();
            let mean_distance = (heads.iter().map(|h| f64::from(h.mean_distance)).sum::<f64>() / heads.len() as f64) as f32;
            LayerView {
                layer: l,
                before: row_norms(entering, None),
                attention: row_norms(&layer.after_attention, Some(entering)),
                mlp: row_norms(&layer.after_mlp, Some(&layer.after_attention)),
                after: row_norms(&layer.after_mlp, None),
                heads,
                mean_distance,
            }
        })
        .collect();

    // The focus token's stream at each stage: (L + 1, C).
    let stages: Vec<&Tensor> = std::iter::once(&trace.embeddings).chain(trace.layers.iter().map(|l| &l.after_mlp)).collect();
    let streams = Tensor::new([stages.len(), config.n_embd], stages.iter().flat_map(|x| x.row(focus).to_vec()).collect());
    let logits = logit_lens(&streams, weights, config); // (L + 1, V)
    let answer_id = crate::sampling::argmax(trace.logits.row(focus)).unwrap_or(0);

    let mut lens = Vec::with_capacity(stages.len());
    for s in 0..stages.len() {
        let row = logits.row(s);
        let mut probabilities = vec![0.0; row.len()];
        softmax_row(&mut probabilities, row);
        let candidate = |id: u32| LensCandidate {
            id,
            text: token_label(tokenizer, id),
            partial: is_partial(tokenizer, id),
            logit: row[id as usize],
            probability: probabilities[id as usize],
        };
        let answer_logit = row[answer_id as usize];
        lens.push(LensStage {
            kind: if s == 0 { "embeddings" } else { "layer" },
            layer: s.checked_sub(1),
            top: top_n(row, top).into_iter().map(|(id, _)| candidate(id)).collect(),
            answer: candidate(answer_id),
            // Ties count in the answer's favour, as `top_n` ranks the lowest id first only among equals.
            answer_rank: 1 + row.iter().filter(|&&z| z > answer_logit).count(),
        });
    }
    let answer = lens.last().expect("at least the embeddings stage").answer.clone();
    Ok(LayersView { focus, n_layer: config.n_layer, n_head: config.n_head, layers, lens, answer })
}

/// The logit lens: residual streams (N, C) → ln_f, then the LM head: (N, V) logits, by the very
/// ops (on the scalar reference) the model's last step runs.
pub fn logit_lens(streams: &Tensor, weights: &HostWeights, config: &GptConfig) -> Tensor {
    let normed = Scalar.layernorm(streams, &weights.ln_f.weight, &weights.ln_f.bias, config.layer_norm_epsilon); // (N, C)
    Scalar.matmul_transposed(&normed, weights.lm_head()) // (N, V)
}

/// (T) the Euclidean length of each row of `x`, or of `x − minus`; summed in f64.
fn row_norms(x: &Tensor, minus: Option<&Tensor>) -> Vec<f32> {
    (0..x.rows())
        .map(|i| {
            let row = x.row(i);
            let squares: f64 = match minus {
                Some(m) => row.iter().zip(m.row(i)).map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2)).sum(),
                None => row.iter().map(|&a| f64::from(a).powi(2)).sum(),
            };
            squares.sqrt() as f32
        })
        .collect()
}

/// One head's summary from its (T, T) weights (row = query, column = key), run with `mask`.
pub fn head_pattern(head: usize, weights: &[f32], t: usize, mask: Mask, focus: usize) -> HeadPattern {
    let w = |i: usize, j: usize| f64::from(weights[i * t + j]);
    let mean = |sum: f64, n: usize| (sum / n as f64) as f32;
    let choosing = if mask == Mask::Causal && t > 1 { 1..t } else { 0..t };
    let n = choosing.len();
    let distance: f64 = choosing.clone().map(|i| (0..t).map(|j| w(i, j) * i.abs_diff(j) as f64).sum::<f64>()).sum();
    let later = (t > 1).then_some(t - 1);
    let previous = later.map(|n| mean((1..t).map(|i| w(i, i - 1)).sum(), n));
    let first = later.map(|n| mean((1..t).map(|i| w(i, 0)).sum(), n));
    let itself = mean(choosing.map(|i| w(i, i)).sum(), n);
    let shares = [("previous", previous.unwrap_or(0.0)), ("first", first.unwrap_or(0.0)), ("self", itself)];
    let (name, largest) = shares.into_iter().fold(("spread", f32::NEG_INFINITY), |best, s| if s.1 > best.1 { s } else { best });
    let focus_row = &weights[focus * t..(focus + 1) * t];
    let (focus_key, focus_weight) = top_n(focus_row, 1)[0];
    HeadPattern {
        head,
        mean_distance: mean(distance, n),
        previous,
        first,
        itself,
        pattern: if largest >= PATTERN_THRESHOLD { name } else { "spread" },
        focus_key: focus_key as usize,
        focus_weight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_patterns_name_what_the_numbers_show() {
        // Three tokens, causal: a head that always looks one back (token 0 can only see itself).
        let previous = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        let p = head_pattern(2, &previous, 3, Mask::Causal, 2);
        assert_eq!((p.head, p.previous, p.first, p.itself, p.pattern), (2, Some(1.0), Some(0.5), 0.0, "previous"));
        assert_eq!(p.mean_distance, 1.0);
        assert_eq!((p.focus_key, p.focus_weight), (1, 1.0));
        // Uniform over what each query sees: no share reaches the threshold (token 0 has no
        // choice, so it does not count as looking at itself).
        let spread = [1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0];
        let s = head_pattern(0, &spread, 3, Mask::Causal, 2);
        assert_eq!(s.pattern, "spread");
        assert!((s.itself - (0.5 + 1.0 / 3.0) / 2.0).abs() < 1e-6);
        assert!((s.mean_distance - (0.5 + 1.0) / 2.0).abs() < 1e-6);
        // Bidirectional: every query counts, and weight to the right is distance too.
        let right = [0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        let r = head_pattern(0, &right, 3, Mask::Bidirectional, 0);
        assert!((r.itself - 1.0 / 3.0).abs() < 1e-6 && (r.mean_distance - 2.0 / 3.0).abs() < 1e-6);
        // All on the first token; a single token has no previous or first share.
        let first = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        assert_eq!(head_pattern(0, &first, 3, Mask::Causal, 0).pattern, "first");
        let one = head_pattern(0, &[1.0], 1, Mask::Causal, 0);
        assert_eq!((one.previous, one.first, one.pattern, one.mean_distance), (None, None, "self", 0.0));
    }

    #[test]
    fn row_norms_measure_rows_and_differences() {
        let a = Tensor::new([2, 2], vec![3.0, 4.0, 1.0, 1.0]);
        let b = Tensor::new([2, 2], vec![0.0, 0.0, 1.0, 2.0]);
        assert_eq!(row_norms(&a, None), [5.0, 2f32.sqrt()]);
        assert_eq!(row_norms(&a, Some(&b)), [5.0, 1.0]);
    }
}
