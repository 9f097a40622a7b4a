//! The SIMD CPU backend (to be written).

#[derive(Clone, Copy, Debug, Default)]
pub struct Simd;
