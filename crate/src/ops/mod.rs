//! One module per operation: its reference forward, written to be read (plain loops, numbered
//! passes, shapes in comments), and its backward pass beside it. Each module's header names its
//! SIMD twin, its WGSL kernel file(s) and its tests, so a reader finds the three versions of an
//! op from one place, the way llm.c's `dev/cuda` pairs each kernel with its CPU reference.
//!
//! The scalar backend ([`crate::backend::scalar`]) is these functions behind the
//! [`crate::backend::Backend`] trait; the trainer ([`crate::train::model`]) calls them on
//! batches. Nothing else computes a forward pass.
//!
//! The crate's documentation (`lib.rs`) has the map: for each op, where its reference, SIMD
//! and WGSL versions and its tests are.
//!
//! Two steps that are data movement rather than math also live here once: the residual add
//! ([`residual`]) and the split of `c_attn`'s fused output into q, k and v
//! ([`attention::split_columns`]).

pub mod attention;
pub mod cross_entropy;
pub mod dropout;
pub mod embedding;
pub mod gelu;
pub mod gru;
pub mod layernorm;
pub mod linear;
pub mod residual;
pub mod softmax;
