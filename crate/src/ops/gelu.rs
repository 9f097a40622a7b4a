//! GELU, GPT-2's tanh approximation: `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`.
//!
//! - SIMD twin: none (elementwise; the SIMD backend calls [`gelu`]).
//! - WGSL: `shaders/gelu.wgsl`.
//! - Tests: `tests/golden.rs`, `tests/gpu.rs`, `tests/train.rs`
//!   (`gelu_backward_matches_finite_differences`).

const CUBIC: f32 = 0.044_715;

fn sqrt_2_over_pi() -> f32 {
    (2.0 / std::f32::consts::PI).sqrt()
}

/// out = gelu(x), elementwise.
pub fn gelu(out: &mut [f32], x: &[f32]) {
    let sqrt_2_over_pi = sqrt_2_over_pi();
    for (o, &v) in out.iter_mut().zip(x) {
        *o = 0.5 * v * (1.0 + (sqrt_2_over_pi * (v + CUBIC * v * v * v)).tanh());
    }
}

/// dx += dy · gelu'(x)
pub fn gelu_backward(dx: &mut [f32], dy: &[f32], x: &[f32]) {
    let sqrt_2_over_pi = sqrt_2_over_pi();
    for ((d, &g), &v) in dx.iter_mut().zip(dy).zip(x) {
        let u = sqrt_2_over_pi * (v + CUBIC * v * v * v);
        let th = u.tanh();
        let du_dx = sqrt_2_over_pi * (1.0 + 3.0 * CUBIC * v * v);
        // d/dx [0.5 x (1 + tanh u)] = 0.5 (1 + tanh u) + 0.5 x (1 - tanh² u) du/dx
        *d += g * (0.5 * (1.0 + th) + 0.5 * v * (1.0 - th * th) * du_dx);
    }
}
