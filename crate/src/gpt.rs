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
use crate::weights::{BlockWeights, GptWeights};
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

/// The first `len` positions of an earlier causal pass, every row a longer pass over the same
/// first tokens would compute again (under the causal mask a position never sees later ones):
/// see [`Gpt::forward_after`]. Each tensor has `len` rows.
pub struct Prefix<T> {
    pub len: usize,
    /// (len, C)
    pub embeddings: T,
    pub layers: Vec<PrefixLayer<T>>,
    /// (len, C)
    pub final_norm: T,
    /// (len, V)
    pub logits: T,
}

/// One block's rows of a [`Prefix`], each (len, C).
pub struct PrefixLayer<T> {
    pub ln_1: T,
    pub q: T,
    pub k: T,
    pub v: T,
    pub after_attention: T,
    pub after_mlp: T,
}

impl Prefix<crate::Tensor> {
    /// The first `len` positions of a recorded causal pass from position 0.
    pub fn of(trace: &Trace<crate::Tensor>, len: usize) -> Self {
        let rows = |x: &crate::Tensor| x.rows_range(0, len);
        Prefix {
            len,
            embeddings: rows(&trace.embeddings),
            layers: trace
                .layers
                .iter()
                .map(|l| PrefixLayer {
                    ln_1: rows(&l.ln_1),
                    q: rows(&l.attention.q),
                    k: rows(&l.attention.k),
                    v: rows(&l.attention.v),
                    after_attention: rows(&l.after_attention),
                    after_mlp: rows(&l.after_mlp),
                })
                .collect(),
            final_norm: rows(&trace.final_norm),
            logits: rows(&trace.logits),
        }
    }

    /// The same rows, on a backend.
    pub fn upload<B: Backend>(&self, backend: &B) -> Prefix<B::Tensor> {
        self.map(|x| backend.upload(x))
    }
}

