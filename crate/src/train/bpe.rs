//! Training the BPE tokenizer that both models share, with the `tokenizers` crate.
//!
//! BPE over Unicode characters, not bytes: the alphabet is every character of the training
//! data, so a character the data has is always a whole token or part of a longer one (`苹` is
//! never cut into byte pieces, as GPT-2's byte-level BPE cuts it). Merges learned from the data
//! make frequent words, e.g. `喜欢` or ` space`, single tokens. A character the data never had
//! falls back to its UTF-8 bytes, the tokens `<0x00>`…`<0xFF>` (SentencePiece's byte fallback),
//! so every string can still be encoded. `[MASK]` is a special token: typing it yields it.
//!
//! Words are split as GPT-2 splits them (a space stays with the word after it); tokens hold
//! their text as is, so decoding is concatenation (after turning byte tokens back into bytes).

use std::collections::HashSet;
use std::str::FromStr;

use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::models::TrainerWrapper;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::decoders::DecoderWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};

use crate::{Error, Result};

/// The special token the encoder learns to fill in.
pub const MASK_TOKEN: &str = "[MASK]";

/// GPT-2's pre-tokenizer pattern: contractions, words with the space before them, numbers,
/// punctuation runs, whitespace.
const WORDS: &str = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// Byte tokens, `[MASK]`: the tokens every vocabulary has besides the data's.
const FIXED_TOKENS: usize = 256 + 1;

/// A character-level BPE tokenizer with `vocab_size` tokens trained on `texts` (one line each),
/// whose alphabet is `alphabet` (pass every character of the training data, also those of
/// lines left out of `texts`), plus the 256 byte tokens and `[MASK]`.
pub fn train_tokenizer<S: AsRef<str> + Send>(
    texts: impl Iterator<Item = S> + Send,
    alphabet: HashSet<char>,
    vocab_size: usize,
) -> Result<Tokenizer> {
    let needed = alphabet.len() + FIXED_TOKENS;
    if vocab_size < needed {
        return Err(Error::Input(format!(
            "the data has {} distinct characters; with the 256 byte tokens and {MASK_TOKEN} the vocabulary needs at least {needed} tokens, got {vocab_size}",
            alphabet.len()
        )));
    }
    let words = Split::new(SplitPattern::Regex(WORDS.into()), SplitDelimiterBehavior::Isolated, false)
        .map_err(|e| Error::Tokenizer(format!("pre-tokenizer: {e}")))?;
    let mut tokenizer = Tokenizer::new(BPE::default());
    tokenizer.with_pre_tokenizer(Some(words));
    let decoder = Sequence::new(vec![DecoderWrapper::ByteFallback(ByteFallback::new()), DecoderWrapper::Fuse(Fuse::new())]);
    tokenizer.with_decoder(Some(decoder));
    let mut trainer: TrainerWrapper = BpeTrainerBuilder::new()
        .vocab_size(vocab_size - FIXED_TOKENS)
        .min_frequency(2)
        .initial_alphabet(alphabet)
        .show_progress(false)
        .build()
        .into();
    tokenizer.train(&mut trainer, texts).map_err(|e| Error::Tokenizer(format!("training: {e}")))?;

    // The trainer knows nothing of byte fallback: append the byte tokens after the learned ones
    // and switch it on, through the model's JSON (the crate has no setter for a trained BPE).
    let bad = |e: serde_json::Error| Error::Tokenizer(format!("adding byte fallback: {e}"));
    let mut json: serde_json::Value =
        serde_json::from_str(&tokenizer.to_string(false).map_err(|e| Error::Tokenizer(e.to_string()))?).map_err(bad)?;
    let model = &mut json["model"];
    model["byte_fallback"] = true.into();
    let vocab = model["vocab"].as_object_mut().ok_or_else(|| Error::Tokenizer("a BPE model without a vocabulary".into()))?;
    let learned = vocab.len();
    for byte in 0..=255u8 {
        vocab.insert(byte_token(byte), (learned + byte as usize).into());
    }
    let mut tokenizer = Tokenizer::from_str(&json.to_string()).map_err(|e| Error::Tokenizer(format!("adding byte fallback: {e}")))?;
    // lstrip: the space before `[MASK]` belongs to it, as it belongs to the word it hides
    // (` 喜欢`), so `小明 [MASK] 苹果` is three tokens, as `小明 喜欢 苹果` is.
    tokenizer.add_special_tokens(&[AddedToken::from(MASK_TOKEN, true).lstrip(true)]);
    Ok(tokenizer)
}

/// Byte fallback's name for a byte: `<0xE8>`.
pub fn byte_token(byte: u8) -> String {
    format!("<0x{byte:02X}>")
}
