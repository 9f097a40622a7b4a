//! Training the byte-level BPE tokenizer (GPT-2's scheme) on our corpus with the `tokenizers`
//! crate. Byte-level means every string can be encoded (the 256 bytes are in the vocabulary);
//! merges learned from the data make frequent words, e.g. `喜欢` or ` space`, single tokens.

use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::models::TrainerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::Tokenizer;

use crate::{Error, Result};

/// A byte-level BPE tokenizer with `vocab_size` tokens trained on `texts` (one document each).
/// No prefix space is added, so a line's first word is encoded as it appears in the data.
pub fn train_tokenizer<S: AsRef<str> + Send>(texts: impl Iterator<Item = S> + Send, vocab_size: usize) -> Result<Tokenizer> {
    if vocab_size <= 256 {
        return Err(Error::Input(format!("a byte-level vocabulary needs more than 256 tokens, got {vocab_size}")));
    }
    let byte_level = ByteLevel::default().add_prefix_space(false);
    let mut tokenizer = Tokenizer::new(BPE::default());
    tokenizer.with_pre_tokenizer(Some(byte_level));
    tokenizer.with_decoder(Some(byte_level));
    tokenizer.with_post_processor(Some(byte_level));
    let mut trainer: TrainerWrapper = BpeTrainerBuilder::new()
        .vocab_size(vocab_size)
        .min_frequency(2)
        .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
        .show_progress(false)
        .build()
        .into();
    tokenizer.train(&mut trainer, texts).map_err(|e| Error::Tokenizer(format!("training: {e}")))?;
    Ok(tokenizer)
}
