//! The SIMD CPU backend: the scalar reference's math with vector inner loops where the time
//! goes — the matrix products (linear layers, LM head) and attention's `q · kᵀ` and
//! `weights · v`. Everything else (layernorm, GELU, softmax, masking, …) costs O(T·C) and is
//! delegated to [`super::scalar`], so there is one copy of that code: [`crate::ops`].
//!
//! Instruction sets, picked per call: AVX + FMA on x86 when the CPU has them (detected at run
//! time), simd128 in a wasm build with `+simd128`, and a portable twin everywhere else. See
//! [`lanes`] for the vector operations and [`kernels`] for the products built from them.
//!
//! The slice functions here have the same signatures as their reference twins in
//! [`crate::ops::linear`] and [`crate::ops::attention`]; the trainer's linear layers run on them.

mod kernels;
mod lanes;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm32;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod x86;

use std::future::Future;

use self::kernels::{Matrix, MatrixMut};
use super::scalar::{self, Scalar};
use super::{Backend, BackendKind};
use crate::ops::attention::Mask;
use crate::{Result, Tensor};

/// The SIMD CPU backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Simd;

/// Which vector instructions this machine's kernels use: `"avx+fma"`, `"simd128"` or
/// `"portable"`.
pub fn instruction_set() -> &'static str {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if x86::avx_fma_detected() {
        return "avx+fma";
    }
    if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
        return "simd128";
    }
    "portable"
}

/// Call `kernels::$kernel` with the best [`lanes::Lanes`] this machine has.
macro_rules! dispatch {
    ($kernel:ident($($arg:expr),* $(,)?)) => {{
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        if x86::avx_fma_detected() {
            // SAFETY: the CPU has AVX and FMA, checked just above.
            return unsafe { x86::$kernel($($arg),*) };
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        // SAFETY: the module was compiled for simd128, so every engine running it has it.
        return unsafe { kernels::$kernel::<wasm32::Simd128>($($arg),*) };
        #[allow(unreachable_code)]
        // SAFETY: the portable lanes are plain Rust.
        unsafe { kernels::$kernel::<lanes::Portable>($($arg),*) }
    }};
}

/// out: (M, N) = x: (M, K) · w: (K, N) + bias: (N)
pub fn matmul(out: &mut [f32], x: &[f32], w: &[f32], bias: Option<&[f32]>, m: usize, k: usize, n: usize) {
    let (out, x, w) = (MatrixMut { data: out, stride: n }, Matrix { data: x, stride: k }, Matrix { data: w, stride: n });
    gemm(out, x, w, bias, m, k, n)
}

/// out: (M, N) = x: (M, K) · w: (N, K)ᵀ
pub fn matmul_transposed(out: &mut [f32], x: &[f32], w: &[f32], m: usize, k: usize, n: usize) {
    let (out, x, w) = (MatrixMut { data: out, stride: n }, Matrix { data: x, stride: k }, Matrix { data: w, stride: k });
    gemm_transposed(out, x, w, m, k, n)
}

/// out: (NH, T, TK), out[h] = q_h · k_hᵀ, where head h is columns h·HS..(h+1)·HS of
/// q: (T, C) and k: (TK, C) — strided views, no copies.
pub fn attention_scores(out: &mut [f32], q: &[f32], k: &[f32], t: usize, tk: usize, n_head: usize, c: usize) {
    let hs = c / n_head;
    for (h, scores_h) in out.chunks_exact_mut(t * tk).enumerate() {
        let q_h = Matrix { data: &q[h * hs..], stride: c };
        let k_h = Matrix { data: &k[h * hs..], stride: c };
        gemm_transposed(MatrixMut { data: scores_h, stride: tk }, q_h, k_h, t, hs, tk);
    }
}

/// out: (T, C), out_h = weights_h · v_h, with weights: (NH, T, TK), v: (TK, C); head h is
/// columns h·HS..(h+1)·HS of out and v.
pub fn attention_values(out: &mut [f32], weights: &[f32], v: &[f32], t: usize, tk: usize, n_head: usize, c: usize) {
    let hs = c / n_head;
    for h in 0..n_head {
        let weights_h = Matrix { data: &weights[h * t * tk..][..t * tk], stride: tk };
        let v_h = Matrix { data: &v[h * hs..], stride: c };
        gemm(MatrixMut { data: &mut out[h * hs..], stride: c }, weights_h, v_h, None, t, tk, hs);
    }
}

/// [`kernels::gemm`] on the best lanes available.
fn gemm(out: MatrixMut, x: Matrix, w: Matrix, bias: Option<&[f32]>, m: usize, k: usize, n: usize) {
    dispatch!(gemm(out, x, w, bias, m, k, n))
}

/// [`kernels::gemm_transposed`] on the best lanes available.
fn gemm_transposed(out: MatrixMut, x: Matrix, w: Matrix, m: usize, k: usize, n: usize) {
    dispatch!(gemm_transposed(out, x, w, m, k, n))
}

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
