//! The whole GPT-2 forward pass with every activation saved, and its backward pass, built from
//! the ops of [`crate::ops`]. Same architecture and weights as [`crate::gpt`]
//! (checked by a test), but batched over B sequences of T tokens and laid out for training.
//!
//! The GPT and the BERT-style encoder share all of it: only the attention mask differs
//! ([`Activations::mask`]), and which positions are scored ([`Activations::predict_only`]: the
//! encoder's loss is on its masked positions only, so only their logits are computed).
//!
//! Gradients have the shape of the weights: a [`HostWeights`] of the same shapes.

use crate::ops::attention::{self_attention_backward, self_attention_forward, Mask};
use crate::ops::cross_entropy::{cross_entropy_backward, cross_entropy_forward};
use crate::ops::dropout::{check_dropout, dropout_backward, dropout_forward, dropout_mask};
use crate::ops::embedding::{embedding_backward, embedding_forward};
use crate::ops::gelu::{gelu, gelu_backward};
use crate::ops::layernorm::{layernorm_backward, layernorm_forward};
use crate::ops::linear::{head_backward, head_forward, linear_backward, linear_forward};
use crate::ops::residual::add_in_place;
use crate::weights::HostWeights;
use crate::{Error, GptConfig, Result, Tensor};
use rand::Rng;

/// What one block's forward pass keeps for its backward pass. Rows are the B·T positions.
#[derive(Clone)]
struct BlockActivations {
    ln_1: Vec<f32>,       // (B·T, C)
    ln_1_mean: Vec<f32>,  // (B·T)
    ln_1_rstd: Vec<f32>,  // (B·T)
    qkv: Vec<f32>,        // (B·T, 3C)
    att: Vec<f32>,        // (B, NH, T, T) softmax weights
    heads: Vec<f32>,      // (B·T, C) attention output before c_proj
    after_attention: Vec<f32>, // (B·T, C) residual stream
    ln_2: Vec<f32>,       // (B·T, C)
    ln_2_mean: Vec<f32>,  // (B·T)
    ln_2_rstd: Vec<f32>,  // (B·T)
    fc: Vec<f32>,         // (B·T, 4C) before GELU
    fc_gelu: Vec<f32>,    // (B·T, 4C)
    after_mlp: Vec<f32>,  // (B·T, C) residual stream
    attention_dropout: Vec<f32>, // (B·T, C) dropout mask on c_proj's output, or empty
    mlp_dropout: Vec<f32>,       // (B·T, C) dropout mask on mlp_c_proj's output, or empty
}

/// Every intermediate of a forward pass over B sequences of T tokens.
#[derive(Clone)]
pub struct Activations {
    pub batch: usize,
    pub seq_len: usize,
    /// Causal for the GPT, bidirectional for the encoder.
    pub mask: Mask,
    /// Rows (of the B·T positions) whose logits are computed; `None` = all of them.
    predicted: Option<Vec<usize>>,
    ln_f_predicted: Vec<f32>, // (R, C) rows of ln_f at the predicted positions
    embeddings: Vec<f32>, // (B·T, C)
    embedding_dropout: Vec<f32>, // (B·T, C) dropout mask, or empty
    blocks: Vec<BlockActivations>,
    ln_f: Vec<f32>,      // (B·T, C)
    ln_f_mean: Vec<f32>, // (B·T)
    ln_f_rstd: Vec<f32>, // (B·T)
    /// (R, V) for the R predicted rows (all B·T unless [`Activations::predict_only`]); the
    /// buffer keeps room for B·T.
    pub logits: Vec<f32>,
    /// (R, V), softmax of the logits, filled by [`Activations::cross_entropy`].
    pub probs: Vec<f32>,
}

