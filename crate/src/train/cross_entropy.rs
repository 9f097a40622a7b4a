//! Softmax cross-entropy over the vocabulary, averaged over all positions.

/// logits (M, V) → probs (M, V); returns the mean of `-ln probs[i, targets[i]]`.
pub fn cross_entropy_forward(probs: &mut [f32], logits: &[f32], targets: &[u32], v: usize) -> f32 {
    let mut total = 0.0f64;
    for ((p_row, l_row), &target) in probs.chunks_exact_mut(v).zip(logits.chunks_exact(v)).zip(targets) {
        // Max subtracted first so exp cannot overflow.
        let max = l_row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for (p, &l) in p_row.iter_mut().zip(l_row) {
            *p = (l - max).exp();
            sum += *p;
        }
        p_row.iter_mut().for_each(|p| *p /= sum);
        // ln p = (l - max) - ln Σ, exact even when p underflows to 0.
        total -= ((l_row[target as usize] - max) - sum.ln()) as f64;
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
