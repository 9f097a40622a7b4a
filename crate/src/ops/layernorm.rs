//! LayerNorm over each row: `y = (x - mean) / √(var + eps) · gamma + beta`, with the biased
//! variance (divide by N), as in GPT-2.
//!
//! - SIMD twin: none (O(M·N); the SIMD backend calls [`layernorm`]).
//! - WGSL: `shaders/layernorm.wgsl`.
//! - Tests: `tests/golden.rs`, `tests/gpu.rs`, `tests/train.rs`
//!   (`layernorm_backward_matches_finite_differences`).

/// y, x: (M, N); gamma, beta: (N). Also saves each row's mean and 1/std (M) for the backward
/// pass.
#[allow(clippy::too_many_arguments)]
pub fn layernorm_forward(
    y: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    n: usize,
    eps: f32,
) {
    let rows = y.chunks_exact_mut(n).zip(x.chunks_exact(n)).zip(mean.iter_mut().zip(rstd.iter_mut()));
    for ((y_row, x_row), (row_mean, row_rstd)) in rows {
        // 1. mean
        let mu = x_row.iter().sum::<f32>() / n as f32;
        // 2. variance around it
        let var = x_row.iter().map(|v| (v - mu) * (v - mu)).sum::<f32>() / n as f32;
        // 3. normalise, then gain and bias
        let r = 1.0 / (var + eps).sqrt();
        for (((o, &v), g), b) in y_row.iter_mut().zip(x_row).zip(gamma).zip(beta) {
            *o = (v - mu) * r * g + b;
        }
        *row_mean = mu;
        *row_rstd = r;
    }
}

/// out, x: (M, N); the forward pass when nothing is kept for a backward pass.
pub fn layernorm(out: &mut [f32], x: &[f32], gamma: &[f32], beta: &[f32], eps: f32, n: usize) {
    let rows = x.len().checked_div(n).unwrap_or(0);
    let (mut mean, mut rstd) = (vec![0.0; rows], vec![0.0; rows]);
    layernorm_forward(out, &mut mean, &mut rstd, x, gamma, beta, n, eps);
}

/// Given dy (M, N): dx += …, dgamma += Σ_rows dy · x̂, dbeta += Σ_rows dy, where x̂ is the
/// normalised input. With g = dy · gamma, each row's gradient is
/// `dx = (g - mean(g) - x̂ · mean(g · x̂)) · rstd`.
#[allow(clippy::too_many_arguments)]
pub fn layernorm_backward(
    dx: &mut [f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
    dy: &[f32],
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    rstd: &[f32],
    n: usize,
) {
    let rows = dx.chunks_exact_mut(n).zip(dy.chunks_exact(n)).zip(x.chunks_exact(n));
    for (((dx_row, dy_row), x_row), (&mu, &r)) in rows.zip(mean.iter().zip(rstd)) {
        let mut g_mean = 0.0;
        let mut g_xhat_mean = 0.0;
        for ((&d, &v), &w) in dy_row.iter().zip(x_row).zip(gamma) {
            let xhat = (v - mu) * r;
            g_mean += d * w;
            g_xhat_mean += d * w * xhat;
        }
        g_mean /= n as f32;
        g_xhat_mean /= n as f32;
        for i in 0..n {
            let xhat = (x_row[i] - mu) * r;
            dbeta[i] += dy_row[i];
            dgamma[i] += dy_row[i] * xhat;
            dx_row[i] += (dy_row[i] * gamma[i] - g_mean - xhat * g_xhat_mean) * r;
        }
    }
}
