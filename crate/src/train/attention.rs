//! Causal multi-head self-attention, from the fused q k v to the heads' concatenated outputs
//! (the output projection `c_proj` is an ordinary linear layer). For each sequence b, head h
//! and query t, with s = 1/√HS:
//!
//! ```text
//! scores[t2] = q_t · k_t2 · s            t2 ≤ t (causal)
//! att[t2]    = softmax(scores)[t2]
//! out_t      = Σ_t2 att[t2] · v_t2
//! ```
//!
//! Sequences are independent, so they are split over threads.

use super::parallel::{for_each_row_block, for_each_row_block2};
use crate::backend::scalar::dot;

/// qkv (B·T, 3C), q k v side by side as in `c_attn` → out (B·T, C); saves the softmax
/// weights att (B, NH, T, T), zero above the diagonal.
pub fn attention_forward(out: &mut [f32], att: &mut [f32], qkv: &[f32], t: usize, c: usize, nh: usize) {
    let hs = c / nh;
    let scale = 1.0 / (hs as f32).sqrt();
    for_each_row_block2(out, t * c, att, nh * t * t, |b0, out, att| {
        for (bi, (out_b, att_b)) in out.chunks_exact_mut(t * c).zip(att.chunks_exact_mut(nh * t * t)).enumerate() {
            let qkv_b = &qkv[(b0 + bi) * t * 3 * c..(b0 + bi + 1) * t * 3 * c];
            for h in 0..nh {
                for ti in 0..t {
                    let q = &qkv_b[ti * 3 * c + h * hs..][..hs];
                    let row = &mut att_b[(h * t + ti) * t..][..t];
                    // 1. scaled scores and their max
                    let mut max = f32::NEG_INFINITY;
                    for (t2, w) in row.iter_mut().enumerate().take(ti + 1) {
                        let k = &qkv_b[t2 * 3 * c + c + h * hs..][..hs];
                        *w = dot(q, k) * scale;
                        max = max.max(*w);
                    }
                    // 2. exp and sum, 3. normalise (the masked future stays 0)
                    let mut sum = 0.0;
                    for w in &mut row[..=ti] {
                        *w = (*w - max).exp();
                        sum += *w;
                    }
                    row[..=ti].iter_mut().for_each(|w| *w /= sum);
                    row[ti + 1..].iter_mut().for_each(|w| *w = 0.0);
                    // 4. weighted sum of the values
                    let o = &mut out_b[ti * c + h * hs..][..hs];
                    o.iter_mut().for_each(|x| *x = 0.0);
                    for (t2, &w) in row[..=ti].iter().enumerate() {
                        let v = &qkv_b[t2 * 3 * c + 2 * c + h * hs..][..hs];
                        o.iter_mut().zip(v).for_each(|(x, &vv)| *x += w * vv);
                    }
                }
            }
        }
    });
}

/// Given dout (B·T, C): dqkv (B·T, 3C) += the gradient through all four steps. The softmax step
/// uses `dscore[t2] = att[t2] · (datt[t2] - Σ_j att[j] · datt[j])`.
pub fn attention_backward(dqkv: &mut [f32], dout: &[f32], qkv: &[f32], att: &[f32], t: usize, c: usize, nh: usize) {
    let hs = c / nh;
    let scale = 1.0 / (hs as f32).sqrt();
    for_each_row_block(dqkv, t * 3 * c, |b0, dqkv| {
        let mut datt = vec![0.0f32; t];
        for (bi, dqkv_b) in dqkv.chunks_exact_mut(t * 3 * c).enumerate() {
            let b = b0 + bi;
            let qkv_b = &qkv[b * t * 3 * c..(b + 1) * t * 3 * c];
            let att_b = &att[b * nh * t * t..(b + 1) * nh * t * t];
            let dout_b = &dout[b * t * c..(b + 1) * t * c];
            for h in 0..nh {
                for ti in 0..t {
                    let row = &att_b[(h * t + ti) * t..][..=ti];
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
                        let dscore = w * (datt[t2] - weighted) * scale;
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
