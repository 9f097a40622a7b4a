//! A small recurrent language model: a GRU (Cho et al., 2014, "Learning Phrase Representations
//! using RNN Encoder–Decoder"), the recurrent net the lessons set beside the GPT (chapter 3).
//!
//! An RNN reads the tokens one at a time and carries everything it knows about the past in one
//! vector, the hidden state h (H numbers). What an early token contributed survives only as
//! far as each later update keeps it; attention instead looks back at every earlier token
//! directly. That difference is what `lessons::influence` measures.
//!
//! Dimensions: T tokens, B sequences, E embedding channels, H hidden channels, V tokens of
//! the vocabulary. Gates are stored side by side in the order z | r | n (3H columns).
//!
//! ```text
//! x_t = wte[id_t]                                           (E)      token embedding
//! z_t = σ(x_t·W_x[z] + b_x[z] + h_{t-1}·W_h[z] + b_h[z])    (H)      update gate
//! r_t = σ(x_t·W_x[r] + b_x[r] + h_{t-1}·W_h[r] + b_h[r])    (H)      reset gate
//! n_t = tanh(x_t·W_x[n] + b_x[n] + r_t ⊙ (h_{t-1}·W_h[n] + b_h[n]))  (H)  candidate state
//! h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}                     (H)      h_0 = 0
//! y_t = h_t·W_p + b_p                                       (E)      projection
//! logits_t = y_t·wteᵀ                                       (V)      head tied to the embedding
//! ```
//!
//! (The reset gate acts on `h·W_h[n] + b_h[n]`, as cuDNN and PyTorch's `nn.GRU` do; the paper
//! puts it on h before the product. Both are GRUs; this one batches the recurrent product.)
//! The embedding is small and shared with the head so the weights stay small (V = 4000 rows).
//!
//! The products, the embedding and the cross-entropy are the GPT's ops ([`crate::ops`]), the
//! gate arithmetic is [`crate::ops::gru`]'s; this module strings them together. The backward
//! pass runs back through time; the tests (`crate/tests/rnn.rs`) check it by finite differences
//! and the forward pass against `tests/golden/reference_rnn.py`, an independent Python GRU.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::ops::cross_entropy::{cross_entropy_backward, cross_entropy_forward};
use crate::ops::embedding::{token_embedding_backward, token_embedding_forward};
use crate::ops::gru::{gru_cell_backward, gru_cell_forward};
use crate::ops::linear::{head_backward, head_forward, linear_backward, linear_forward};
use crate::train::adamw::Parameters;
use crate::train::model::check_ids;
use crate::weights::{parse_safetensors, read_tensor, save_named_tensors, standard_normal, SaveDtype};
use crate::{Error, Result, Tensor};

/// The recurrent net's `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RnnConfig {
    /// Always `"gru"`: says what the folder holds.
    pub architecture: String,
    /// V: number of tokens (the tokenizer's).
    pub vocab_size: usize,
    /// E: width of the token embedding (shared with the output head).
    pub n_embd: usize,
    /// H: width of the hidden state.
    pub n_hidden: usize,
    /// Where the tokenizer is, relative to the model's folder: the GPT's, so that both models
    /// read the same tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<String>,
}

/// Large enough for any model this project would train, small enough that a typo cannot make
/// the loader lay out absurd tensors.
const MAX_DIMENSION: usize = 1 << 20;

impl RnnConfig {
    pub fn gru(vocab_size: usize, n_embd: usize, n_hidden: usize) -> Self {
        Self { architecture: "gru".into(), vocab_size, n_embd, n_hidden, tokenizer: None }
    }

