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
//! The reference steps are [`attention_scores`], the scale, [`apply_mask`],
//! [`super::softmax::softmax_rows`] and [`attention_values`]; the engine composes them through
//! its backend (`Backend::attention`), the trainer through [`self_attention_forward`],
//! which runs the same functions on B sequences of the fused `c_attn` output.
//!
//! - SIMD twin: `simd/mod.rs` (`attention_scores`, `attention_values`: the products on the SIMD
//!   kernels; scale, mask and softmax are these).
//! - WGSL: `shaders/attention_scores.wgsl`, `shaders/scale.wgsl`, `shaders/mask.wgsl`,
//!   `shaders/softmax.wgsl`, `shaders/attention_values.wgsl`.
//! - Tests: `tests/golden.rs`, `tests/mask.rs`, `tests/kv_cache.rs`, `tests/gpu.rs`,
//!   `tests/train.rs` (`attention_backward_matches_finite_differences`).

use serde::{Deserialize, Serialize};

use super::linear::dot;
use super::softmax::softmax_rows;
use crate::parallel::{for_each_row_block, for_each_row_block2};

/// Which keys each query may attend to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mask {
    /// GPT: a query at absolute position `i` sees keys `0..=i` (left to right).
    #[default]
    Causal,
    /// BERT-style encoder: every query sees every key (both directions).
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

    /// How many of `tk` keys the query at `query_pos` sees: always keys `0..n`.
    pub fn visible_keys(self, query_pos: usize, tk: usize) -> usize {
        match self {
            Mask::Causal => (query_pos + 1).min(tk),
            Mask::Bidirectional => tk,
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

/// x: (M, n·W) → n blocks (M, W), one per entry of `parts`: `c_attn`'s fused output split into
/// q, k and v. (`shaders/split_columns.wgsl` on the GPU.)
pub fn split_columns(parts: &mut [&mut [f32]], x: &[f32], width: usize) {
    let n = parts.len();
    for (row, x_row) in x.chunks_exact(n * width).enumerate() {
        for (part, out) in parts.iter_mut().enumerate() {
            out[row * width..][..width].copy_from_slice(&x_row[part * width..][..width]);
        }
    }
}

/// 1/√HS, the factor between raw and scaled scores.
pub fn score_scale(head_size: usize) -> f32 {
    1.0 / (head_size as f32).sqrt()
}

/// out: (NH, T, TK), out[h, t, j] = q[t, head h] · k[j, head h]
/// q: (T, C), k: (TK, C); head h is columns h·HS..(h+1)·HS.
pub fn attention_scores(out: &mut [f32], q: &[f32], k: &[f32], t: usize, tk: usize, n_head: usize, c: usize) {
    let hs = c / n_head;
    for h in 0..n_head {
        for i in 0..t {
            let q_i = &q[i * c + h * hs..][..hs];
            for j in 0..tk {
                let k_j = &k[j * c + h * hs..][..hs];
                out[(h * t + i) * tk + j] = dot(q_i, k_j);
            }
        }
    }
}

/// x · s elementwise, in place (scores → scaled scores).
pub fn scale(x: &mut [f32], s: f32) {
    x.iter_mut().for_each(|v| *v *= s);
}

/// scores: (NH, T, TK), in place: -∞ where the query at absolute position `pos0 + t` may not
/// see key `j`.
pub fn apply_mask(scores: &mut [f32], t: usize, tk: usize, mask: Mask, pos0: usize) {
    for (row, score_row) in scores.chunks_exact_mut(tk).enumerate() {
        let query_pos = pos0 + row % t;
        for (j, s) in score_row.iter_mut().enumerate() {
            if !mask.allows(query_pos, j) {
                *s = f32::NEG_INFINITY;
            }
        }
    }
}

/// out: (T, C), out[t, head h] = Σ_j weights[h, t, j] · v[j, head h]
/// weights: (NH, T, TK), v: (TK, C).
pub fn attention_values(out: &mut [f32], weights: &[f32], v: &[f32], t: usize, tk: usize, n_head: usize, c: usize) {
    let hs = c / n_head;
    out.fill(0.0);
    for h in 0..n_head {
        for i in 0..t {
            let out_i = &mut out[i * c + h * hs..][..hs];
            for j in 0..tk {
                let weight = weights[(h * t + i) * tk + j];
                let v_j = &v[j * c + h * hs..][..hs];
                for d in 0..hs {
                    out_i[d] += weight * v_j[d];
                }
            }
        }
    }
}

/// The trainer's self-attention over B sequences of T tokens: qkv (B·T, 3C), q k v side by side
/// as `c_attn` writes them → out (B·T, C); saves the softmax weights att (B, NH, T, T), zero
/// where `mask` forbids (above the diagonal for the GPT's causal mask, nowhere for the
/// encoder's bidirectional one). Each sequence runs the reference steps above; sequences are
/// split over threads.
pub fn self_attention_forward(out: &mut [f32], att: &mut [f32], qkv: &[f32], t: usize, c: usize, nh: usize, mask: Mask) {
    let scale_by = score_scale(c / nh);
    for_each_row_block2(out, t * c, att, nh * t * t, |b0, out, att| {
        let (mut q, mut k, mut v) = (vec![0.0; t * c], vec![0.0; t * c], vec![0.0; t * c]);
        let mut scores = vec![0.0; nh * t * t];
        for (bi, (out_b, att_b)) in out.chunks_exact_mut(t * c).zip(att.chunks_exact_mut(nh * t * t)).enumerate() {
            let qkv_b = &qkv[(b0 + bi) * t * 3 * c..][..t * 3 * c];
            split_columns(&mut [&mut q, &mut k, &mut v], qkv_b, c);
            attention_scores(&mut scores, &q, &k, t, t, nh, c);
            scale(&mut scores, scale_by);
            apply_mask(&mut scores, t, t, mask, 0);
            softmax_rows(att_b, &scores, t);
            attention_values(out_b, att_b, &v, t, t, nh, c);
        }
    });
}

/// Given dout (B·T, C): dqkv (B·T, 3C) += the gradient through all four steps, for the same
/// `mask` as the forward pass. The softmax step uses
/// `dscore[t2] = att[t2] · (datt[t2] - Σ_j att[j] · datt[j])`; keys the mask forbids have zero
/// weight and get no gradient, so the causal case only walks keys `0..=t`.
#[allow(clippy::too_many_arguments)] // the op's buffers and shapes, as the forward's plus dout
pub fn self_attention_backward(dqkv: &mut [f32], dout: &[f32], qkv: &[f32], att: &[f32], t: usize, c: usize, nh: usize, mask: Mask) {
    let hs = c / nh;
    let scale_by = score_scale(hs);
    for_each_row_block(dqkv, t * 3 * c, |b0, dqkv| {
        let mut datt = vec![0.0f32; t];
        for (bi, dqkv_b) in dqkv.chunks_exact_mut(t * 3 * c).enumerate() {
            let b = b0 + bi;
            let qkv_b = &qkv[b * t * 3 * c..(b + 1) * t * 3 * c];
            let att_b = &att[b * nh * t * t..(b + 1) * nh * t * t];
            let dout_b = &dout[b * t * c..(b + 1) * t * c];
            for h in 0..nh {
                for ti in 0..t {
                    let keys = mask.visible_keys(ti, t);
                    let row = &att_b[(h * t + ti) * t..][..keys];
                    let d_o = &dout_b[ti * c + h * hs..][..hs];
                    // 4. weighted sum: datt[t2] = dout · v_t2, dv_t2 += att[t2] · dout
                    for (t2, &w) in row.iter().enumerate() {
                        let v = &qkv_b[t2 * 3 * c + 2 * c + h * hs..][..hs];
                        datt[t2] = dot(d_o, v);
                        let dv = &mut dqkv_b[t2 * 3 * c + 2 * c + h * hs..][..hs];
                        dv.iter_mut().zip(d_o).for_each(|(d, &g)| *d += w * g);
                    }
                    // 3–2. softmax, then 1. the scaled dot products
                    let weighted: f32 = row.iter().zip(&datt).map(|(w, d)| w * d).sum();
                    for (t2, &w) in row.iter().enumerate() {
                        let dscore = w * (datt[t2] - weighted) * scale_by;
                        let k = &qkv_b[t2 * 3 * c + c + h * hs..][..hs];
                        let dq = &mut dqkv_b[ti * 3 * c + h * hs..][..hs];
                        dq.iter_mut().zip(k).for_each(|(d, &kk)| *d += dscore * kk);
                        let q = &qkv_b[ti * 3 * c + h * hs..][..hs];
                        let dk = &mut dqkv_b[t2 * 3 * c + c + h * hs..][..hs];
                        dk.iter_mut().zip(q).for_each(|(d, &qq)| *d += dscore * qq);
                    }
                }
            }
        }
    });
}
