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
//! Module map: [`tensor`] (host tensors) → [`ops`] (one module per operation: reference
//! forward and backward; [`simd`] their fast CPU products) → [`backend`] (one trait; scalar
//! reference = the ops, SIMD CPU, GPU) →
//! [`gpt`] (the model, written once over any backend) → [`trace`] (what the page displays) →
//! [`engine`] (picks a backend at run time and reads results back) → [`views`] (the page's views
//! of a pass). Weights come from [`weights`], text from [`tokenizer`], sampling lives in
//! [`sampling`], training in [`train`] (threads: [`parallel`]). [`rnn`] is the small
//! recurrent net (a GRU) that the lessons ([`lessons`]) set beside the GPT, built from the same
//! ops and trained by the same recipe. The `wasm` module is the only one that knows about
//! JavaScript; the CLI, the `train` command and the model card are the binary's
//! (`src/bin/attention-playground/`).
//!
//! ## Where each op lives
//!
//! | op | reference + backward | SIMD | WGSL (`shaders/`) | tests (`crate/tests/`) |
//! |----|----------------------|------|-------------------|------------------------|
//! | embedding | [`ops::embedding`] | the reference | `embed.wgsl` | golden, gpu, train |
//! | linear, LM head | [`ops::linear`] | [`simd::matmul`], [`simd::matmul_transposed`] | `matmul.wgsl`, `matmul_transposed.wgsl` | simd, gpu, train |
//! | layernorm | [`ops::layernorm`] | the reference | `layernorm.wgsl` | golden, gpu, train |
//! | gelu | [`ops::gelu`] | the reference | `gelu.wgsl` | golden, gpu, train |
//! | softmax | [`ops::softmax`] | the reference | `softmax.wgsl` | golden, gpu, mask |
//! | attention: q·kᵀ, scale, mask, Σ w·v | [`ops::attention`] | [`simd::attention_scores`], [`simd::attention_values`] | `attention_scores.wgsl`, `scale.wgsl`, `mask.wgsl`, `attention_values.wgsl` | golden, mask, kv_cache, gpu, train |
//! | residual add | [`ops::residual`] | the reference | `add.wgsl` | golden, gpu, train |
//! | split of `c_attn` into q, k, v | [`ops::attention::split_columns`] | the reference | `split_columns.wgsl` | golden, gpu, train |
//! | cross-entropy | [`ops::cross_entropy`] | — | — | train |
//! | dropout | [`ops::dropout`] | — | — | train |
//! | GRU cell (the recurrent net, [`rnn`]) | [`ops::gru`] | — | — | rnn (finite differences, golden) |
//!
//! "The reference": the SIMD backend runs that op's reference code (it costs O(T·C); only the
//! products are worth vectorising). The GPU kernels and their constants are listed in one table,
//! `backend/gpu/kernels.rs`. The trainer ([`train::model`]) calls the same ops, with its linear
//! layers on the SIMD products.

pub mod backend;
pub mod bench;
pub mod config;
pub mod engine;
pub mod error;
pub mod fill;
pub mod gpt;
pub mod lessons;
pub mod ops;
pub mod parallel;
pub mod rnn;
pub mod sampling;
pub mod simd;
pub mod tensor;
pub mod tokenizer;
pub mod trace;
pub mod train;
pub mod views;
pub mod weights;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
#[cfg(target_arch = "wasm32")]
pub mod wasm_rnn;

/// The attention op (its mask and recorded steps) by its short name.
pub use ops::attention;
pub use config::GptConfig;
pub use error::{Error, Result};
pub use tensor::Tensor;