impl Activations {
    pub fn new(cfg: &GptConfig, batch: usize, seq_len: usize) -> Result<Self> {
        if seq_len == 0 || seq_len > cfg.n_positions {
            return Err(Error::Input(format!(
                "sequence length {seq_len} must be between 1 and the model's context of {}",
                cfg.n_positions
            )));
        }
        let (bt, c) = (batch * seq_len, cfg.n_embd);
        let block = || BlockActivations {
            ln_1: vec![0.0; bt * c],
            ln_1_mean: vec![0.0; bt],
            ln_1_rstd: vec![0.0; bt],
            qkv: vec![0.0; bt * 3 * c],
            att: vec![0.0; batch * cfg.n_head * seq_len * seq_len],
            heads: vec![0.0; bt * c],
            after_attention: vec![0.0; bt * c],
            ln_2: vec![0.0; bt * c],
            ln_2_mean: vec![0.0; bt],
            ln_2_rstd: vec![0.0; bt],
            fc: vec![0.0; bt * 4 * c],
            fc_gelu: vec![0.0; bt * 4 * c],
            after_mlp: vec![0.0; bt * c],
            attention_dropout: Vec::new(),
            mlp_dropout: Vec::new(),
        };
        Ok(Self {
            batch,
            seq_len,
            mask: Mask::Causal,
            predicted: None,
            ln_f_predicted: Vec::new(),
            embeddings: vec![0.0; bt * c],
            embedding_dropout: Vec::new(),
            blocks: (0..cfg.n_layer).map(|_| block()).collect(),
            ln_f: vec![0.0; bt * c],
            ln_f_mean: vec![0.0; bt],
            ln_f_rstd: vec![0.0; bt],
            logits: vec![0.0; bt * cfg.vocab_size],
            probs: vec![0.0; bt * cfg.vocab_size],
        })
    }

    /// Draw dropout masks for the next [`Self::forward`] (and its backward): the embeddings and
    /// each block's two sub-layer outputs, before they join the residual stream, as in GPT-2.
    /// `p = 0` turns dropout off (the default, and what evaluation and inference use).
    pub fn draw_dropout(&mut self, p: f32, rng: &mut impl Rng) -> Result<()> {
        check_dropout(p)?;
        let size = self.embeddings.len();
        let masks = std::iter::once(&mut self.embedding_dropout)
            .chain(self.blocks.iter_mut().flat_map(|b| [&mut b.attention_dropout, &mut b.mlp_dropout]));
        for mask in masks {
            if p == 0.0 {
                mask.clear();
            } else {
                mask.resize(size, 0.0);
                dropout_mask(mask, p, rng);
            }
        }
        Ok(())
    }

    /// Compute logits only at `rows` (of the B·T positions, each below B·T), or at all of them
    /// with `None`, from the next [`Self::forward`] on; [`Self::cross_entropy`] then takes one
    /// target per predicted row.
    pub fn predict_only(&mut self, rows: Option<Vec<usize>>) -> Result<()> {
        let bt = self.batch * self.seq_len;
        if let Some(bad) = rows.iter().flatten().find(|&&row| row >= bt) {
            return Err(Error::Input(format!("position {bad} is outside the batch of {bt} positions")));
        }
        self.predicted = rows;
        Ok(())
    }

    /// R: how many rows get logits.
    pub fn predicted_rows(&self) -> usize {
        self.predicted.as_ref().map_or(self.batch * self.seq_len, Vec::len)
    }

    /// Run `ids` (B sequences of T tokens, back to back) through the model; fills `logits`.
    pub fn forward(&mut self, w: &HostWeights, cfg: &GptConfig, ids: &[u32]) -> Result<()> {
        let (t, c, v, nh) = (self.seq_len, cfg.n_embd, cfg.vocab_size, cfg.n_head);
        check_ids(ids, self.batch * t, v)?;
        let eps = cfg.layer_norm_epsilon;
        embedding_forward(&mut self.embeddings, ids, &w.wte.data, &w.wpe.data, t, c);
        apply_dropout(&mut self.embeddings, &self.embedding_dropout);
        for l in 0..self.blocks.len() {
            let (before, rest) = self.blocks.split_at_mut(l);
            let x = before.last().map_or(&self.embeddings, |prev| &prev.after_mlp);
            let a = &mut rest[0];
            let bw = &w.h[l];
            // x = x + c_proj(attention(ln_1(x)))
            layernorm_forward(&mut a.ln_1, &mut a.ln_1_mean, &mut a.ln_1_rstd, x, &bw.ln_1.weight.data, &bw.ln_1.bias.data, c, eps);
            linear_forward(&mut a.qkv, &a.ln_1, &bw.c_attn.weight.data, &bw.c_attn.bias.data, c, 3 * c);
            self_attention_forward(&mut a.heads, &mut a.att, &a.qkv, t, c, nh, self.mask);
            linear_forward(&mut a.after_attention, &a.heads, &bw.attn_c_proj.weight.data, &bw.attn_c_proj.bias.data, c, c);
            apply_dropout(&mut a.after_attention, &a.attention_dropout);
            add_in_place(&mut a.after_attention, x);
            // x = x + mlp_c_proj(gelu(c_fc(ln_2(x))))
            layernorm_forward(&mut a.ln_2, &mut a.ln_2_mean, &mut a.ln_2_rstd, &a.after_attention, &bw.ln_2.weight.data, &bw.ln_2.bias.data, c, eps);
            linear_forward(&mut a.fc, &a.ln_2, &bw.c_fc.weight.data, &bw.c_fc.bias.data, c, 4 * c);
            gelu(&mut a.fc_gelu, &a.fc);
            linear_forward(&mut a.after_mlp, &a.fc_gelu, &bw.mlp_c_proj.weight.data, &bw.mlp_c_proj.bias.data, 4 * c, c);
            apply_dropout(&mut a.after_mlp, &a.mlp_dropout);
            add_in_place(&mut a.after_mlp, &a.after_attention);
        }
        let x = self.blocks.last().map_or(&self.embeddings, |last| &last.after_mlp);
        layernorm_forward(&mut self.ln_f, &mut self.ln_f_mean, &mut self.ln_f_rstd, x, &w.ln_f.weight.data, &w.ln_f.bias.data, c, eps);
        let r = self.predicted_rows();
        match &self.predicted {
            None => head_forward(&mut self.logits, &self.ln_f, &w.lm_head().data, c, v),
            Some(rows) => {
                self.ln_f_predicted = rows.iter().flat_map(|&row| &self.ln_f[row * c..(row + 1) * c]).copied().collect();
                head_forward(&mut self.logits[..r * v], &self.ln_f_predicted, &w.lm_head().data, c, v);
            }
        }
        Ok(())
    }

