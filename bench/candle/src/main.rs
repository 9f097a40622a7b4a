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
use bench_candle::CandleGpt;

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
        let their_logits = theirs.logits(&ids).unwrap();
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

