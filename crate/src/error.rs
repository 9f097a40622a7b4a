//! One error type for the whole engine. Every failure a user can cause (a bad file, bad text,
//! no GPU) becomes one of these with a message that says what to do; nothing panics.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// The weights file or config is unusable; the message names the tensor or field.
    #[error("model: {0}")]
    Model(String),
    /// Tokenizer could not be loaded or could not encode the text.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The caller asked for something out of range (empty input, too many tokens, bad option).
    #[error("input: {0}")]
    Input(String),
    /// The GPU could not be used (no adapter, limits too small, device lost).
    #[error("gpu: {0}")]
    Gpu(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
