//! Training the GPT-2 architecture on the CPU, with a hand-written backward pass for every layer.
//!
//! ```text
//! bpe        byte-level BPE tokenizer trained on the corpus (tokenizers crate)
//! data       token streams → train / validation batches
//! embedding, layernorm, matmul (linear layers, tied LM head), attention, gelu, cross_entropy,
//! dropout    one forward and one backward function each; backward adds into gradients
//!            (dropout's backward writes the masked gradient to a buffer of its own)
//! model      the whole forward with saved activations, and the whole backward
//! adamw      optimiser, warm-up + cosine learning rate, gradient clipping
//! trainer    one step, validation loss, sampling (no files or threads: runs in wasm too)
//! cli, card  native only: `attention-playground train` with files, threads, a progress bar,
//!            and the model card written from the finished run
//! ```
//!
//! Shapes use the crate's names (B sequences of T tokens, C channels, NH heads, V tokens); row
//! `b·T + t` of a (B·T, ·) buffer belongs to token t of sequence b.

pub mod adamw;
pub mod attention;
pub mod bpe;
pub mod cross_entropy;
pub mod data;
pub mod dropout;
pub mod embedding;
pub mod gelu;
pub mod layernorm;
pub mod matmul;
pub mod model;
pub mod parallel;
pub mod trainer;

#[cfg(not(target_arch = "wasm32"))]
mod card;
#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
pub use cli::{run, Args};
pub use trainer::{StepReport, TrainConfig, Trainer};