impl<T> Prefix<T> {
    /// The same structure with `f` applied to every tensor.
    pub fn map<U>(&self, f: impl Fn(&T) -> U) -> Prefix<U> {
        Prefix {
            len: self.len,
            embeddings: f(&self.embeddings),
            layers: self
                .layers
                .iter()
                .map(|l| PrefixLayer {
                    ln_1: f(&l.ln_1),
                    q: f(&l.q),
                    k: f(&l.k),
                    v: f(&l.v),
                    after_attention: f(&l.after_attention),
                    after_mlp: f(&l.after_mlp),
                })
                .collect(),
            final_norm: f(&self.final_norm),
            logits: f(&self.logits),
        }
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
            let (ln_1, q, k_new, v_new) = self.attention_inputs(block, &x);
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
            x = self.attention_residual(block, &x, &att);
            let after_attention = x.clone();
            x = self.mlp_residual(block, &x);

            if let Some(attention) = steps {
                layers.push(LayerTrace { ln_1, attention, after_attention, after_mlp: x.clone() });
            }
        }
        if let Some(c) = cache {
            c.len += ids.len();
        }
        let (final_norm, logits) = self.lm_head(&x);
        let trace = record.then(|| Trace {
            ids: ids.to_vec(),
            pos0,
            mask,
            backend: b.kind(),
            embeddings,
            layers,
            final_norm,
            logits: logits.clone(),
        });
        Ok(Forward { logits, trace })
    }

    /// The causal pass over `ids` (T tokens from position 0) when an earlier pass already ran
    /// their first `prefix.len` tokens: only the new positions go through the linear layers,
    /// the MLP and the LM head; attention runs for every query (it costs O(T²·C), little
    /// beside the linear layers' O(T·C²), and it is what makes the recorded (NH, T, T) steps
    /// the very numbers a full pass records). Every product computes each output row from
    /// that row alone, in the same order whatever the number of rows, so the trace returned —
    /// old rows taken from the prefix, new rows computed — equals [`Gpt::forward`]'s bit for bit.
    pub fn forward_after(&self, ids: &[u32], prefix: &Prefix<B::Tensor>) -> Result<Forward<B::Tensor>> {
        let b = &self.backend;
        let cfg = &self.config;
        self.check_input(ids, 0)?;
        let (p, t) = (prefix.len, ids.len());
        if p == 0 || p >= t || prefix.layers.len() != cfg.n_layer {
            return Err(Error::Input(format!("a prefix of {p} positions cannot start a pass over {t}")));
        }
        let w = &self.weights;
        let embeddings_new = b.embed(&w.wte, &w.wpe, &ids[p..], p); // (T - P, C)
        let mut x = embeddings_new.clone();
        let mut layers = Vec::new();
        for (block, old) in w.h.iter().zip(&prefix.layers) {
            let (ln_1, q, k, v) = self.attention_inputs(block, &x);
            let (q, k, v) = (b.concat_rows(&old.q, &q), b.concat_rows(&old.k, &k), b.concat_rows(&old.v, &v)); // (T, C)
            let (att, steps) = b.attention(&q, &k, &v, cfg.n_head, Mask::Causal, 0, true); // (T, C)
            x = self.attention_residual(block, &x, &b.slice_rows(&att, p, t));
            let after_attention = x.clone();
            x = self.mlp_residual(block, &x);
            layers.push(LayerTrace {
                ln_1: b.concat_rows(&old.ln_1, &ln_1),
                attention: steps.expect("attention was asked to record"),
                after_attention: b.concat_rows(&old.after_attention, &after_attention),
                after_mlp: b.concat_rows(&old.after_mlp, &x),
            });
        }
        let (final_norm, logits) = self.lm_head(&x); // (T - P, C), (T - P, V)
        let logits = b.concat_rows(&prefix.logits, &logits); // (T, V)
        let trace = Trace {
            ids: ids.to_vec(),
            pos0: 0,
            mask: Mask::Causal,
            backend: b.kind(),
            embeddings: b.concat_rows(&prefix.embeddings, &embeddings_new),
            layers,
            final_norm: b.concat_rows(&prefix.final_norm, &final_norm),
            logits: logits.clone(),
        };
        Ok(Forward { logits, trace: Some(trace) })
    }

    /// x: (T, C) → ln_1(x) and the q, k, v it projects to, each (T, C).
    fn attention_inputs(&self, block: &BlockWeights<B::Tensor>, x: &B::Tensor) -> (B::Tensor, B::Tensor, B::Tensor, B::Tensor) {
        let b = &self.backend;
        let ln_1 = b.layernorm(x, &block.ln_1.weight, &block.ln_1.bias, self.config.layer_norm_epsilon);
        let qkv = b.matmul(&ln_1, &block.c_attn.weight, Some(&block.c_attn.bias)); // (T, 3C)
        let mut parts = b.split_columns(&qkv, 3).into_iter();
        let (q, k, v) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        (ln_1, q, k, v)
    }

    /// x + c_proj(att): (T, C)
    fn attention_residual(&self, block: &BlockWeights<B::Tensor>, x: &B::Tensor, att: &B::Tensor) -> B::Tensor {
        let b = &self.backend;
        b.add(x, &b.matmul(att, &block.attn_c_proj.weight, Some(&block.attn_c_proj.bias)))
    }

    /// x + mlp_c_proj(gelu(c_fc(ln_2(x)))): (T, C)
    fn mlp_residual(&self, block: &BlockWeights<B::Tensor>, x: &B::Tensor) -> B::Tensor {
        let b = &self.backend;
        let ln_2 = b.layernorm(x, &block.ln_2.weight, &block.ln_2.bias, self.config.layer_norm_epsilon);
        let hidden = b.gelu(&b.matmul(&ln_2, &block.c_fc.weight, Some(&block.c_fc.bias))); // (T, 4C)
        b.add(x, &b.matmul(&hidden, &block.mlp_c_proj.weight, Some(&block.mlp_c_proj.bias)))
    }

    /// x: (T, C) → ln_f(x) (T, C) and the logits ln_f(x) · wteᵀ (T, V).
    fn lm_head(&self, x: &B::Tensor) -> (B::Tensor, B::Tensor) {
        let (b, w) = (&self.backend, &self.weights);
        let final_norm = b.layernorm(x, &w.ln_f.weight, &w.ln_f.bias, self.config.layer_norm_epsilon);
        let logits = b.matmul_transposed(&final_norm, w.lm_head());
        (final_norm, logits)
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
