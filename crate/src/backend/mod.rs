//! Backends: where the arithmetic happens. One small trait, one method per op; the model
//! ([`crate::gpt`]) is written once against it.
//!
//! - [`scalar`]: the reference, plain loops written as numbered passes. Kept forever; every
//!   other backend is tested against it.
//! - [`simd`]: the same ops with SIMD inner loops (simd128 in wasm, SSE/AVX natively).
//! - [`gpu`]: WGSL compute shaders through wgpu (WebGPU in the browser); tensors stay on the GPU
//!   and are read back only when asked.
//!
//! Ops take tensors that live on the backend and return new ones; shapes are checked at entry
//! (a mismatch is an engine bug, so it panics). Reading back to the host is the only fallible,
//! possibly asynchronous step: see [`Backend::read`].

pub mod gpu;
pub mod scalar;
pub mod simd;

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::ops::attention::{score_scale, AttentionSteps, Mask};
use crate::{Result, Tensor};

/// Which implementation runs the math.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Scalar,
    Simd,
    Gpu,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Scalar => "scalar",
            BackendKind::Simd => "simd",
            BackendKind::Gpu => "gpu",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "scalar" | "cpu" => Ok(BackendKind::Scalar),
            "simd" => Ok(BackendKind::Simd),
            "gpu" | "webgpu" => Ok(BackendKind::Gpu),
            other => Err(crate::Error::Input(format!(
                "unknown backend {other:?} (expected scalar, simd or gpu)"
            ))),
        }
    }
}

pub trait Backend {
    /// A row-major `f32` tensor living wherever this backend computes.
    type Tensor: Clone;

    fn kind(&self) -> BackendKind;

    /// Copy a host tensor onto the backend.
    fn upload(&self, tensor: &Tensor) -> Self::Tensor;

    fn shape<'a>(&self, tensor: &'a Self::Tensor) -> &'a [usize];

    /// Copy tensors back to the host, in order. CPU backends are ready at once; the GPU maps
    /// staging buffers (asynchronous in the browser) and reports a lost device here.
    fn read(&self, tensors: &[&Self::Tensor]) -> impl Future<Output = Result<Vec<Tensor>>>;

    /// wte: (V, C), wpe: (P, C), ids: T tokens at positions `pos0..pos0+T` → (T, C)
    fn embed(&self, wte: &Self::Tensor, wpe: &Self::Tensor, ids: &[u32], pos0: usize) -> Self::Tensor;

    /// x: (M, K) · w: (K, N) + bias: (N) → (M, N)
    fn matmul(&self, x: &Self::Tensor, w: &Self::Tensor, bias: Option<&Self::Tensor>) -> Self::Tensor;

    /// x: (M, K) · w: (N, K)ᵀ → (M, N). The tied LM head multiplies by the token embedding.
    fn matmul_transposed(&self, x: &Self::Tensor, w: &Self::Tensor) -> Self::Tensor;

    /// Normalise each row of x: (M, N) to zero mean and unit variance, then · gamma + beta.
    fn layernorm(&self, x: &Self::Tensor, gamma: &Self::Tensor, beta: &Self::Tensor, eps: f32) -> Self::Tensor;

    /// GELU, tanh approximation (GPT-2's), elementwise.
    fn gelu(&self, x: &Self::Tensor) -> Self::Tensor;

    /// a + b elementwise (the residual connection); same shapes.
    fn add(&self, a: &Self::Tensor, b: &Self::Tensor) -> Self::Tensor;

    /// x: (M, n·W) → n tensors (M, W); splits the fused c_attn output into q, k, v.
    fn split_columns(&self, x: &Self::Tensor, n: usize) -> Vec<Self::Tensor>;

    /// a: (M1, N), b: (M2, N) → (M1 + M2, N); appends new keys/values to the KV cache.
    fn concat_rows(&self, a: &Self::Tensor, b: &Self::Tensor) -> Self::Tensor;

    /// x: (M, N) → rows `start..end`: (end - start, N); an incremental pass keeps only the new
    /// positions' rows of attention's output.
    fn slice_rows(&self, x: &Self::Tensor, start: usize, end: usize) -> Self::Tensor;

    /// q: (T, C), k: (TK, C) → (NH, T, TK): for each head, every query dotted with every key.
    fn attention_scores(&self, q: &Self::Tensor, k: &Self::Tensor, n_head: usize) -> Self::Tensor;

    /// x · s elementwise.
    fn scale(&self, x: &Self::Tensor, s: f32) -> Self::Tensor;

    /// scores: (NH, T, TK) → same, with -∞ where `mask` forbids the query at absolute position
    /// `pos0 + t` to see key `j`.
    fn mask(&self, scores: &Self::Tensor, mask: Mask, pos0: usize) -> Self::Tensor;

    /// Softmax over the last dimension, max subtracted first; a row that is all -∞ becomes zeros.
    fn softmax_rows(&self, x: &Self::Tensor) -> Self::Tensor;

    /// weights: (NH, T, TK), v: (TK, C) → (T, C): each head's weighted sum of its slice of v.
    fn attention_values(&self, weights: &Self::Tensor, v: &Self::Tensor) -> Self::Tensor;

    /// Whole attention; by default the composition of the steps above (see
    /// [`crate::ops::attention`]), the reference every fused kernel must match. A backend may
    /// fuse it when `record` is false, but must then give the same `out`. `pos0` is the
    /// absolute position of the first query row.
    ///
    /// q: (T, C), k: (TK, C), v: (TK, C) → out (T, C)
    #[allow(clippy::too_many_arguments)]
    fn attention(
        &self,
        q: &Self::Tensor,
        k: &Self::Tensor,
        v: &Self::Tensor,
        n_head: usize,
        mask: Mask,
        pos0: usize,
        record: bool,
    ) -> (Self::Tensor, Option<AttentionSteps<Self::Tensor>>) {
        let head_size = self.shape(q)[1] / n_head;
        let scores = self.attention_scores(q, k, n_head); // (NH, T, TK)
        let scaled = self.scale(&scores, score_scale(head_size));
        let masked = self.mask(&scaled, mask, pos0);
        let weights = self.softmax_rows(&masked);
        let out = self.attention_values(&weights, v); // (T, C)
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
}
