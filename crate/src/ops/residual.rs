//! The residual connection: `x = x + sublayer(x)`, elementwise. Its backward pass is the
//! identity: the gradient reaches both the sub-layer and the stream unchanged.
//!
//! - SIMD twin: none (elementwise; the SIMD backend calls [`add_in_place`]).
//! - WGSL: `shaders/add.wgsl`.
//! - Tests: `tests/golden.rs`, `tests/gpu.rs`, `tests/train.rs` (the whole-model gradient).

/// acc += x, elementwise; same lengths.
pub fn add_in_place(acc: &mut [f32], x: &[f32]) {
    acc.iter_mut().zip(x).for_each(|(a, b)| *a += b);
}
