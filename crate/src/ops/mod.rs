//! One module per operation: its reference forward, written to be read (plain loops, numbered
//! passes, shapes in comments), and its backward pass beside it. Each module's header names its
//! SIMD twin, its WGSL kernel file(s) and its tests, so a reader finds the three versions of an
//! op from one place, the way llm.c's `dev/cuda` pairs each kernel with its CPU reference.
//!
//! The scalar backend ([`crate::backend::scalar`]) is these functions behind the
//! [`crate::backend::Backend`] trait; the trainer ([`crate::train::model`]) calls them on
//! batches. Nothing else computes a forward pass.
//!
//! | op | reference + backward | SIMD twin | WGSL (`shaders/`) | tests (`crate/tests/`) |
//! |----|----------------------|-----------|-------------------|------------------------|
//! | embedding | [`embedding`] | — | `embed.wgsl` | golden, gpu, train |
//! | linear (matmul, LM head) | [`linear`] | `backend/simd.rs` `matmul`, `matmul_transposed` | `matmul.wgsl`, `matmul_transposed.wgsl` | simd, gpu, train |
//! | layernorm | [`layernorm`] | — | `layernorm.wgsl` | golden, gpu, train |
//! | gelu | [`gelu`] | — | `gelu.wgsl` | golden, gpu, train |
//! | softmax | [`softmax`] | — | `softmax.wgsl` | golden, gpu, mask |
//! | attention (scores, scale, mask, values) | [`attention`] | `backend/simd.rs` `attention_scores`, `attention_values` | `attention_scores.wgsl`, `scale.wgsl`, `mask.wgsl`, `attention_values.wgsl` | golden, mask, kv_cache, gpu, train |
//! | cross-entropy | [`cross_entropy`] | — | — | train |
//! | dropout | [`dropout`] | — | — | train |
//!
//! The residual add and the column split of `c_attn` are one line each and live in the scalar
//! backend (`shaders/add.wgsl`, `shaders/split_columns.wgsl` on the GPU).

pub mod attention;
pub mod cross_entropy;
pub mod dropout;
pub mod embedding;
pub mod gelu;
pub mod layernorm;
pub mod linear;
pub mod softmax;
