//! The scalar reference backend: plain loops, one numbered pass at a time, in the spirit of
//! llm.c's `train_gpt2.c`. Every other backend is tested against this one, so it is written
//! to be read, not to be fast.
//!
//! The math lives in free functions over slices (`out` first, then inputs, then dimensions),
//! so the SIMD backend and the trainer can call them directly; [`Scalar`]'s `Backend` methods
//! only check shapes, allocate the output and call them.

use std::future::Future;

use crate::attention::Mask;
use crate::backend::{Backend, BackendKind};
use crate::{Result, Tensor};

/// The reference CPU backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scalar;

// ---------------------------------------------------------------------------------------------
// The math, on slices.

/// out: (T, C) = wte[ids[t]] + wpe[pos0 + t]
/// wte: (V, C), wpe: (P, C)
pub fn embed(out: &mut [f32], wte: &[f32], wpe: &[f32], ids: &[u32], pos0: usize, c: usize) {
    for (t, &id) in ids.iter().enumerate() {
        let token = &wte[id as usize * c..][..c];
        let position = &wpe[(pos0 + t) * c..][..c];
        let out_t = &mut out[t * c..][..c];
        for i in 0..c {
            out_t[i] = token[i] + position[i];
        }
    }
}

/// out: (M, N) = x: (M, K) · w: (K, N) + bias: (N)
///
/// Loop order i, k, j: each output row accumulates `x[i, k] · w[k, :]`, so the innermost loop
/// walks a contiguous row of `w` instead of striding down a column.
pub fn matmul(out: &mut [f32], x: &[f32], w: &[f32], bias: Option<&[f32]>, m: usize, k: usize, n: usize) {
    for i in 0..m {
        let out_i = &mut out[i * n..][..n];
        match bias {
            Some(b) => out_i.copy_from_slice(b),
            None => out_i.fill(0.0),
        }
        let x_i = &x[i * k..][..k];
        for (kk, &a) in x_i.iter().enumerate() {
            let w_k = &w[kk * n..][..n];
            for j in 0..n {
                out_i[j] += a * w_k[j];
            }
        }
    }
}

/// out: (M, N) = x: (M, K) · w: (N, K)ᵀ — every row of x dotted with every row of w.
pub fn matmul_transposed(out: &mut [f32], x: &[f32], w: &[f32], m: usize, k: usize, n: usize) {
    for i in 0..m {
        let x_i = &x[i * k..][..k];
        for j in 0..n {
            out[i * n + j] = dot(x_i, &w[j * k..][..k]);
        }
    }
}

/// Σ a[i] · b[i]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Each row of x: (M, N) normalised, then scaled and shifted: out = (x - mean) / √(var + eps) · gamma + beta.
/// gamma, beta: (N). The variance is the biased one (divide by N), as in GPT-2.
pub fn layernorm(out: &mut [f32], x: &[f32], gamma: &[f32], beta: &[f32], eps: f32, n: usize) {
    for (out_row, x_row) in out.chunks_exact_mut(n).zip(x.chunks_exact(n)) {
        // 1. mean
        let mean = x_row.iter().sum::<f32>() / n as f32;
        // 2. variance around it
        let var = x_row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n as f32;
        // 3. normalise, then gain and bias
        let rstd = 1.0 / (var + eps).sqrt();
        for i in 0..n {
            out_row[i] = (x_row[i] - mean) * rstd * gamma[i] + beta[i];
        }
    }
}

/// GELU, GPT-2's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
pub fn gelu(out: &mut [f32], x: &[f32]) {
    let sqrt_2_over_pi = (2.0 / std::f32::consts::PI).sqrt();
    for (o, &v) in out.iter_mut().zip(x) {
        *o = 0.5 * v * (1.0 + (sqrt_2_over_pi * (v + 0.044715 * v * v * v)).tanh());
    }
}