    /// Mean cross-entropy of the logits against `targets` (one per predicted row); fills `probs`.
    pub fn cross_entropy(&mut self, targets: &[u32], vocab_size: usize) -> Result<f32> {
        let r = self.predicted_rows();
        check_ids(targets, r, vocab_size)?;
        Ok(cross_entropy_forward(&mut self.probs[..r * vocab_size], &self.logits[..r * vocab_size], targets, vocab_size))
    }

    /// Gradients of the mean cross-entropy, after [`Self::forward`] and [`Self::cross_entropy`]
    /// on the same `ids` and `targets` (one per predicted row), are added to `grads` (zero it
    /// first for a fresh step).
    pub fn backward(&self, w: &HostWeights, cfg: &GptConfig, ids: &[u32], targets: &[u32], grads: &mut HostWeights) {
        let (t, c, v, nh) = (self.seq_len, cfg.n_embd, cfg.vocab_size, cfg.n_head);
        let (bt, r) = (self.batch * t, self.predicted_rows());
        let mut dlogits = vec![0.0; r * v];
        cross_entropy_backward(&mut dlogits, &self.probs[..r * v], targets, v);
        let mut dln_f = vec![0.0; bt * c];
        // The head the engine uses: an explicit lm_head when the weights have one, else wte.
        let dhead = match &mut grads.lm_head {
            Some(dlm_head) => &mut dlm_head.data,
            None => &mut grads.wte.data,
        };
        match &self.predicted {
            None => head_backward(&mut dln_f, dhead, &dlogits, &self.ln_f, &w.lm_head().data, c, v),
            Some(rows) => {
                // Only the predicted rows reach the loss; the others' gradient stays zero.
                let mut dln_f_predicted = vec![0.0; r * c];
                head_backward(&mut dln_f_predicted, dhead, &dlogits, &self.ln_f_predicted, &w.lm_head().data, c, v);
                for (&row, d) in rows.iter().zip(dln_f_predicted.chunks_exact(c)) {
                    dln_f[row * c..(row + 1) * c].iter_mut().zip(d).for_each(|(acc, g)| *acc += g);
                }
            }
        }
        // dx: gradient of the loss with respect to the residual stream, walked back layer by layer.
        let mut dx = vec![0.0; bt * c];
        let mut scratch = vec![0.0; bt * c];
        let x = self.blocks.last().map_or(&self.embeddings, |last| &last.after_mlp);
        let g = &mut grads.ln_f;
        layernorm_backward(&mut dx, &mut g.weight.data, &mut g.bias.data, &dln_f, x, &w.ln_f.weight.data, &self.ln_f_mean, &self.ln_f_rstd, c);
        for l in (0..self.blocks.len()).rev() {
            let a = &self.blocks[l];
            let x = if l == 0 { &self.embeddings } else { &self.blocks[l - 1].after_mlp };
            let (bw, g) = (&w.h[l], &mut grads.h[l]);
            // MLP sub-layer; the residual path passes dx through unchanged, the branch through
            // its dropout mask.
            let mut dfc_gelu = vec![0.0; bt * 4 * c];
            let dmlp = through_dropout(&dx, &a.mlp_dropout, &mut scratch);
            linear_backward(&mut dfc_gelu, &mut g.mlp_c_proj.weight.data, &mut g.mlp_c_proj.bias.data, dmlp, &a.fc_gelu, &bw.mlp_c_proj.weight.data, 4 * c, c);
            let mut dfc = vec![0.0; bt * 4 * c];
            gelu_backward(&mut dfc, &dfc_gelu, &a.fc);
            let mut dln_2 = vec![0.0; bt * c];
            linear_backward(&mut dln_2, &mut g.c_fc.weight.data, &mut g.c_fc.bias.data, &dfc, &a.ln_2, &bw.c_fc.weight.data, c, 4 * c);
            layernorm_backward(&mut dx, &mut g.ln_2.weight.data, &mut g.ln_2.bias.data, &dln_2, &a.after_attention, &bw.ln_2.weight.data, &a.ln_2_mean, &a.ln_2_rstd, c);
            // Attention sub-layer.
            let mut dheads = vec![0.0; bt * c];
            let dattention = through_dropout(&dx, &a.attention_dropout, &mut scratch);
            linear_backward(&mut dheads, &mut g.attn_c_proj.weight.data, &mut g.attn_c_proj.bias.data, dattention, &a.heads, &bw.attn_c_proj.weight.data, c, c);
            let mut dqkv = vec![0.0; bt * 3 * c];
            self_attention_backward(&mut dqkv, &dheads, &a.qkv, &a.att, t, c, nh, self.mask);
            let mut dln_1 = vec![0.0; bt * c];
            linear_backward(&mut dln_1, &mut g.c_attn.weight.data, &mut g.c_attn.bias.data, &dqkv, &a.ln_1, &bw.c_attn.weight.data, c, 3 * c);
            layernorm_backward(&mut dx, &mut g.ln_1.weight.data, &mut g.ln_1.bias.data, &dln_1, x, &bw.ln_1.weight.data, &a.ln_1_mean, &a.ln_1_rstd, c);
        }
        let dembeddings = through_dropout(&dx, &self.embedding_dropout, &mut scratch);
        embedding_backward(&mut grads.wte.data, &mut grads.wpe.data, dembeddings, ids, t, c);
    }
}

