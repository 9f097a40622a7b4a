//! Dropout (the "inverted" kind GPT-2 trains with): while training, each activation of a
//! sub-layer's output is zeroed with probability p and the survivors are scaled by 1/(1-p), so
//! the expected value is unchanged and inference uses the weights as they are. It keeps a small
//! model from memorising a small corpus.
//!
//! ```text
//! mask[i] = 0 with probability p, else 1/(1-p)
//! y = x ⊙ mask            dx = dy ⊙ mask
//! ```
//!
//! - SIMD twin, WGSL: none (training only; inference runs without dropout).
//! - Tests: `tests/train.rs` (`dropout_zeroes_about_p_and_keeps_the_expected_value` and the
//!   whole-model gradient check with dropout on).

use rand::Rng;

use crate::{Error, Result};

/// A dropout probability must be in [0, 1): at 1 nothing would survive.
pub fn check_dropout(p: f32) -> Result<()> {
    if (0.0..1.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::Input(format!("dropout must be in [0, 1), got {p}")))
    }
}

/// Fill `mask` with a fresh draw for dropout probability `p` (0 ≤ p < 1).
pub fn dropout_mask(mask: &mut [f32], p: f32, rng: &mut impl Rng) {
    let keep = 1.0 / (1.0 - p);
    mask.iter_mut().for_each(|m| *m = if rng.random::<f32>() < p { 0.0 } else { keep });
}

/// x = x ⊙ mask, in place.
pub fn dropout_forward(x: &mut [f32], mask: &[f32]) {
    x.iter_mut().zip(mask).for_each(|(x, m)| *x *= m);
}

/// dx (overwritten) = dy ⊙ mask.
pub fn dropout_backward(dx: &mut [f32], dy: &[f32], mask: &[f32]) {
    dx.iter_mut().zip(dy).zip(mask).for_each(|((d, g), m)| *d = g * m);
}
