//! AdamW (Loshchilov & Hutter) with a linear warm-up then cosine decay of the learning rate, and
//! clipping of the global gradient norm.

use super::model::{parameters_mut, zeros_like};
use crate::weights::HostWeights;

#[derive(Clone, Debug)]
pub struct AdamWConfig {
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// Applied to matrices (weights, embeddings), not to biases and LayerNorm parameters.
    pub weight_decay: f32,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self { beta1: 0.9, beta2: 0.95, eps: 1e-8, weight_decay: 0.1 }
    }
}

pub struct AdamW {
    pub config: AdamWConfig,
    /// First and second moments, shaped like the weights.
    m: HostWeights,
    v: HostWeights,
    /// Updates done so far.
    pub t: u32,
}

impl AdamW {
    pub fn new(config: AdamWConfig, weights: &HostWeights) -> Self {
        Self { config, m: zeros_like(weights), v: zeros_like(weights), t: 0 }
    }

    /// One update of `weights` with `grads` at learning rate `lr`.
    pub fn step(&mut self, weights: &mut HostWeights, grads: &mut HostWeights, lr: f32) {
        self.t += 1;
        let AdamWConfig { beta1, beta2, eps, weight_decay } = self.config;
        let correction1 = 1.0 - beta1.powi(self.t as i32);
        let correction2 = 1.0 - beta2.powi(self.t as i32);
        let tensors = parameters_mut(weights)
            .into_iter()
            .zip(parameters_mut(grads))
            .zip(parameters_mut(&mut self.m).into_iter().zip(parameters_mut(&mut self.v)));
        for ((w, g), (m, v)) in tensors {
            let decay = if w.shape.len() >= 2 { weight_decay } else { 0.0 };
            let params = w.data.iter_mut().zip(&g.data).zip(m.data.iter_mut().zip(v.data.iter_mut()));
            for ((p, &grad), (m, v)) in params {
                *m = beta1 * *m + (1.0 - beta1) * grad;
                *v = beta2 * *v + (1.0 - beta2) * grad * grad;
                let m_hat = *m / correction1;
                let v_hat = *v / correction2;
                *p -= lr * (m_hat / (v_hat.sqrt() + eps) + decay * *p);
            }
        }
    }
}

/// Scale `grads` so their global L2 norm is at most `max_norm`; returns the norm before clipping.
pub fn clip_grad_norm(grads: &mut HostWeights, max_norm: f32) -> f32 {
    let mut tensors = parameters_mut(grads);
    let norm = tensors.iter().flat_map(|t| &t.data).map(|&g| (g as f64) * (g as f64)).sum::<f64>().sqrt() as f32;
    if norm > max_norm {
        let scale = max_norm / norm;
        tensors.iter_mut().flat_map(|t| t.data.iter_mut()).for_each(|g| *g *= scale);
    }
    norm
}

/// Learning rate at `step` (0-based): linear warm-up to `max_lr` over `warmup` steps, then a
/// cosine from `max_lr` down to `min_lr` at `total` steps.
pub fn learning_rate(step: usize, warmup: usize, total: usize, max_lr: f32, min_lr: f32) -> f32 {
    if step < warmup {
        return max_lr * (step + 1) as f32 / warmup as f32;
    }
    let progress = ((step - warmup) as f32 / (total.saturating_sub(warmup)).max(1) as f32).min(1.0);
    min_lr + 0.5 * (max_lr - min_lr) * (1.0 + (std::f32::consts::PI * progress).cos())
}
