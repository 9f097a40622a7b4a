//! Multi-head scaled dot-product attention, step by step:
//!
//! ```text
//! scores  = q · kᵀ                 per head   (NH, T, TK)
//! scaled  = scores / √HS
//! masked  = scaled, with -∞ where a query may not look (causal: key after query)
//! weights = softmax(masked) over each row     (a fully masked row is all zeros)
//! out     = Σ weights · v            merged back to (T, C)
//! ```
//!
//! Each step is a [`Backend`] op, so a backend may replace the whole with a fused kernel while
//! the steps stay available for the trace.

use serde::{Deserialize, Serialize};

use crate::backend::Backend;

/// Which keys each query may attend to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mask {
    /// GPT: a query at absolute position `i` sees keys `0..=i` (left to right).
    #[default]
    Causal,
    /// BERT-style, for teaching: every query sees every key.
    Bidirectional,
}

impl Mask {
    /// May the query at absolute position `query_pos` look at the key at `key_pos`?
    pub fn allows(self, query_pos: usize, key_pos: usize) -> bool {
        match self {
            Mask::Causal => key_pos <= query_pos,
            Mask::Bidirectional => true,
        }
    }
}

/// Every intermediate of one attention call, kept when a trace is asked for.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttentionSteps<T> {
    /// (T, C) queries; head h is columns `h*HS..(h+1)*HS`.
    pub q: T,
    /// (TK, C) keys, past positions included.
    pub k: T,
    /// (TK, C) values, past positions included.
    pub v: T,
    /// (NH, T, TK) raw q·k.
    pub scores: T,
    /// (NH, T, TK) scores / √HS.
    pub scaled: T,
    /// (NH, T, TK) scaled, with -∞ where masked.
    pub masked: T,
    /// (NH, T, TK) softmax over each row.
    pub weights: T,
    /// (T, C) Σ weights · v, heads merged (before the output projection).
    pub out: T,
}

impl<T> AttentionSteps<T> {
    pub fn tensors(&self) -> [&T; 8] {
        [&self.q, &self.k, &self.v, &self.scores, &self.scaled, &self.masked, &self.weights, &self.out]
    }

    pub fn from_tensors([q, k, v, scores, scaled, masked, weights, out]: [T; 8]) -> Self {
        Self { q, k, v, scores, scaled, masked, weights, out }
    }
}

/// Attention built from the backend's primitive steps; the reference composition that every
/// fused kernel must match. `pos0` is the absolute position of the first query row.
///
/// q: (T, C), k: (TK, C), v: (TK, C) → out (T, C)
#[allow(clippy::too_many_arguments)] // the inputs of attention as the paper names them
pub fn attention_by_steps<B: Backend + ?Sized>(
    backend: &B,
    q: &B::Tensor,
    k: &B::Tensor,
    v: &B::Tensor,
    n_head: usize,
    mask: Mask,
    pos0: usize,
    record: bool,
) -> (B::Tensor, Option<AttentionSteps<B::Tensor>>) {
    let head_size = backend.shape(q)[1] / n_head;
    let scores = backend.attention_scores(q, k, n_head); // (NH, T, TK)
    let scaled = backend.scale(&scores, 1.0 / (head_size as f32).sqrt());
    let masked = backend.mask(&scaled, mask, pos0);
    let weights = backend.softmax_rows(&masked);
    let out = backend.attention_values(&weights, v); // (T, C)
    let steps = record.then(|| AttentionSteps {
        q: q.clone(),
        k: k.clone(),
        v: v.clone(),
        scores,
        scaled,
        masked,
        weights,
        out: out.clone(),
    });
    (out, steps)
}
