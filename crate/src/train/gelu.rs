//! GELU, GPT-2's tanh approximation: `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`.
//! The forward pass is the scalar backend's; the backward pass is its derivative.

pub use crate::backend::scalar::gelu as gelu_forward;

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const CUBIC: f32 = 0.044_715;

/// dx += dy · gelu'(x)
pub fn gelu_backward(dx: &mut [f32], dy: &[f32], x: &[f32]) {
    for ((d, &g), &v) in dx.iter_mut().zip(dy).zip(x) {
        let u = SQRT_2_OVER_PI * (v + CUBIC * v * v * v);
        let th = u.tanh();
        let du_dx = SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * v * v);
        // d/dx [0.5 x (1 + tanh u)] = 0.5 (1 + tanh u) + 0.5 x (1 - tanh² u) du/dx
        *d += g * (0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * du_dx);
    }
}