/// Softmax of each row of x: (M, N), in place in `out`.
/// A row that is entirely -∞ (every key masked) becomes zeros: defined, not NaN.
pub fn softmax_rows(out: &mut [f32], x: &[f32], n: usize) {
    for (out_row, x_row) in out.chunks_exact_mut(n).zip(x.chunks_exact(n)) {
        // 1. the row max, subtracted so exp never overflows
        let max = x_row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if max == f32::NEG_INFINITY {
            out_row.fill(0.0);
            continue;
        }
        // 2. exponentials and their sum
        let mut sum = 0.0;
        for (o, &v) in out_row.iter_mut().zip(x_row) {
            *o = (v - max).exp();
            sum += *o;
        }
        // 3. normalise
        for o in out_row.iter_mut() {
            *o /= sum;
        }
    }
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

// ---------------------------------------------------------------------------------------------
// Shape checks, shared with the SIMD backend. A mismatch is an engine bug, so they panic.

/// (rows, cols) of a 2-D tensor.
pub(crate) fn dims2(x: &Tensor, what: &str) -> (usize, usize) {
    assert_eq!(x.shape.len(), 2, "{what}: expected a 2-D tensor, got shape {:?}", x.shape);
    (x.shape[0], x.shape[1])
}

/// (NH, T, TK) of a 3-D tensor of attention scores.
pub(crate) fn dims3(x: &Tensor, what: &str) -> (usize, usize, usize) {
    assert_eq!(x.shape.len(), 3, "{what}: expected (NH, T, TK), got shape {:?}", x.shape);
    (x.shape[0], x.shape[1], x.shape[2])
}

/// x: (M, K), w: (K, N), bias: (N) → (M, K, N)
pub(crate) fn matmul_dims(x: &Tensor, w: &Tensor, bias: Option<&Tensor>) -> (usize, usize, usize) {
    let (m, k) = dims2(x, "matmul x");
    let (k2, n) = dims2(w, "matmul w");
    assert_eq!(k, k2, "matmul: x is {:?} but w is {:?}", x.shape, w.shape);
    if let Some(b) = bias {
        assert_eq!(b.shape, [n], "matmul: bias {:?} does not match {n} outputs", b.shape);
    }
    (m, k, n)
}

/// x: (M, K), w: (N, K) → (M, K, N)
pub(crate) fn matmul_transposed_dims(x: &Tensor, w: &Tensor) -> (usize, usize, usize) {
    let (m, k) = dims2(x, "matmul_transposed x");
    let (n, k2) = dims2(w, "matmul_transposed w");
    assert_eq!(k, k2, "matmul_transposed: x is {:?} but w is {:?}", x.shape, w.shape);
    (m, k, n)
}

/// q: (T, C), k: (TK, C) → (T, TK, C)
pub(crate) fn attention_scores_dims(q: &Tensor, k: &Tensor, n_head: usize) -> (usize, usize, usize) {
    let (t, c) = dims2(q, "attention q");
    let (tk, c2) = dims2(k, "attention k");
    assert_eq!(c, c2, "attention: q is {:?} but k is {:?}", q.shape, k.shape);
    assert!(n_head > 0 && c % n_head == 0, "attention: {c} channels do not split into {n_head} heads");
    (t, tk, c)
}

/// weights: (NH, T, TK), v: (TK, C) → (NH, T, TK, C)
pub(crate) fn attention_values_dims(weights: &Tensor, v: &Tensor) -> (usize, usize, usize, usize) {
    let (n_head, t, tk) = dims3(weights, "attention weights");
    let (tk2, c) = dims2(v, "attention v");
    assert_eq!(tk, tk2, "attention: weights are {:?} but v is {:?}", weights.shape, v.shape);
    assert!(c % n_head == 0, "attention: {c} channels do not split into {n_head} heads");
    (n_head, t, tk, c)
}

// ---------------------------------------------------------------------------------------------
// The backend: check shapes, allocate, call the math above.

impl Backend for Scalar {
    type Tensor = Tensor;

    fn kind(&self) -> BackendKind {
        BackendKind::Scalar
    }

    fn upload(&self, tensor: &Tensor) -> Tensor {
        tensor.clone()
    }

    fn shape<'a>(&self, tensor: &'a Tensor) -> &'a [usize] {
        &tensor.shape
    }

    fn read(&self, tensors: &[&Tensor]) -> impl Future<Output = Result<Vec<Tensor>>> {
        std::future::ready(Ok(tensors.iter().map(|t| (*t).clone()).collect()))
    }

    fn embed(&self, wte: &Tensor, wpe: &Tensor, ids: &[u32], pos0: usize) -> Tensor {
        let (v, c) = dims2(wte, "wte");
        let (p, c2) = dims2(wpe, "wpe");
        assert_eq!(c, c2, "embed: wte is {:?} but wpe is {:?}", wte.shape, wpe.shape);
        assert!(pos0 + ids.len() <= p, "embed: positions {pos0}..{} exceed {p}", pos0 + ids.len());
        assert!(ids.iter().all(|&id| (id as usize) < v), "embed: token id outside the vocabulary of {v}");
        let mut out = Tensor::zeros([ids.len(), c]);
        embed(&mut out.data, &wte.data, &wpe.data, ids, pos0, c);
        out
    }

    fn matmul(&self, x: &Tensor, w: &Tensor, bias: Option<&Tensor>) -> Tensor {
        let (m, k, n) = matmul_dims(x, w, bias);
        let mut out = Tensor::zeros([m, n]);
        matmul(&mut out.data, &x.data, &w.data, bias.map(|b| &b.data[..]), m, k, n);
        out
    }

    fn matmul_transposed(&self, x: &Tensor, w: &Tensor) -> Tensor {
        let (m, k, n) = matmul_transposed_dims(x, w);
        let mut out = Tensor::zeros([m, n]);
        matmul_transposed(&mut out.data, &x.data, &w.data, m, k, n);
        out
    }

    fn layernorm(&self, x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f32) -> Tensor {
        let n = x.cols();
        assert_eq!(gamma.shape, [n], "layernorm: gamma {:?} for rows of {n}", gamma.shape);
        assert_eq!(beta.shape, [n], "layernorm: beta {:?} for rows of {n}", beta.shape);
        let mut out = Tensor::zeros(x.shape.clone());
        layernorm(&mut out.data, &x.data, &gamma.data, &beta.data, eps, n);
        out
    }

    fn gelu(&self, x: &Tensor) -> Tensor {
        let mut out = Tensor::zeros(x.shape.clone());
        gelu(&mut out.data, &x.data);
        out
    }

    fn add(&self, a: &Tensor, b: &Tensor) -> Tensor {
        assert_eq!(a.shape, b.shape, "add: shapes differ");
        Tensor::new(a.shape.clone(), a.data.iter().zip(&b.data).map(|(x, y)| x + y).collect())
    }

    fn split_columns(&self, x: &Tensor, n: usize) -> Vec<Tensor> {
        let (m, cols) = dims2(x, "split_columns");
        assert!(n > 0 && cols % n == 0, "split_columns: {cols} columns do not split into {n}");
        let width = cols / n;
        (0..n)
            .map(|part| {
                let data = x.data.chunks_exact(cols).flat_map(|row| &row[part * width..][..width]).copied().collect();
                Tensor::new([m, width], data)
            })
            .collect()
    }

    fn concat_rows(&self, a: &Tensor, b: &Tensor) -> Tensor {
        let (m1, n) = dims2(a, "concat_rows a");
        let (m2, n2) = dims2(b, "concat_rows b");
        assert_eq!(n, n2, "concat_rows: a is {:?} but b is {:?}", a.shape, b.shape);
        Tensor::new([m1 + m2, n], [&a.data[..], &b.data[..]].concat())
    }

    fn attention_scores(&self, q: &Tensor, k: &Tensor, n_head: usize) -> Tensor {
        let (t, tk, c) = attention_scores_dims(q, k, n_head);
        let mut out = Tensor::zeros([n_head, t, tk]);
        attention_scores(&mut out.data, &q.data, &k.data, t, tk, n_head, c);
        out
    }

    fn scale(&self, x: &Tensor, s: f32) -> Tensor {
        Tensor::new(x.shape.clone(), x.data.iter().map(|v| v * s).collect())
    }

    fn mask(&self, scores: &Tensor, mask: Mask, pos0: usize) -> Tensor {
        let (_, t, tk) = dims3(scores, "mask");
        let mut out = scores.clone();
        apply_mask(&mut out.data, t, tk, mask, pos0);
        out
    }

    fn softmax_rows(&self, x: &Tensor) -> Tensor {
        let mut out = Tensor::zeros(x.shape.clone());
        softmax_rows(&mut out.data, &x.data, x.cols());
        out
    }

    fn attention_values(&self, weights: &Tensor, v: &Tensor) -> Tensor {
        let (n_head, t, tk, c) = attention_values_dims(weights, v);
        let mut out = Tensor::zeros([t, c]);
        attention_values(&mut out.data, &weights.data, &v.data, t, tk, n_head, c);
        out
    }
}
