//! candle (candle-core/candle-nn on the CPU) against our SIMD backend, on the same safetensors
//! bytes, in one process and one thread: a GPT-2 forward of T tokens, and per-token decoding
//! with a KV cache. Rounds alternate between the two, so both see the same machine load; the
//! ratio of each round is printed, with the logits' largest difference as a check that both
//! compute the same model.
//!
//! `bench-candle OUT.json` (run by `scripts/bench.sh`, with RAYON_NUM_THREADS=1).

use std::time::Instant;

use attention_playground::attention::Mask;
use attention_playground::backend::simd::Simd;
use attention_playground::gpt::{Gpt, KvCache};
use attention_playground::weights::{load_safetensors, random_weights, save_safetensors, SaveDtype};
use attention_playground::GptConfig;
use candle_core::{DType, Device, IndexOp, Module, Tensor};
use candle_nn::LayerNorm;

/// GPT-2 in candle, written as its docs write models: weights by checkpoint name.
struct CandleGpt {
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
    fn load(bytes: &[u8], config: &GptConfig) -> candle_core::Result<Self> {
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
    fn forward(&self, ids: &[u32], cache: &mut (usize, Vec<Option<(Tensor, Tensor)>>)) -> candle_core::Result<Tensor> {
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

    fn fresh_cache(&self) -> (usize, Vec<Option<(Tensor, Tensor)>>) {
        (0, vec![None; self.config.n_layer])
    }
}

/// Median of the per-call milliseconds of `runs` calls (after one warm-up call).
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "bench-candle.json".into());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let default_dir = root.join("www/models/default");
    let default_config = GptConfig::from_json(&std::fs::read_to_string(default_dir.join("config.json")).unwrap()).unwrap();
    let default_bytes = std::fs::read(default_dir.join("model.safetensors")).unwrap();
    let gpt2 = GptConfig { n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5 };
    let gpt2_bytes = save_safetensors(&random_weights(&gpt2, 1), SaveDtype::F32).unwrap();
    let cases = [("default model", default_config, default_bytes, 21), ("GPT-2 small shape (random)", gpt2, gpt2_bytes, 5)];

    let mut results = Vec::new();
    println!("{:<28} {:<22} {:>10} {:>10} {:>8}  logits max |diff|", "model", "what (median ms)", "ours SIMD", "candle", "candle/ours");
    for (name, config, bytes, runs) in cases {
        let ours = Gpt::new(config.clone(), Simd, &load_safetensors(&bytes, &config).unwrap());
        let theirs = CandleGpt::load(&bytes, &config).unwrap();
        let t = 64;
        let ids: Vec<u32> = (0..t as u32).map(|i| (i * 7919 + 13) % config.vocab_size as u32).collect();

        let our_logits = ours.forward(&ids, Mask::Causal, None, false).unwrap().logits;
        let their_logits = theirs.forward(&ids, &mut theirs.fresh_cache()).unwrap().to_dtype(DType::F32).unwrap();
        let their_logits: Vec<f32> = their_logits.flatten_all().unwrap().to_vec1().unwrap();
        let diff = our_logits.data.iter().zip(&their_logits).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);

        // Decoding: the first half of the text as a prompt, then one token at a time to T.
        let half = t / 2;
        let ours_decode = || {
            let mut cache = KvCache::new(config.n_layer);
            ours.forward(&ids[..half], Mask::Causal, Some(&mut cache), false).unwrap();
            let start = Instant::now();
            for i in half..t {
                let logits = ours.forward(&ids[i..=i], Mask::Causal, Some(&mut cache), false).unwrap().logits;
                std::hint::black_box(logits);
            }
            start.elapsed().as_secs_f64() * 1e3 / (t - half) as f64
        };
        let theirs_decode = || {
            let mut cache = theirs.fresh_cache();
            theirs.forward(&ids[..half], &mut cache).unwrap();
            let start = Instant::now();
            for i in half..t {
                std::hint::black_box(theirs.forward(&ids[i..=i], &mut cache).unwrap());
            }
            start.elapsed().as_secs_f64() * 1e3 / (t - half) as f64
        };
        // Three alternating rounds; each figure is the round's median.
        for round in 1..=3 {
            let ours_full = median_ms(runs, || drop(std::hint::black_box(ours.forward(&ids, Mask::Causal, None, false).unwrap())));
            let theirs_full = median_ms(runs, || drop(std::hint::black_box(theirs.forward(&ids, &mut theirs.fresh_cache()).unwrap())));
            let (ours_step, theirs_step) = (ours_decode(), theirs_decode());
            for (what, a, b) in [(format!("T={t} forward, round {round}"), ours_full, theirs_full), (format!("decode/token, round {round}"), ours_step, theirs_step)] {
                println!("{name:<28} {what:<22} {a:>10.3} {b:>10.3} {:>7.2}×  {diff:.1e}", b / a);
                results.push(serde_json::json!({ "model": name, "what": what, "ours_simd_ms": a, "candle_ms": b, "candle_over_ours": b / a, "logits_max_abs_diff": diff }));
            }
        }
    }
    std::fs::write(&out, serde_json::to_string_pretty(&serde_json::json!({ "threads": 1, "results": results })).unwrap()).unwrap();
}

