//! Softmax cross-entropy over the vocabulary, averaged over all positions:
//! `loss = mean_i -ln softmax(logits_i)[target_i]`.
//!
//! - SIMD twin, WGSL: none (training runs on the CPU; the softmax is [`super::softmax`]'s).
//! - Tests: `tests/train.rs` (`cross_entropy_backward_matches_finite_differences`).

use super::softmax::softmax_row;

/// logits (M, V) → probs (M, V); returns the mean of `-ln probs[i, targets[i]]`.
pub fn cross_entropy_forward(probs: &mut [f32], logits: &[f32], targets: &[u32], v: usize) -> f32 {
    let mut total = 0.0f64;
    for ((p_row, l_row), &target) in probs.chunks_exact_mut(v).zip(logits.chunks_exact(v)).zip(targets) {
        total -= match softmax_row(p_row, l_row) {
            // ln p = (l - max) - ln Σ, exact even when p underflows to 0.
            Some((max, sum)) => ((l_row[target as usize] - max) - sum.ln()) as f64,
            None => f64::NEG_INFINITY,
        };
    }
    (total / targets.len() as f64) as f32
}

/// dlogits = (probs - onehot(targets)) / M: the gradient of the mean loss.
pub fn cross_entropy_backward(dlogits: &mut [f32], probs: &[f32], targets: &[u32], v: usize) {
    let scale = 1.0 / targets.len() as f32;
    for ((d_row, p_row), &target) in dlogits.chunks_exact_mut(v).zip(probs.chunks_exact(v)).zip(targets) {
        for (d, &p) in d_row.iter_mut().zip(p_row) {
            *d = p * scale;
        }
        d_row[target as usize] -= scale;
    }
}
