//! Fill-in-the-blank with the BERT-style encoder: each `[MASK]` in a text gets the tokens the
//! model would put there, most probable first. The encoder reads the whole text at once (the
//! bidirectional mask) and its logits at a `[MASK]` position score every token for that blank,
//! where a GPT's logits score the token after a position.
//!
//! The CLI's `fill` command, the page and the encoder's model card all read this one view.

use serde::Serialize;

use crate::engine::Engine;
use crate::ops::attention::Mask;
use crate::ops::softmax::softmax_row;
use crate::tokenizer::TextTokenizer;
use crate::views::token_label;
use crate::{Error, Result, Tensor};

/// One candidate for a blank.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    pub id: u32,
    /// The token as the page shows it (see [`token_label`]).
    pub text: String,
    pub probability: f32,
}

/// One `[MASK]`: its token position and its best candidates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MaskFill {
    pub position: usize,
    pub candidates: Vec<Candidate>,
}

/// Every `[MASK]` of a text, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FillView {
    pub masks: Vec<MaskFill>,
}

/// The id of the encoder's mask token in `tokenizer`.
pub fn mask_id(tokenizer: &TextTokenizer, mask_token: &str) -> Result<u32> {
    tokenizer
        .token_id(mask_token)
        .ok_or_else(|| Error::Tokenizer(format!("the tokenizer has no mask token {mask_token}")))
}

/// The `top` candidates for each position of `ids` that holds `mask_id`, from the encoder's
/// logits (T, V) for `ids`: softmax over the vocabulary at that position.
pub fn fill_from_logits(logits: &Tensor, ids: &[u32], mask_id: u32, tokenizer: &TextTokenizer, top: usize) -> Result<FillView> {
    let masks = mask_positions(ids, mask_id, tokenizer)?
        .into_iter()
        .map(|position| {
            let row = logits.row(position);
            let mut probabilities = vec![0.0; row.len()];
            softmax_row(&mut probabilities, row);
            let mut order: Vec<u32> = (0..row.len() as u32).collect();
            order.sort_by(|&a, &b| probabilities[b as usize].total_cmp(&probabilities[a as usize]).then(a.cmp(&b)));
            let candidates = order
                .into_iter()
                .take(top)
                .map(|id| Candidate { id, text: token_label(tokenizer, id), probability: probabilities[id as usize] })
                .collect();
            MaskFill { position, candidates }
        })
        .collect();
    Ok(FillView { masks })
}

/// Run `ids` through the encoder (bidirectional mask) and fill each `mask_id`.
pub async fn fill_in(engine: &mut Engine, ids: &[u32], mask_id: u32, tokenizer: &TextTokenizer, top: usize) -> Result<FillView> {
    mask_positions(ids, mask_id, tokenizer)?;
    let output = engine.forward(ids, Mask::Bidirectional, false).await?;
    fill_from_logits(&output.logits, ids, mask_id, tokenizer, top)
}

/// Where the blanks are; a text without one is an error.
fn mask_positions(ids: &[u32], mask_id: u32, tokenizer: &TextTokenizer) -> Result<Vec<usize>> {
    let positions: Vec<usize> = ids.iter().enumerate().filter(|&(_, &id)| id == mask_id).map(|(p, _)| p).collect();
    if positions.is_empty() {
        let mask = token_label(tokenizer, mask_id);
        return Err(Error::Input(format!("the text has no {mask} to fill in: type {mask} where a word should go")));
    }
    Ok(positions)
}
