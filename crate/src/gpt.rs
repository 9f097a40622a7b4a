//! The GPT-2 decoder, written once over any [`Backend`]:
//!
//! ```text
//! x = wte[ids] + wpe[pos]                                   (T, C)
//! for each block:
//!     x = x + c_proj(attention(ln_1(x)))                    (T, C)
//!     x = x + mlp_c_proj(gelu(c_fc(ln_2(x))))               (T, C)
//! logits = ln_f(x) · wteᵀ                                   (T, V)
//! ```

use crate::ops::attention::Mask;
use crate::backend::Backend;
use crate::trace::{LayerTrace, Trace};
use crate::weights::GptWeights;
use crate::{Error, GptConfig, Result};

/// Keys and values of every position seen so far, per layer: each (TK, C). Lets generation
/// process one new token per step instead of the whole sequence.
pub struct KvCache<T> {
    pub layers: Vec<Option<(T, T)>>,
    /// Number of positions already cached (the next token's absolute position).
    pub len: usize,
}

impl<T> KvCache<T> {
    pub fn new(n_layer: usize) -> Self {
        Self { layers: (0..n_layer).map(|_| None).collect(), len: 0 }
    }
}

/// What a forward pass returns, still on the backend.
pub struct Forward<T> {
    /// (T, V)
    pub logits: T,
    pub trace: Option<Trace<T>>,
}

/// A model ready to run: config, and weights uploaded to its backend.
pub struct Gpt<B: Backend> {
    pub config: GptConfig,
    pub backend: B,
    pub weights: GptWeights<B::Tensor>,
}

impl<B: Backend> Gpt<B> {
    pub fn new(config: GptConfig, backend: B, weights: &GptWeights<crate::Tensor>) -> Self {
        let weights = weights.map(|t| backend.upload(t));
        Self { config, backend, weights }
    }

    /// Run `ids` (T tokens) through the model. With a cache, they continue the cached sequence
    /// and their keys/values are appended to it; the causal mask then uses absolute positions.
    pub fn forward(
        &self,
        ids: &[u32],
        mask: Mask,
        cache: Option<&mut KvCache<B::Tensor>>,
        record: bool,
    ) -> Result<Forward<B::Tensor>> {
        let b = &self.backend;
        let cfg = &self.config;
        let pos0 = cache.as_ref().map_or(0, |c| c.len);
        self.check_input(ids, pos0)?;
        if cache.is_some() && mask == Mask::Bidirectional {
            return Err(Error::Input("a KV cache only makes sense with the causal mask".into()));
        }
        let w = &self.weights;

        let embeddings = b.embed(&w.wte, &w.wpe, ids, pos0); // (T, C)
        let mut x = embeddings.clone();
        let mut layers = Vec::new();
        let mut cache = cache;
        for (l, block) in w.h.iter().enumerate() {
            // --- attention sub-layer
            let ln_1 = b.layernorm(&x, &block.ln_1.weight, &block.ln_1.bias, cfg.layer_norm_epsilon);
            let qkv = b.matmul(&ln_1, &block.c_attn.weight, Some(&block.c_attn.bias)); // (T, 3C)
            let mut parts = b.split_columns(&qkv, 3).into_iter();
            let (q, k_new, v_new) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
            // Keys and values of all visible positions: (TK, C).
            let (k, v) = match cache.as_deref_mut() {
                Some(c) => {
                    let kv = match c.layers[l].take() {
                        Some((k_old, v_old)) => (b.concat_rows(&k_old, &k_new), b.concat_rows(&v_old, &v_new)),
                        None => (k_new, v_new),
                    };
                    c.layers[l] = Some(kv.clone());
                    kv
                }
                None => (k_new, v_new),
            };
            let (att, steps) = b.attention(&q, &k, &v, cfg.n_head, mask, pos0, record); // (T, C)
            let proj = b.matmul(&att, &block.attn_c_proj.weight, Some(&block.attn_c_proj.bias));
            x = b.add(&x, &proj);
            let after_attention = x.clone();

            // --- MLP sub-layer
            let ln_2 = b.layernorm(&x, &block.ln_2.weight, &block.ln_2.bias, cfg.layer_norm_epsilon);
            let hidden = b.gelu(&b.matmul(&ln_2, &block.c_fc.weight, Some(&block.c_fc.bias))); // (T, 4C)
            let mlp = b.matmul(&hidden, &block.mlp_c_proj.weight, Some(&block.mlp_c_proj.bias));
            x = b.add(&x, &mlp);

            if let Some(attention) = steps {
                layers.push(LayerTrace { ln_1, attention, after_attention, after_mlp: x.clone() });
            }
        }
        if let Some(c) = cache {
            c.len += ids.len();
        }
        let final_norm = b.layernorm(&x, &w.ln_f.weight, &w.ln_f.bias, cfg.layer_norm_epsilon);
        let logits = b.matmul_transposed(&final_norm, w.lm_head()); // (T, V)
        let trace = record.then(|| Trace {
            ids: ids.to_vec(),
            pos0,
            mask,
            embeddings,
            layers,
            final_norm,
            logits: logits.clone(),
        });
        Ok(Forward { logits, trace })
    }

    fn check_input(&self, ids: &[u32], pos0: usize) -> Result<()> {
        let cfg = &self.config;
        if ids.is_empty() {
            return Err(Error::Input("no tokens to run".into()));
        }
        if pos0 + ids.len() > cfg.n_positions {
            return Err(Error::Input(format!(
                "{} tokens exceed the model's context of {} positions",
                pos0 + ids.len(),
                cfg.n_positions
            )));
        }
        if let Some(&bad) = ids.iter().find(|&&id| id as usize >= cfg.vocab_size) {
            return Err(Error::Input(format!("token id {bad} is outside the vocabulary of {}", cfg.vocab_size)));
        }
        Ok(())
    }
}
