//! Tokenizer glue over the `tokenizers` crate (to be written).
