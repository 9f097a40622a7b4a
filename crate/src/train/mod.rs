//! Training the GPT-2 architecture on the CPU, with a hand-written backward pass for every layer.
//! Each layer's forward and backward live with its op in [`crate::ops`]; this module only
//! strings them together.
//!
//! ```text
//! bpe        character-level BPE tokenizer with byte fallback, trained on the corpus
//! data       token streams → train / validation batches
//! masking    BERT's recipe: which positions the encoder must fill in, and how they are hidden
//! model      the whole forward with saved activations, and the whole backward, from the ops
//! adamw      optimiser, warm-up + cosine learning rate, gradient clipping
//! trainer    one step and validation loss (no files or threads: runs in wasm too)
//! recurrent  the same for the recurrent net (crate::rnn): same data, optimiser and loss
//! ```
//!
//! The `train` command (files, threads, a progress bar) and the model card belong to the
//! binary: `src/bin/attention-playground/`. What a trained model writes is the engine's to say.
//!
//! Shapes use the crate's names (B sequences of T tokens, C channels, NH heads, V tokens); row
//! `b·T + t` of a (B·T, ·) buffer belongs to token t of sequence b.

pub mod adamw;
pub mod bpe;
pub mod data;
pub mod masking;
pub mod model;
pub mod recurrent;
pub mod trainer;

pub use trainer::{StepReport, Train, TrainConfig, TrainObjective, Trainer};
