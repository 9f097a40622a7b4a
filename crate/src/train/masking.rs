//! BERT's masked-language-model recipe: choose 15 % of the positions; of those, 80 % become
//! `[MASK]`, 10 % a random token and 10 % stay as they are. The model sees the corrupted
//! sequence and is scored only on the chosen positions, against the tokens that were there.
//! The random and kept tokens make it predict every position's own token too, not only behind
//! `[MASK]`, which it never meets outside training.

use rand::Rng;

use crate::{Error, Result};

/// Share of positions chosen for prediction.
pub const CHOSEN: f32 = 0.15;
/// Of the chosen positions: share replaced by the mask token, then by a random token (the rest
/// keep theirs).
pub const TO_MASK: f32 = 0.8;
pub const TO_RANDOM: f32 = 0.1;

/// One masked batch: the corrupted input, and what the model must say where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedBatch {
    /// (B·T) the input with chosen positions corrupted.
    pub ids: Vec<u32>,
    /// Chosen positions (rows of the B·T input), ascending.
    pub positions: Vec<usize>,
    /// The original token at each chosen position.
    pub targets: Vec<u32>,
}

/// Corrupt `ids` (B·T) by BERT's recipe. Random replacements are drawn from `0..vocab_size`
/// except `mask_id`. At least one position is chosen, so the loss is always defined.
pub fn mask_tokens(ids: &[u32], mask_id: u32, vocab_size: usize, rng: &mut impl Rng) -> Result<MaskedBatch> {
    if ids.is_empty() {
        return Err(Error::Input("nothing to mask: the batch is empty".into()));
    }
    if mask_id as usize >= vocab_size || vocab_size < 2 {
        return Err(Error::Input(format!("mask token {mask_id} is outside the vocabulary of {vocab_size}")));
    }
    let mut positions: Vec<usize> = (0..ids.len()).filter(|_| rng.random::<f32>() < CHOSEN).collect();
    if positions.is_empty() {
        positions.push(rng.random_range(0..ids.len()));
    }
    let mut corrupted = ids.to_vec();
    for &p in &positions {
        let roll = rng.random::<f32>();
        if roll < TO_MASK {
            corrupted[p] = mask_id;
        } else if roll < TO_MASK + TO_RANDOM {
            // Uniform over the vocabulary without the mask token.
            let r = rng.random_range(0..vocab_size as u32 - 1);
            corrupted[p] = if r >= mask_id { r + 1 } else { r };
        }
    }
    let targets = positions.iter().map(|&p| ids[p]).collect();
    Ok(MaskedBatch { ids: corrupted, positions, targets })
}
