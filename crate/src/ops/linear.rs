//! The matrix products behind every linear layer and the LM head, forward and backward.
//!
//! ```text
//! linear forward    out = x · W + bias              x (M, K), W (K, N), bias (N)
//! linear backward   dx += dout · Wᵀ                 dW += xᵀ · dout,  dbias += Σ_rows dout
//! LM head           logits = x · headᵀ              x (M, C), head (V, C): wte when tied
//!                   dx += dlogits · head            dhead += dlogitsᵀ · x
//! ```
//!
//! [`matmul`] and [`matmul_transposed`] are the reference, plain loops. The trainer runs the
//! same products on the SIMD kernels ([`crate::simd::matmul`] and
//! [`crate::simd::matmul_transposed`], tested against the reference), with the rows of
//! each product split over threads.
//!
//! - SIMD twin: `simd/mod.rs` (`matmul`, `matmul_transposed`) over `simd/kernels.rs`.
//! - WGSL: `shaders/matmul.wgsl`, `shaders/matmul_transposed.wgsl`.
//! - Tests: `tests/simd.rs` and the kernels' own unit test (SIMD against this reference),
//!   `tests/gpu.rs` (WGSL against it), `tests/train.rs` (`matmul_…`, `linear_backward_…` and
//!   `tied_head_backward_matches_finite_differences`, `an_explicit_lm_head_is_trained_as_the_engine_runs_it`).

use crate::simd;
use crate::parallel::for_each_row_block;

/// Σ a[i] · b[i]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
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

/// Which product a threaded call computes, and whether it adds to `out` (gradients) or
/// overwrites it (activations).
#[derive(Clone, Copy)]
enum Product<'a> {
    /// a (M, K) · b (K, N) + bias
    Plain { bias: Option<&'a [f32]> },
    /// a (M, K) · b (N, K)ᵀ
    Transposed,
}

/// out (M, N) = a · b (or `+=` when `accumulate`) on the SIMD kernels, rows split over threads.
/// b is (K, N) for [`Product::Plain`], (N, K) for [`Product::Transposed`].
fn threaded(out: &mut [f32], a: &[f32], b: &[f32], k: usize, n: usize, product: Product, accumulate: bool) {
    let m = out.len() / n;
    assert_eq!(out.len(), m * n, "matmul: out is not (M, {n})");
    assert_eq!(a.len(), m * k, "matmul: a is not ({m}, {k})");
    assert_eq!(b.len(), k * n, "matmul: b is not ({k}, {n}) or ({n}, {k})");
    for_each_row_block(out, n, |row0, block| {
        let rows = block.len() / n;
        let a_block = &a[row0 * k..][..rows * k];
        // The kernels overwrite; a gradient is computed aside and added.
        let mut sum = if accumulate { vec![0.0; block.len()] } else { Vec::new() };
        let target = if accumulate { &mut sum[..] } else { &mut block[..] };
        match product {
            Product::Plain { bias } => simd::matmul(target, a_block, b, bias, rows, k, n),
            Product::Transposed => simd::matmul_transposed(target, a_block, b, rows, k, n),
        }
        if accumulate {
            block.iter_mut().zip(&sum).for_each(|(o, s)| *o += s);
        }
    });
}

/// out (M, N) = a (M, K) · b (K, N), or `+=` when `accumulate`: the product the trainer's
/// backward passes are made of.
pub fn matmul_threaded(out: &mut [f32], a: &[f32], b: &[f32], k: usize, n: usize, accumulate: bool) {
    threaded(out, a, b, k, n, Product::Plain { bias: None }, accumulate)
}

/// x (R, S) → (S, R)
pub fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert_eq!(x.len(), rows * cols, "transpose: x is not ({rows}, {cols})");
    let mut out = vec![0.0; x.len()];
    // Blocks of 32 × 32 keep both the reads and the writes within a few cache lines.
    const BLOCK: usize = 32;
    for r0 in (0..rows).step_by(BLOCK) {
        for c0 in (0..cols).step_by(BLOCK) {
            for r in r0..(r0 + BLOCK).min(rows) {
                for c in c0..(c0 + BLOCK).min(cols) {
                    out[c * rows + r] = x[r * cols + c];
                }
            }
        }
    }
    out
}

/// out (M, N) = x (M, K) · w (K, N) + bias (N)
pub fn linear_forward(out: &mut [f32], x: &[f32], w: &[f32], bias: &[f32], k: usize, n: usize) {
    threaded(out, x, w, k, n, Product::Plain { bias: Some(bias) }, false)
}

/// Given dout (M, N): dx (M, K) += dout · Wᵀ, dW (K, N) += xᵀ · dout, dbias (N) += Σ_rows dout.
#[allow(clippy::too_many_arguments)]
pub fn linear_backward(
    dx: &mut [f32],
    dw: &mut [f32],
    dbias: &mut [f32],
    dout: &[f32],
    x: &[f32],
    w: &[f32],
    k: usize,
    n: usize,
) {
    let m = dout.len() / n;
    // dout (M, N) · W (K, N)ᵀ: W's rows are the rows the transposed product dots with.
    threaded(dx, dout, w, n, k, Product::Transposed, true);
    matmul_threaded(dw, &transpose(x, m, k), dout, m, n, true);
    for row in dout.chunks_exact(n) {
        dbias.iter_mut().zip(row).for_each(|(d, g)| *d += g);
    }
}

/// The LM head: logits (M, V) = x (M, C) · head (V, C)ᵀ, where head is `wte` when tied (GPT-2)
/// or an explicit `lm_head.weight`.
pub fn head_forward(logits: &mut [f32], x: &[f32], head: &[f32], c: usize, v: usize) {
    threaded(logits, x, head, c, v, Product::Transposed, false)
}

/// Given dlogits (M, V): dx (M, C) += dlogits · head, dhead (V, C) += dlogitsᵀ · x.
pub fn head_backward(dx: &mut [f32], dhead: &mut [f32], dlogits: &[f32], x: &[f32], head: &[f32], c: usize, v: usize) {
    let m = dlogits.len() / v;
    matmul_threaded(dx, dlogits, head, v, c, true);
    matmul_threaded(dhead, &transpose(dlogits, m, v), x, m, c, true);
}
