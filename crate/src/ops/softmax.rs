//! Softmax over the last dimension: `p[i] = exp(x[i] - max) / Σ_j exp(x[j] - max)`. The row
//! max is subtracted first so exp never overflows; a row that is entirely -∞ (a query that may
//! see no key) becomes zeros: defined, not NaN.
//!
//! Its backward pass is folded into the ops that use it: [`super::attention`]'s backward and
//! [`super::cross_entropy`]'s.
//!
//! - SIMD twin: none (O(M·N); the SIMD backend calls [`softmax_rows`]).
//! - WGSL: `shaders/softmax.wgsl`.
//! - Tests: `tests/golden.rs` (against the reference script), `tests/gpu.rs`, `tests/mask.rs`.

/// Softmax of each row of x: (M, N) into `out`.
pub fn softmax_rows(out: &mut [f32], x: &[f32], n: usize) {
    for (out_row, x_row) in out.chunks_exact_mut(n).zip(x.chunks_exact(n)) {
        softmax_row(out_row, x_row);
    }
}

/// out = softmax(x) for one row; returns the row's max and Σ exp(x - max), from which
/// `ln p[i] = (x[i] - max) - ln Σ` (exact even where p underflows to 0). `None` for a row that
/// is entirely -∞, written as zeros.
pub fn softmax_row(out: &mut [f32], x: &[f32]) -> Option<(f32, f32)> {
    // 1. the row max, subtracted so exp never overflows
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if max == f32::NEG_INFINITY {
        out.fill(0.0);
        return None;
    }
    // 2. exponentials and their sum
    let mut sum = 0.0;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = (v - max).exp();
        sum += *o;
    }
    // 3. normalise
    for o in out.iter_mut() {
        *o /= sum;
    }
    Some((max, sum))
}
