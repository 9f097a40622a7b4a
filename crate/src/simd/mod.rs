//! SIMD kernels over slices: the products where the time goes — the matrix products (linear
//! layers, LM head) and attention's `q · kᵀ` and `weights · v` — with vector inner loops. The
//! SIMD backend ([`crate::backend::simd`]) runs the engine's products on them and the trainer
//! its linear layers ([`crate::ops::linear`]); everything else costs O(T·C) and stays the
//! reference code of [`crate::ops`].
//!
//! Instruction sets, picked per call: AVX + FMA on x86 when the CPU has them (detected at run
//! time), simd128 in a wasm build with `+simd128`, and a portable twin everywhere else. See
//! [`lanes`] for the vector operations and [`kernels`] for the products built from them.
//!
//! The slice functions here have the same signatures as their reference twins in
//! [`crate::ops::linear`] and [`crate::ops::attention`], and are tested against them.

mod kernels;
mod lanes;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm32;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod x86;

use self::kernels::{Matrix, MatrixMut};

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

/// A tight loop of vector multiply-adds on the best lanes this machine has (the one-core peak
/// that [`crate::bench`] holds the matmul against): a value depending on every result, and the
/// flops done per iteration.
pub fn peak_loop(iterations: usize) -> (f32, usize) {
    dispatch!(peak_loop(iterations))
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
