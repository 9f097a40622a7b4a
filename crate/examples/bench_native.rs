//! The native half of `scripts/bench.sh`: scalar vs SIMD vs GPU (whatever adapter there is) on
//! the default model and a GPT-2-small-shaped random checkpoint — a T = 64 forward, per-token
//! decoding with the KV cache, and the page's keystroke (a traced pass over 64 tokens after a
//! pass over the first 63, against a traced full pass) — and the SIMD matmul's GFLOP/s against
//! this core's measured peak. Wall-clock times on one thread, interleaved per case so that the
//! ratios compare like with like.
//!
//! `cargo run --release --example bench_native -- OUT.json`

use std::time::Instant;

use attention_playground::attention::Mask;
use attention_playground::backend::gpu::Gpu;
use attention_playground::backend::scalar::Scalar;
use attention_playground::backend::simd::{instruction_set, Simd};
use attention_playground::backend::{Backend, BackendKind};
use attention_playground::bench::{matmul_gflops, one_core_peak_gflops};
use attention_playground::engine::Engine;
use attention_playground::gpt::{Gpt, KvCache};
use attention_playground::weights::{load_safetensors, random_weights, HostWeights};
use attention_playground::GptConfig;
use serde_json::json;

fn ms_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

/// Mean milliseconds of `runs` calls after one warm-up.
fn mean_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    (0..runs).for_each(|_| f());
    ms_since(start) / runs as f64
}

/// T = 64 forward (logits read back) and per-token decode (prompt of 32, then 32 tokens).
fn model_times<B: Backend>(gpt: &Gpt<B>, ids: &[u32], runs: usize) -> (f64, f64) {
    let read = |t: &B::Tensor| pollster::block_on(gpt.backend.read(&[t])).unwrap();
    let full = mean_ms(runs, || drop(read(&gpt.forward(ids, Mask::Causal, None, false).unwrap().logits)));
    let half = ids.len() / 2;
    let decode = mean_ms(runs.div_ceil(2), || {
        let mut cache = KvCache::new(gpt.config.n_layer);
        read(&gpt.forward(&ids[..half], Mask::Causal, Some(&mut cache), false).unwrap().logits);
        for i in half..ids.len() {
            read(&gpt.forward(&ids[i..=i], Mask::Causal, Some(&mut cache), false).unwrap().logits);
        }
    });
    // The decode figure includes the prompt; take out one prompt pass's share.
    let prompt = mean_ms(runs, || drop(read(&gpt.forward(&ids[..half], Mask::Causal, None, false).unwrap().logits)));
    (full, (decode - prompt).max(0.0) / (ids.len() - half) as f64)
}

/// The page's keystroke on the engine: a traced pass over 64 tokens, full and after 63 shared.
fn keystroke_times(engine: &mut Engine, ids: &[u32], runs: usize) -> (f64, f64) {
    let t = ids.len();
    let before = pollster::block_on(engine.forward(&ids[..t - 1], Mask::Causal, true)).unwrap().trace.unwrap();
    let full = mean_ms(runs, || drop(pollster::block_on(engine.forward(ids, Mask::Causal, true)).unwrap()));
    let reused = mean_ms(runs, || drop(pollster::block_on(engine.forward_after(ids, Mask::Causal, Some(&before))).unwrap()));
    (full, reused)
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "bench-native.json".into());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/models/default");
    let config = GptConfig::from_json(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    let weights = load_safetensors(&std::fs::read(dir.join("model.safetensors")).unwrap(), &config).unwrap();
    let gpt2 = GptConfig { n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5 };
    let gpt2_weights = random_weights(&gpt2, 1);
    let cases: [(&str, GptConfig, HostWeights, usize); 2] =
        [("default model", config, weights, 20), ("GPT-2 small shape (random)", gpt2, gpt2_weights, 2)];
    let adapter = pollster::block_on(Gpu::new()).ok().map(|g| format!("{}{}", g.adapter_name(), if g.is_software() { " (software)" } else { "" }));

    let mut rows = Vec::new();
    println!("{:<28} {:<30} {:>10} {:>10} {:>10}", "model", "what (wall ms)", "scalar", "SIMD", "GPU");
    for (name, config, weights, runs) in cases {
        let ids: Vec<u32> = (0..64u32).map(|i| (i * 7919 + 13) % config.vocab_size as u32).collect();
        let scalar = model_times(&Gpt::new(config.clone(), Scalar, &weights), &ids, runs.div_ceil(4));
        let simd = model_times(&Gpt::new(config.clone(), Simd, &weights), &ids, runs);
        let on_gpu = pollster::block_on(Gpu::new()).ok().filter(|g| g.check_fits(&config).is_ok());
        let on_gpu = on_gpu.map(|g| model_times(&Gpt::new(config.clone(), g, &weights), &ids, runs.div_ceil(4)));
        let mut simd_engine = pollster::block_on(Engine::new(config.clone(), weights.clone(), Some(BackendKind::Simd))).unwrap();
        let keystroke = keystroke_times(&mut simd_engine, &ids, runs);
        let fmt = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.2}"));
        for (what, s, v, g) in [
            ("T=64 forward", scalar.0, simd.0, on_gpu.map(|x| x.0)),
            ("decode, per token (KV cache)", scalar.1, simd.1, on_gpu.map(|x| x.1)),
        ] {
            println!("{name:<28} {what:<30} {s:>10.2} {v:>10.2} {:>10}", fmt(g));
            rows.push(json!({ "model": name, "what": what, "scalar_ms": s, "simd_ms": v, "gpu_ms": g }));
        }
        println!("{name:<28} {:<30} {:>10} {:>10.2} {:>10}   (traced, full pass)", "keystroke: 64 after 63", "", keystroke.0, "");
        println!("{name:<28} {:<30} {:>10} {:>10.2} {:>10}   (traced, reusing 63: {:.1}× less)", "", "", keystroke.1, "", keystroke.0 / keystroke.1);
        rows.push(json!({ "model": name, "what": "keystroke (traced pass, 64 tokens)", "simd_full_ms": keystroke.0, "simd_reusing_63_ms": keystroke.1 }));
    }

    let now = || {
        let start = Instant::now();
        move || ms_since(start)
    };
    let peak = one_core_peak_gflops(now());
    println!("\none core's peak (register-only {} multiply-adds): {peak:.1} GFLOP/s", instruction_set());
    let mut matmuls = Vec::new();
    for (what, m, k, n) in [("default model c_fc", 64, 112, 448), ("GPT-2 small c_fc", 64, 768, 3072)] {
        let gflops = matmul_gflops(m, k, n, now());
        println!("SIMD matmul {what} ({m}×{k})·({k}×{n}): {gflops:.1} GFLOP/s = {:.0}% of peak", 100.0 * gflops / peak);
        matmuls.push(json!({ "what": what, "m": m, "k": k, "n": n, "gflops": gflops, "fraction_of_peak": gflops / peak }));
    }
    let report = json!({
        "clock": "wall, one thread",
        "instruction_set": instruction_set(),
        "gpu_adapter": adapter,
        "forward": rows,
        "peak_gflops": peak,
        "matmul": matmuls,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
}