    pub fn from_json(text: &str) -> Result<Self> {
        let config: Self = serde_json::from_str(text).map_err(|e| Error::Model(format!("config.json of the recurrent net: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<()> {
        if self.architecture != "gru" {
            return Err(Error::Model(format!("config.json: architecture {:?} is not a recurrent net this engine runs (\"gru\")", self.architecture)));
        }
        for (name, value) in [("vocab_size", self.vocab_size), ("n_embd", self.n_embd), ("n_hidden", self.n_hidden)] {
            if value == 0 || value > MAX_DIMENSION {
                return Err(Error::Model(format!("config.json: {name} must be between 1 and {MAX_DIMENSION}, got {value}")));
            }
        }
        Ok(())
    }
}

/// The GRU's parameters, named as in `model.safetensors`.
#[derive(Clone, Debug, PartialEq)]
pub struct RnnWeights {
    /// (V, E) token embedding, also the output head.
    pub wte: Tensor,
    /// (E, 3H) input → gates z | r | n.
    pub weight_x: Tensor,
    /// (3H)
    pub bias_x: Tensor,
    /// (H, 3H) previous hidden state → gates z | r | n.
    pub weight_h: Tensor,
    /// (3H)
    pub bias_h: Tensor,
    /// (H, E) hidden state → embedding space, where the tied head scores it.
    pub proj_weight: Tensor,
    /// (E)
    pub proj_bias: Tensor,
}

impl RnnWeights {
    /// Each tensor's name and shape, in checkpoint order.
    pub fn layout(cfg: &RnnConfig) -> Vec<(&'static str, Vec<usize>)> {
        let (v, e, h) = (cfg.vocab_size, cfg.n_embd, cfg.n_hidden);
        vec![
            ("wte.weight", vec![v, e]),
            ("gru.weight_x", vec![e, 3 * h]),
            ("gru.bias_x", vec![3 * h]),
            ("gru.weight_h", vec![h, 3 * h]),
            ("gru.bias_h", vec![3 * h]),
            ("proj.weight", vec![h, e]),
            ("proj.bias", vec![e]),
        ]
    }

    fn from_tensors(mut tensors: Vec<Tensor>) -> Self {
        let mut next = || tensors.remove(0);
        Self {
            wte: next(),
            weight_x: next(),
            bias_x: next(),
            weight_h: next(),
            bias_h: next(),
            proj_weight: next(),
            proj_bias: next(),
        }
    }

    fn tensors(&self) -> [&Tensor; 7] {
        [&self.wte, &self.weight_x, &self.bias_x, &self.weight_h, &self.bias_h, &self.proj_weight, &self.proj_bias]
    }

    pub fn named_tensors(&self) -> Vec<(String, &Tensor)> {
        let names = ["wte.weight", "gru.weight_x", "gru.bias_x", "gru.weight_h", "gru.bias_h", "proj.weight", "proj.bias"];
        names.iter().map(|n| n.to_string()).zip(self.tensors()).collect()
    }

    /// Zeros of the same shapes: a gradient buffer.
    pub fn zeros(cfg: &RnnConfig) -> Self {
        Self::from_tensors(Self::layout(cfg).into_iter().map(|(_, shape)| Tensor::zeros(shape)).collect())
    }

    /// Fresh weights, deterministic in `seed`: every matrix N(0, 1/fan_in) so each gate's
    /// pre-activation starts near unit size, the embedding N(0, 0.1²), biases 0.
    pub fn random(cfg: &RnnConfig, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let tensors = Self::layout(cfg)
            .into_iter()
            .map(|(name, shape)| {
                let n = shape.iter().product();
                let std = match name {
                    "wte.weight" => 0.1,
                    _ if shape.len() == 2 => 1.0 / (shape[0] as f32).sqrt(),
                    _ => 0.0,
                };
                Tensor::new(shape, (0..n).map(|_| std * standard_normal(&mut rng)).collect())
            })
            .collect();
        Self::from_tensors(tensors)
    }

    /// Read `model.safetensors` bytes (f32, f16 or bf16); a missing, misshapen or unexpected
    /// tensor is an error that names it.
    pub fn load_safetensors(bytes: &[u8], cfg: &RnnConfig) -> Result<Self> {
        cfg.validate()?;
        let file = parse_safetensors(bytes)?;
        let layout = Self::layout(cfg);
        if let Some(extra) = file.names().into_iter().find(|n| !layout.iter().any(|(name, _)| name == n)) {
            return Err(Error::Model(format!("tensor `{extra}` is not part of a GRU (is config.json the one for this checkpoint?)")));
        }
        let tensors = layout.iter().map(|(name, shape)| read_tensor(&file, name, shape)).collect::<Result<Vec<_>>>()?;
        Ok(Self::from_tensors(tensors))
    }

    pub fn save_safetensors(&self, dtype: SaveDtype) -> Result<Vec<u8>> {
        save_named_tensors(&self.named_tensors(), dtype)
    }

    pub fn parameter_count(&self) -> usize {
        self.tensors().iter().map(|t| t.len()).sum()
    }
}

impl Parameters for RnnWeights {
    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        vec![
            &mut self.wte,
            &mut self.weight_x,
            &mut self.bias_x,
            &mut self.weight_h,
            &mut self.bias_h,
            &mut self.proj_weight,
            &mut self.proj_bias,
        ]
    }
}

/// Every intermediate of a forward pass over B sequences of T tokens, kept for the backward
/// pass. Rows are time-major — row `t·B + b` is token t of sequence b — so that the B hidden
/// states of one step are contiguous for the recurrent product. Inputs and targets are given
/// batch-major (`b·T + t`), like the GPT trainer's batches, and reordered here.
#[derive(Clone)]
pub struct RnnActivations {
    pub batch: usize,
    pub seq_len: usize,
    ids: Vec<u32>,    // (T·B) time-major
    x: Vec<f32>,      // (T·B, E) embeddings
    xw: Vec<f32>,     // (T·B, 3H) x·W_x + b_x
    hw: Vec<f32>,     // (T·B, 3H) h_{t-1}·W_h + b_h
    gates: Vec<f32>,  // (T·B, 3H) z, r, n after σ / tanh
    h: Vec<f32>,      // ((T+1)·B, H) h_0 = 0, then h_1 … h_T
    y: Vec<f32>,      // (T·B, E) projected states
    /// (T·B, V) time-major, filled by [`Self::forward`].
    pub logits: Vec<f32>,
    probs: Vec<f32>,  // (T·B, V)
}

impl RnnActivations {
    pub fn new(cfg: &RnnConfig, batch: usize, seq_len: usize) -> Result<Self> {
        if batch == 0 || seq_len == 0 {
            return Err(Error::Input("the recurrent net needs at least one token".into()));
        }
        let (n, e, h) = (batch * seq_len, cfg.n_embd, cfg.n_hidden);
        Ok(Self {
            batch,
            seq_len,
            ids: vec![0; n],
            x: vec![0.0; n * e],
            xw: vec![0.0; n * 3 * h],
            hw: vec![0.0; n * 3 * h],
            gates: vec![0.0; n * 3 * h],
            h: vec![0.0; (seq_len + 1) * batch * h],
            y: vec![0.0; n * e],
            // Sized by the first pass that needs them: reading a text only wants the last state.
            logits: Vec::new(),
            probs: Vec::new(),
        })
    }

    /// Batch-major (b·T + t) → time-major (t·B + b).
    fn time_major<T: Copy>(&self, batch_major: &[T]) -> Vec<T> {
        let (b, t) = (self.batch, self.seq_len);
        (0..t * b).map(|i| batch_major[(i % b) * t + i / b]).collect()
    }

    /// Run the recurrence over `ids` (B sequences of T tokens, batch-major): fills the hidden
    /// states h_1 … h_T, not the logits.
    pub fn forward_hidden(&mut self, w: &RnnWeights, cfg: &RnnConfig, ids: &[u32]) -> Result<()> {
        let (b, t, e, h) = (self.batch, self.seq_len, cfg.n_embd, cfg.n_hidden);
        check_ids(ids, b * t, cfg.vocab_size)?;
        self.ids = self.time_major(ids);
        // 1. every token's embedding and its share of the gates, in one product over all steps
        token_embedding_forward(&mut self.x, &w.wte.data, &self.ids, e);
        linear_forward(&mut self.xw, &self.x, &w.weight_x.data, &w.bias_x.data, e, 3 * h);
        // 2. the recurrence, one step at a time
        for step in 0..t {
            let rows = step * b..(step + 1) * b;
            let (past, future) = self.h.split_at_mut((step + 1) * b * h);
            let h_prev = &past[step * b * h..]; // (B, H)
            let h_next = &mut future[..b * h]; // (B, H)
            let hw = &mut self.hw[rows.start * 3 * h..rows.end * 3 * h]; // (B, 3H)
            linear_forward(hw, h_prev, &w.weight_h.data, &w.bias_h.data, h, 3 * h);
            let xw = &self.xw[rows.start * 3 * h..rows.end * 3 * h];
            let gates = &mut self.gates[rows.start * 3 * h..rows.end * 3 * h];
            gru_cell_forward(gates, h_next, xw, hw, h_prev, h);
        }
        Ok(())
    }

    /// The hidden state after token t of sequence b: (H).
    pub fn hidden(&self, b: usize, t: usize, cfg: &RnnConfig) -> &[f32] {
        let h = cfg.n_hidden;
        &self.h[((t + 1) * self.batch + b) * h..][..h]
    }

    /// Run `ids` (batch-major) through the whole model; fills `logits` (time-major).
    pub fn forward(&mut self, w: &RnnWeights, cfg: &RnnConfig, ids: &[u32]) -> Result<()> {
        self.forward_hidden(w, cfg, ids)?;
        let (e, h, v) = (cfg.n_embd, cfg.n_hidden, cfg.vocab_size);
        let states = &self.h[self.batch * h..]; // (T·B, H): h_1 … h_T
        linear_forward(&mut self.y, states, &w.proj_weight.data, &w.proj_bias.data, h, e);
        self.logits.resize(self.batch * self.seq_len * v, 0.0);
        head_forward(&mut self.logits, &self.y, &w.wte.data, e, v);
        Ok(())
    }

    /// The logits after token t of sequence b: (V).
    pub fn logits_at(&self, b: usize, t: usize, cfg: &RnnConfig) -> &[f32] {
        let v = cfg.vocab_size;
        &self.logits[(t * self.batch + b) * v..][..v]
    }

    /// Mean cross-entropy against `targets` (batch-major, one per token); fills `probs`.
    pub fn cross_entropy(&mut self, targets: &[u32], cfg: &RnnConfig) -> Result<f32> {
        check_ids(targets, self.batch * self.seq_len, cfg.vocab_size)?;
        if self.logits.is_empty() {
            return Err(Error::Input("the recurrent net has no logits yet: run forward first".into()));
        }
        let targets = self.time_major(targets);
        self.probs.resize(self.logits.len(), 0.0);
        Ok(cross_entropy_forward(&mut self.probs, &self.logits, &targets, cfg.vocab_size))
    }

    /// Gradients of the mean cross-entropy, after [`Self::forward`] and [`Self::cross_entropy`]
    /// on the same batch, are added to `grads` (zero it first for a fresh step).
    pub fn backward(&self, w: &RnnWeights, cfg: &RnnConfig, targets: &[u32], grads: &mut RnnWeights) {
        let (b, t, e, h, v) = (self.batch, self.seq_len, cfg.n_embd, cfg.n_hidden, cfg.vocab_size);
        let n = b * t;
        let targets = self.time_major(targets);
        // 1. the head and the projection, for all steps at once
        let mut dlogits = vec![0.0; n * v];
        cross_entropy_backward(&mut dlogits, &self.probs, &targets, v);
        let mut dy = vec![0.0; n * e];
        head_backward(&mut dy, &mut grads.wte.data, &dlogits, &self.y, &w.wte.data, e, v);
        let mut dstates = vec![0.0; n * h]; // (T·B, H): ∂loss/∂h_t through the output only
        let states = &self.h[b * h..];
        linear_backward(&mut dstates, &mut grads.proj_weight.data, &mut grads.proj_bias.data, &dy, states, &w.proj_weight.data, h, e);
        // 2. back through time: dh carries ∂loss/∂h_t from the later steps
        let mut dxw = vec![0.0; n * 3 * h]; // (T·B, 3H)
        let mut dh = vec![0.0; b * h]; // (B, H)
        let mut dhw = vec![0.0; b * 3 * h]; // (B, 3H)
        for step in (0..t).rev() {
            let rows = step * b..(step + 1) * b;
            dh.iter_mut().zip(&dstates[rows.start * h..rows.end * h]).for_each(|(d, s)| *d += s);
            let h_prev = &self.h[step * b * h..][..b * h];
            let gates = &self.gates[rows.start * 3 * h..rows.end * 3 * h];
            let hw = &self.hw[rows.start * 3 * h..rows.end * 3 * h];
            let dxw_step = &mut dxw[rows.start * 3 * h..rows.end * 3 * h];
            let mut dh_prev = vec![0.0; b * h];
            gru_cell_backward(dxw_step, &mut dhw, &mut dh_prev, &dh, gates, hw, h_prev, h);
            // hw = h_{t-1}·W_h + b_h
            linear_backward(&mut dh_prev, &mut grads.weight_h.data, &mut grads.bias_h.data, &dhw, h_prev, &w.weight_h.data, h, 3 * h);
            dh = dh_prev;
        }
        // 3. the input side of the gates, for all steps at once, and the embedding
        let mut dx = vec![0.0; n * e];
        linear_backward(&mut dx, &mut grads.weight_x.data, &mut grads.bias_x.data, &dxw, &self.x, &w.weight_x.data, e, 3 * h);
        token_embedding_backward(&mut grads.wte.data, &dx, &self.ids, e);
    }
}

/// A trained GRU ready to read text: the weights and their config.
pub struct Rnn {
    pub config: RnnConfig,
    pub weights: RnnWeights,
}

impl Rnn {
    pub fn new(config: RnnConfig, weights: RnnWeights) -> Self {
        Self { config, weights }
    }

    pub fn from_files(config_json: &str, safetensors: &[u8]) -> Result<Self> {
        let config = RnnConfig::from_json(config_json)?;
        let weights = RnnWeights::load_safetensors(safetensors, &config)?;
        Ok(Self { config, weights })
    }

    /// Logits for the token after the last of `ids`: (V). Only the last state is projected.
    pub fn next_token_logits(&self, ids: &[u32]) -> Result<Vec<f32>> {
        let cfg = &self.config;
        let mut activations = RnnActivations::new(cfg, 1, ids.len())?;
        activations.forward_hidden(&self.weights, cfg, ids)?;
        let (e, v) = (cfg.n_embd, cfg.vocab_size);
        let mut y = vec![0.0; e];
        linear_forward(&mut y, activations.hidden(0, ids.len() - 1, cfg), &self.weights.proj_weight.data, &self.weights.proj_bias.data, cfg.n_hidden, e);
        let mut logits = vec![0.0; v];
        head_forward(&mut logits, &y, &self.weights.wte.data, e, v);
        Ok(logits)
    }
}
