//! The SIMD CPU backend: the scalar reference's math with vector inner loops where the time
//! goes — the matrix products (linear layers, LM head) and attention's `q · kᵀ` and
//! `weights · v`, the kernels of [`crate::simd`]. Everything else (layernorm, GELU, softmax,
//! masking, …) costs O(T·C) and is delegated to [`super::scalar`], so there is one copy of that
//! code: [`crate::ops`].

use std::future::Future;

pub use crate::simd::{attention_scores, attention_values, instruction_set, matmul, matmul_transposed};
use super::scalar::{self, Scalar};
use super::{Backend, BackendKind};
use crate::ops::attention::Mask;
use crate::{Result, Tensor};

/// The SIMD CPU backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Simd;

impl Backend for Simd {
    type Tensor = Tensor;

    fn kind(&self) -> BackendKind {
        BackendKind::Simd
    }

    fn upload(&self, tensor: &Tensor) -> Tensor {
        tensor.clone()
    }

    fn shape<'a>(&self, tensor: &'a Tensor) -> &'a [usize] {
        &tensor.shape
    }

    fn read(&self, tensors: &[&Tensor]) -> impl Future<Output = Result<Vec<Tensor>>> {
        Scalar.read(tensors)
    }

    fn embed(&self, wte: &Tensor, wpe: &Tensor, ids: &[u32], pos0: usize) -> Tensor {
        Scalar.embed(wte, wpe, ids, pos0)
    }

    fn matmul(&self, x: &Tensor, w: &Tensor, bias: Option<&Tensor>) -> Tensor {
        let (m, k, n) = scalar::matmul_dims(x, w, bias);
        let mut out = Tensor::zeros([m, n]);
        matmul(&mut out.data, &x.data, &w.data, bias.map(|b| &b.data[..]), m, k, n);
        out
    }

    fn matmul_transposed(&self, x: &Tensor, w: &Tensor) -> Tensor {
        let (m, k, n) = scalar::matmul_transposed_dims(x, w);
        let mut out = Tensor::zeros([m, n]);
        matmul_transposed(&mut out.data, &x.data, &w.data, m, k, n);
        out
    }

    fn layernorm(&self, x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f32) -> Tensor {
        Scalar.layernorm(x, gamma, beta, eps)
    }

    fn gelu(&self, x: &Tensor) -> Tensor {
        Scalar.gelu(x)
    }

    fn add(&self, a: &Tensor, b: &Tensor) -> Tensor {
        Scalar.add(a, b)
    }

    fn split_columns(&self, x: &Tensor, n: usize) -> Vec<Tensor> {
        Scalar.split_columns(x, n)
    }

    fn concat_rows(&self, a: &Tensor, b: &Tensor) -> Tensor {
        Scalar.concat_rows(a, b)
    }

    fn slice_rows(&self, x: &Tensor, start: usize, end: usize) -> Tensor {
        Scalar.slice_rows(x, start, end)
    }

    fn attention_scores(&self, q: &Tensor, k: &Tensor, n_head: usize) -> Tensor {
        let (t, tk, c) = scalar::attention_scores_dims(q, k, n_head);
        let mut out = Tensor::zeros([n_head, t, tk]);
        attention_scores(&mut out.data, &q.data, &k.data, t, tk, n_head, c);
        out
    }

    fn scale(&self, x: &Tensor, s: f32) -> Tensor {
        Scalar.scale(x, s)
    }

    fn mask(&self, scores: &Tensor, mask: Mask, pos0: usize) -> Tensor {
        Scalar.mask(scores, mask, pos0)
    }

    fn softmax_rows(&self, x: &Tensor) -> Tensor {
        Scalar.softmax_rows(x)
    }

    fn attention_values(&self, weights: &Tensor, v: &Tensor) -> Tensor {
        let (n_head, t, tk, c) = scalar::attention_values_dims(weights, v);
        let mut out = Tensor::zeros([t, c]);
        attention_values(&mut out.data, &weights.data, &v.data, t, tk, n_head, c);
        out
    }
}
