//! # Attention Playground engine
//!
//! A GPT-2-architecture decoder written to be read, run natively and in the browser (wasm).
//!
//! Dimensions are named once, here, and used in every shape comment:
//!
//! | name | meaning                                             |
//! |------|-----------------------------------------------------|
//! | `T`  | tokens processed in this call (query positions)     |
//! | `TK` | key positions visible to them (`past + T` with a KV cache) |
//! | `C`  | channels, `n_embd`                                  |
//! | `NH` | attention heads, `n_head`                           |
//! | `HS` | head size, `C / NH`                                 |
//! | `V`  | vocabulary size                                     |
//! | `P`  | context length, `n_positions`                       |
//!
//! Module map: [`tensor`] (host tensors) → [`backend`] (one trait; scalar reference, SIMD CPU,
//! GPU) → [`attention`], [`gpt`] (the model, written once over any backend) → [`trace`] (what the
//! page displays) → [`engine`] (picks a backend at run time and reads results back). Weights come
//! from [`weights`], text from [`tokenizer`], sampling lives in [`sampling`], training in [`train`].
//! The `wasm` module is the only one that knows about JavaScript.

pub mod backend;
pub mod bench;
pub mod config;
pub mod engine;
pub mod error;
pub mod fill;
pub mod gpt;
pub mod ops;
pub mod parallel;
pub mod sampling;
pub mod tensor;
pub mod tokenizer;
pub mod trace;
pub mod train;
pub mod views;
pub mod weights;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

/// The attention op (its mask and recorded steps) by its short name.
pub use ops::attention;
pub use config::GptConfig;
pub use error::{Error, Result};
pub use tensor::Tensor;
