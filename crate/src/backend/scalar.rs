//! The scalar reference backend (to be written: plain loops as numbered passes).

/// The reference CPU backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scalar;
