//! LayerNorm over each row: `y = (x - mean) / sqrt(var + eps) · gamma + beta`.

/// y, x: (M, C); gamma, beta: (C). Saves each row's mean and 1/std (M) for the backward pass.
#[allow(clippy::too_many_arguments)]
pub fn layernorm_forward(
    y: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    c: usize,
    eps: f32,
) {
    for (((y_row, x_row), m), s) in y.chunks_exact_mut(c).zip(x.chunks_exact(c)).zip(mean.iter_mut()).zip(rstd.iter_mut()) {
        // 1. mean, 2. (biased) variance, 3. normalise, scale and shift.
        let mu = x_row.iter().sum::<f32>() / c as f32;
        let var = x_row.iter().map(|v| (v - mu) * (v - mu)).sum::<f32>() / c as f32;
        let r = 1.0 / (var + eps).sqrt();
        for (((o, &v), g), b) in y_row.iter_mut().zip(x_row).zip(gamma).zip(beta) {
            *o = (v - mu) * r * g + b;
        }
        *m = mu;
        *s = r;
    }
}

/// Given dy (M, C): dx += …, dgamma += Σ_rows dy · x̂, dbeta += Σ_rows dy, where x̂ is the
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
    c: usize,
) {
    let rows = dx.chunks_exact_mut(c).zip(dy.chunks_exact(c)).zip(x.chunks_exact(c));
    for (((dx_row, dy_row), x_row), (&mu, &r)) in rows.zip(mean.iter().zip(rstd)) {
        let mut g_mean = 0.0;
        let mut g_xhat_mean = 0.0;
        for ((&d, &v), &w) in dy_row.iter().zip(x_row).zip(gamma) {
            let xhat = (v - mu) * r;
            g_mean += d * w;
            g_xhat_mean += d * w * xhat;
        }
        g_mean /= c as f32;
        g_xhat_mean /= c as f32;
        for i in 0..c {
            let xhat = (x_row[i] - mu) * r;
            dbeta[i] += dy_row[i];
            dgamma[i] += dy_row[i] * xhat;
            dx_row[i] += (dy_row[i] * gamma[i] - g_mean - xhat * g_xhat_mean) * r;
        }
    }
}
