//! The scalar reference backend: the reference math of [`crate::ops`] behind the [`Backend`]
//! trait. Every other backend is tested against this one, so it is written to be read, not to
//! be fast.
//!
//! The math lives in [`crate::ops`], one module per op, as free functions over slices (`out`
//! first, then inputs, then dimensions), which the trainer calls too; [`Scalar`]'s `Backend`
//! methods only check shapes, allocate the output and call them.

use std::future::Future;

use crate::backend::{Backend, BackendKind};
use crate::ops::attention::{apply_mask, attention_scores, attention_values, scale, split_columns, Mask};
use crate::ops::embedding::embed;
use crate::ops::gelu::gelu;
use crate::ops::layernorm::layernorm;
use crate::ops::linear::{matmul, matmul_transposed};
use crate::ops::residual::add_in_place;
use crate::ops::softmax::softmax_rows;
use crate::{Result, Tensor};

/// The reference CPU backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scalar;

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
        let mut out = a.clone();
        add_in_place(&mut out.data, &b.data);
        out
    }

    fn split_columns(&self, x: &Tensor, n: usize) -> Vec<Tensor> {
        let (m, cols) = dims2(x, "split_columns");
        assert!(n > 0 && cols % n == 0, "split_columns: {cols} columns do not split into {n}");
        let width = cols / n;
        let mut parts: Vec<Tensor> = (0..n).map(|_| Tensor::zeros([m, width])).collect();
        split_columns(&mut parts.iter_mut().map(|p| &mut p.data[..]).collect::<Vec<_>>(), &x.data, width);
        parts
    }

    fn concat_rows(&self, a: &Tensor, b: &Tensor) -> Tensor {
        let (m1, n) = dims2(a, "concat_rows a");
        let (m2, n2) = dims2(b, "concat_rows b");
        assert_eq!(n, n2, "concat_rows: a is {:?} but b is {:?}", a.shape, b.shape);
        Tensor::new([m1 + m2, n], [&a.data[..], &b.data[..]].concat())
    }

    fn slice_rows(&self, x: &Tensor, start: usize, end: usize) -> Tensor {
        dims2(x, "slice_rows x");
        x.rows_range(start, end)
    }

    fn attention_scores(&self, q: &Tensor, k: &Tensor, n_head: usize) -> Tensor {
        let (t, tk, c) = attention_scores_dims(q, k, n_head);
        let mut out = Tensor::zeros([n_head, t, tk]);
        attention_scores(&mut out.data, &q.data, &k.data, t, tk, n_head, c);
        out
    }

    fn scale(&self, x: &Tensor, s: f32) -> Tensor {
        let mut out = x.clone();
        scale(&mut out.data, s);
        out
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
