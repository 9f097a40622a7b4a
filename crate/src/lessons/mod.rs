//! What the lessons (`www/lessons.html`) compute beyond the playground's views: each chapter's
//! live view asks the engine one question of a real model and shows the answer. Computed
//! natively here (and printed by the CLI, which the browser tests compare against); the wasm
//! layer only passes them through.
//!
//! | chapter | module |
//! |---------|--------|
//! | 1 attention is alignment | [`alignment`] |
//! | 3 RNN vs attention | [`influence`] |
//! | 4 self-attention in layers | [`layers`] |
//! | 7 prompts and in-context learning | [`induction`] |

pub mod alignment;
pub mod induction;
pub mod influence;
pub mod layers;
