//! The trace: every intermediate the page shows, recorded only when asked for. The page's
//! step-through displays these numbers; it never recomputes them.

use serde::{Deserialize, Serialize};

use crate::backend::BackendKind;
use crate::ops::attention::{AttentionSteps, Mask};

/// One block's intermediates.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerTrace<T> {
    /// (T, C) ln_1(x), the input to attention.
    pub ln_1: T,
    pub attention: AttentionSteps<T>,
    /// (T, C) residual stream after `x + c_proj(attention)`.
    pub after_attention: T,
    /// (T, C) residual stream after `x + mlp(ln_2(x))`.
    pub after_mlp: T,
}

/// A forward pass, recorded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trace<T> {
    pub ids: Vec<u32>,
    /// Absolute position of the first token (non-zero after a KV cache).
    pub pos0: usize,
    pub mask: Mask,
    /// Which backend computed these numbers (a later pass may reuse them only on the same one).
    pub backend: BackendKind,
    /// (T, C) token + position embedding: the residual stream entering block 0.
    pub embeddings: T,
    pub layers: Vec<LayerTrace<T>>,
    /// (T, C) ln_f of the last residual stream.
    pub final_norm: T,
    /// (T, V) logits for the token after each position.
    pub logits: T,
}

impl<T> Trace<T> {
    /// Every tensor, in a fixed order (see [`Trace::with_tensors`]).
    pub fn tensors(&self) -> Vec<&T> {
        let mut all = vec![&self.embeddings];
        for layer in &self.layers {
            all.push(&layer.ln_1);
            all.extend(layer.attention.tensors());
            all.push(&layer.after_attention);
            all.push(&layer.after_mlp);
        }
        all.push(&self.final_norm);
        all.push(&self.logits);
        all
    }

    /// The same trace structure filled with `tensors`, given in [`Trace::tensors`] order
    /// (e.g. after reading them back from a GPU).
    pub fn with_tensors<U>(&self, tensors: Vec<U>) -> Trace<U> {
        let mut it = tensors.into_iter();
        let mut next = || it.next().expect("trace tensor count mismatch");
        let embeddings = next();
        let layers = self
            .layers
            .iter()
            .map(|_| {
                let ln_1 = next();
                let attention = AttentionSteps::from_tensors(std::array::from_fn(|_| next()));
                LayerTrace { ln_1, attention, after_attention: next(), after_mlp: next() }
            })
            .collect();
        let final_norm = next();
        let logits = next();
        Trace { ids: self.ids.clone(), pos0: self.pos0, mask: self.mask, backend: self.backend, embeddings, layers, final_norm, logits }
    }
}
