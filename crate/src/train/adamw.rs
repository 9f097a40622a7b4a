//! AdamW (Loshchilov & Hutter) with a linear warm-up then cosine decay of the learning rate, and
//! clipping of the global gradient norm.

use crate::Tensor;

/// A model's trainable tensors, in a fixed order, so that weights, gradients and optimiser
/// moments of the same shapes are walked in step. The GPT's [`crate::weights::HostWeights`] and
/// the recurrent net's [`crate::rnn::RnnWeights`] both are: one optimiser trains either.
pub trait Parameters {
    fn parameters_mut(&mut self) -> Vec<&mut Tensor>;
}

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
    /// First and second moments, one per parameter tensor, shaped like it.
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    /// Updates done so far.
    pub t: u32,
}

impl AdamW {
    /// Zero moments shaped like `weights` (only their shapes are read; [`Parameters`] lends
    /// the tensors mutably because the optimiser's step needs them so).
    pub fn new(config: AdamWConfig, weights: &mut impl Parameters) -> Self {
        let zeros: Vec<Tensor> = weights.parameters_mut().into_iter().map(|t| Tensor::zeros(t.shape.clone())).collect();
        Self { config, m: zeros.clone(), v: zeros, t: 0 }
    }

    /// One training update, as every trainer makes it after its forward pass: `backward` writes
    /// the loss's gradient into `grads` (zeroed first), which is clipped to a global norm of
    /// `max_norm` and applied at learning rate `lr`. Returns the norm before clipping.
    pub fn backward_and_step<W: Parameters>(&mut self, weights: &mut W, grads: &mut W, backward: impl FnOnce(&W, &mut W), max_norm: f32, lr: f32) -> f32 {
        grads.parameters_mut().into_iter().for_each(|g| g.data.fill(0.0));
        backward(weights, grads);
        let grad_norm = clip_grad_norm(grads, max_norm);
        self.step(weights, grads, lr);
        grad_norm
    }

    /// One update of `weights` with `grads` at learning rate `lr`.
    pub fn step<W: Parameters>(&mut self, weights: &mut W, grads: &mut W, lr: f32) {
        self.t += 1;
        let AdamWConfig { beta1, beta2, eps, weight_decay } = self.config;
        let correction1 = 1.0 - beta1.powi(self.t as i32);
        let correction2 = 1.0 - beta2.powi(self.t as i32);
        let tensors = weights
            .parameters_mut()
            .into_iter()
            .zip(grads.parameters_mut())
            .zip(self.m.iter_mut().zip(self.v.iter_mut()));
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
pub fn clip_grad_norm(grads: &mut impl Parameters, max_norm: f32) -> f32 {
    let mut tensors = grads.parameters_mut();
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
