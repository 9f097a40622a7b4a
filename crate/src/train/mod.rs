//! Training the GPT-2 architecture on the CPU, with a hand-written backward pass for every layer.
//! Each layer's forward and backward live with its op in [`crate::ops`]; this module only
//! strings them together.
//!
//! ```text
//! bpe        byte-level BPE tokenizer trained on the corpus (tokenizers crate)
//! data       token streams → train / validation batches
//! model      the whole forward with saved activations, and the whole backward, from the ops
//! adamw      optimiser, warm-up + cosine learning rate, gradient clipping
//! trainer    one step and validation loss (no files or threads: runs in wasm too)
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
pub mod model;
pub mod trainer;

pub use trainer::{StepReport, TrainConfig, Trainer};