/// `ids` has `expected` entries, each a token of the vocabulary (also the recurrent net's check).
pub(crate) fn check_ids(ids: &[u32], expected: usize, vocab_size: usize) -> Result<()> {
    if ids.len() != expected {
        return Err(Error::Input(format!("expected {expected} token ids (batch × sequence length), got {}", ids.len())));
    }
    if let Some(&bad) = ids.iter().find(|&&id| id as usize >= vocab_size) {
        return Err(Error::Input(format!("token id {bad} is outside the vocabulary of {vocab_size}")));
    }
    Ok(())
}

/// x ⊙ mask in place, unless the mask is empty (no dropout).
fn apply_dropout(x: &mut [f32], mask: &[f32]) {
    if !mask.is_empty() {
        dropout_forward(x, mask);
    }
}

/// The gradient behind a dropout: dy ⊙ mask (written to `scratch`), or dy itself without one.
fn through_dropout<'a>(dy: &'a [f32], mask: &[f32], scratch: &'a mut [f32]) -> &'a [f32] {
    if mask.is_empty() {
        return dy;
    }
    dropout_backward(scratch, dy, mask);
    scratch
}

/// Every parameter tensor, in checkpoint order: walks weights, gradients and optimiser moments
/// in step.
pub fn parameters_mut(w: &mut HostWeights) -> Vec<&mut Tensor> {
    let mut out = vec![&mut w.wte, &mut w.wpe];
    for b in &mut w.h {
        out.extend([
            &mut b.ln_1.weight,
            &mut b.ln_1.bias,
            &mut b.c_attn.weight,
            &mut b.c_attn.bias,
            &mut b.attn_c_proj.weight,
            &mut b.attn_c_proj.bias,
            &mut b.ln_2.weight,
            &mut b.ln_2.bias,
            &mut b.c_fc.weight,
            &mut b.c_fc.bias,
            &mut b.mlp_c_proj.weight,
            &mut b.mlp_c_proj.bias,
        ]);
    }
    out.extend([&mut w.ln_f.weight, &mut w.ln_f.bias]);
    out.extend(w.lm_head.as_mut());
    out
}

impl super::adamw::Parameters for HostWeights {
    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        parameters_mut(self)
    }
}

/// Zeros of the same shapes: a gradient or optimiser-moment buffer.
pub fn zeros_like(w: &HostWeights) -> HostWeights {
    w.map(|t| Tensor::zeros(t.shape.clone()))
}

pub fn parameter_count(w: &HostWeights) -> usize {
    let mut count = 0;
    w.map(|t| count += t.len());
    count
}
