//! GPT-2 written with candle-core/candle-nn, as candle's docs write models (weights by
//! checkpoint name): the peer our backends are measured against, natively (`src/main.rs`) and
//! built for wasm in headless Chromium (`tests/browser.rs`). It loads the same safetensors bytes
//! our loader does, F16 or F32, converting to f32 as ours does.

use attention_playground::GptConfig;
use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::LayerNorm;

/// The position reached and every layer's keys and values so far, each (TK, C).
pub type CandleCache = (usize, Vec<Option<(Tensor, Tensor)>>);

/// The model: its weights as f32 tensors on candle's CPU device.
pub struct CandleGpt {
    config: GptConfig,
    wte: Tensor,
    wpe: Tensor,
    blocks: Vec<CandleBlock>,
    ln_f: LayerNorm,
}

struct CandleBlock {
    ln_1: LayerNorm,
    c_attn: (Tensor, Tensor),
    attn_c_proj: (Tensor, Tensor),
    ln_2: LayerNorm,
    c_fc: (Tensor, Tensor),
    mlp_c_proj: (Tensor, Tensor),
}

/// GPT-2's Conv1D: x (T, K) · w (K, N) + b.
fn linear(x: &Tensor, (w, b): &(Tensor, Tensor)) -> candle_core::Result<Tensor> {
    x.matmul(w)?.broadcast_add(b)
}

impl CandleGpt {
    pub fn load(bytes: &[u8], config: &GptConfig) -> candle_core::Result<Self> {
        let tensors = candle_core::safetensors::load_buffer(bytes, &Device::Cpu)?;
        let get = |name: &str| -> candle_core::Result<Tensor> {
            tensors.get(name).ok_or_else(|| candle_core::Error::Msg(format!("no {name}")))?.to_dtype(DType::F32)
        };
        let norm = |p: &str| -> candle_core::Result<LayerNorm> {
            Ok(LayerNorm::new(get(&format!("{p}.weight"))?, get(&format!("{p}.bias"))?, config.layer_norm_epsilon as f64))
        };
        let lin = |p: &str| -> candle_core::Result<(Tensor, Tensor)> { Ok((get(&format!("{p}.weight"))?, get(&format!("{p}.bias"))?)) };
        let blocks = (0..config.n_layer)
            .map(|i| {
                Ok(CandleBlock {
                    ln_1: norm(&format!("h.{i}.ln_1"))?,
                    c_attn: lin(&format!("h.{i}.attn.c_attn"))?,
                    attn_c_proj: lin(&format!("h.{i}.attn.c_proj"))?,
                    ln_2: norm(&format!("h.{i}.ln_2"))?,
                    c_fc: lin(&format!("h.{i}.mlp.c_fc"))?,
                    mlp_c_proj: lin(&format!("h.{i}.mlp.c_proj"))?,
                })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Self { config: config.clone(), wte: get("wte.weight")?, wpe: get("wpe.weight")?, blocks, ln_f: norm("ln_f")? })
    }

    /// ids at positions `cache.0..`, appending their keys and values to `cache.1` → logits (T, V).
    pub fn forward(&self, ids: &[u32], cache: &mut CandleCache) -> candle_core::Result<Tensor> {
        let (t, c, nh) = (ids.len(), self.config.n_embd, self.config.n_head);
        let hs = c / nh;
        let pos0 = cache.0;
        let ids_t = Tensor::new(ids, &Device::Cpu)?;
        let mut x = self.wte.index_select(&ids_t, 0)?.add(&self.wpe.i(pos0..pos0 + t)?)?; // (T, C)
        let tk = pos0 + t;
        let mask: Vec<f32> = (0..t * tk).map(|n| if n % tk <= pos0 + n / tk { 0.0 } else { f32::NEG_INFINITY }).collect();
        let mask = Tensor::from_vec(mask, (t, tk), &Device::Cpu)?;
        for (l, block) in self.blocks.iter().enumerate() {
            let qkv = linear(&block.ln_1.forward(&x)?, &block.c_attn)?; // (T, 3C)
            let heads = |x: Tensor| x.reshape((x.dim(0)?, nh, hs))?.transpose(0, 1)?.contiguous(); // (NH, T, HS)
            let (q, k, v) = (qkv.narrow(1, 0, c)?, qkv.narrow(1, c, c)?, qkv.narrow(1, 2 * c, c)?);
            let (k, v) = match cache.1[l].take() {
                Some((k_old, v_old)) => (Tensor::cat(&[&k_old, &k], 0)?, Tensor::cat(&[&v_old, &v], 0)?),
                None => (k, v),
            };
            cache.1[l] = Some((k.clone(), v.clone()));
            let (q, k, v) = (heads(q)?, heads(k)?, heads(v)?);
            let scores = (q.matmul(&k.t()?)? / (hs as f64).sqrt())?.broadcast_add(&mask)?; // (NH, T, TK)
            let weights = candle_nn::ops::softmax_last_dim(&scores)?;
            let att = weights.matmul(&v)?.transpose(0, 1)?.reshape((t, c))?; // (T, C)
            x = x.add(&linear(&att, &block.attn_c_proj)?)?;
            let hidden = linear(&block.ln_2.forward(&x)?, &block.c_fc)?.gelu()?; // tanh approximation, as GPT-2
            x = x.add(&linear(&hidden, &block.mlp_c_proj)?)?;
        }
        cache.0 += t;
        self.ln_f.forward(&x)?.matmul(&self.wte.t()?)
    }

    pub fn fresh_cache(&self) -> CandleCache {
        (0, vec![None; self.config.n_layer])
    }

    /// A pass over `ids` from position 0, its logits flattened: (T·V).
    pub fn logits(&self, ids: &[u32]) -> candle_core::Result<Vec<f32>> {
        self.forward(ids, &mut self.fresh_cache())?.flatten_all()?.to_vec1()
    }
}
