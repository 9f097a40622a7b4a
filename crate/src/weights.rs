//! GPT-2 parameters, named as Hugging Face's checkpoints name them, and loading them from
//! `model.safetensors` bytes (no file system needed, so it works in wasm).
//!
//! Linear weights are stored `(in, out)`, as HF's `Conv1D` does, so `y = x · W + b`.

use serde::{Deserialize, Serialize};

use crate::Tensor;

/// `y = x · weight + bias`; weight (in, out), bias (out).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Linear<T> {
    pub weight: T,
    pub bias: T,
}

/// weight (gamma) and bias (beta), both (C).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerNorm<T> {
    pub weight: T,
    pub bias: T,
}

/// `h.{i}.*`: one transformer block.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlockWeights<T> {
    pub ln_1: LayerNorm<T>,
    /// `attn.c_attn`: (C, 3C), q k v side by side.
    pub c_attn: Linear<T>,
    /// `attn.c_proj`: (C, C).
    pub attn_c_proj: Linear<T>,
    pub ln_2: LayerNorm<T>,
    /// `mlp.c_fc`: (C, 4C).
    pub c_fc: Linear<T>,
    /// `mlp.c_proj`: (4C, C).
    pub mlp_c_proj: Linear<T>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GptWeights<T> {
    /// (V, C) token embedding; also the LM head unless `lm_head` is given.
    pub wte: T,
    /// (P, C) learned position embedding.
    pub wpe: T,
    pub h: Vec<BlockWeights<T>>,
    pub ln_f: LayerNorm<T>,
    /// (V, C) explicit, untied LM head, when the checkpoint has `lm_head.weight` different from wte.
    pub lm_head: Option<T>,
}

impl<T> Linear<T> {
    pub fn map<U>(&self, f: &mut impl FnMut(&T) -> U) -> Linear<U> {
        Linear { weight: f(&self.weight), bias: f(&self.bias) }
    }
}

impl<T> LayerNorm<T> {
    pub fn map<U>(&self, f: &mut impl FnMut(&T) -> U) -> LayerNorm<U> {
        LayerNorm { weight: f(&self.weight), bias: f(&self.bias) }
    }
}

impl<T> BlockWeights<T> {
    pub fn map<U>(&self, f: &mut impl FnMut(&T) -> U) -> BlockWeights<U> {
        BlockWeights {
            ln_1: self.ln_1.map(f),
            c_attn: self.c_attn.map(f),
            attn_c_proj: self.attn_c_proj.map(f),
            ln_2: self.ln_2.map(f),
            c_fc: self.c_fc.map(f),
            mlp_c_proj: self.mlp_c_proj.map(f),
        }
    }
}

impl<T> GptWeights<T> {
    /// The same parameters with every tensor converted, e.g. uploaded to a backend.
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> GptWeights<U> {
        GptWeights {
            wte: f(&self.wte),
            wpe: f(&self.wpe),
            h: self.h.iter().map(|b| b.map(&mut f)).collect(),
            ln_f: self.ln_f.map(&mut f),
            lm_head: self.lm_head.as_ref().map(&mut f),
        }
    }

    /// The LM head: (V, C), multiplied transposed.
    pub fn lm_head(&self) -> &T {
        self.lm_head.as_ref().unwrap_or(&self.wte)
    }
}

/// Host weights as loaded from a checkpoint.
pub type HostWeights = GptWeights<Tensor>;
