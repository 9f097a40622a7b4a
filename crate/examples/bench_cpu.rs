//! Scalar reference vs SIMD: one forward pass (T tokens, causal, no trace), for the
//! playground's default model (`www/models/default`; a random one of the planned size if it is
//! not there) and a GPT-2-small-shaped one with random weights.
//!
//! `cargo run --release --example bench_cpu` (about 20 s of CPU; the scalar GPT-2-small pass
//! dominates). Prints each backend's time and the ratio measured in this run.
//!
//! On Linux it times with this thread's CPU time, so that other processes sharing the cores do
//! not count; elsewhere, with the wall clock. The CPU-time clock advances in scheduler ticks
//! (a few ms), so compare the means over many runs, not single runs.

use std::time::Instant;

use attention_playground::backend::scalar::Scalar;
use attention_playground::backend::simd::{self, Simd};
use attention_playground::backend::Backend;
use attention_playground::bench::{time_forward, Timing};
use attention_playground::gpt::Gpt;
use attention_playground::weights::{load_safetensors, random_weights, HostWeights};
use attention_playground::GptConfig;

struct Case {
    name: String,
    config: GptConfig,
    weights: HostWeights,
    tokens: usize,
    /// Timed runs per backend (plus a warm-up when more than one).
    runs: usize,
}

/// The shipped default model, or random weights of the size it was planned at.
fn default_model() -> (String, GptConfig, HostWeights) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/models/default");
    let shipped = || -> Option<(GptConfig, HostWeights)> {
        let config = GptConfig::from_json(&std::fs::read_to_string(dir.join("config.json")).ok()?).ok()?;
        let weights = load_safetensors(&std::fs::read(dir.join("model.safetensors")).ok()?, &config).ok()?;
        Some((config, weights))
    };
    let (origin, (config, weights)) = match shipped() {
        Some(model) => ("www/models/default", model),
        None => {
            let config = GptConfig { n_embd: 128, n_layer: 4, n_head: 4, n_positions: 128, vocab_size: 4096, layer_norm_epsilon: 1e-5 };
            let weights = random_weights(&config, 0);
            ("random, planned size", (config, weights))
        }
    };
    let c = &config;
    let name = format!("default model ({origin}: C={}, L={}, NH={}, P={}, V={})", c.n_embd, c.n_layer, c.n_head, c.n_positions, c.vocab_size);
    (name, config, weights)
}

/// Milliseconds this thread has run on a CPU (Linux: first field of schedstat, in ns).
fn thread_cpu_ms() -> Option<f64> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(schedstat.split_whitespace().next()?.parse::<f64>().ok()? / 1e6)
}

fn now_ms(wall: Instant) -> f64 {
    thread_cpu_ms().unwrap_or_else(|| wall.elapsed().as_secs_f64() * 1e3)
}

fn time<B: Backend>(backend: B, case: &Case) -> Timing {
    let gpt = Gpt::new(case.config.clone(), backend, &case.weights);
    let ids: Vec<u32> = (0..case.tokens as u32).map(|i| (i * 31 + 7) % case.config.vocab_size as u32).collect();
    let wall = Instant::now();
    pollster::block_on(time_forward(&gpt, &ids, case.runs, || now_ms(wall))).expect("forward pass")
}

fn main() {
    let (name, config, weights) = default_model();
    let gpt2_small = GptConfig { n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5 };
    let cases = [
        Case { name, tokens: 64.min(config.n_positions), config, weights, runs: 50 },
        Case {
            name: "GPT-2 small (random: C=768, L=12, NH=12, P=1024, V=50257)".into(),
            weights: random_weights(&gpt2_small, 0),
            config: gpt2_small,
            tokens: 64,
            runs: 2,
        },
    ];
    let clock = if thread_cpu_ms().is_some() { "thread CPU time" } else { "wall clock" };
    println!("SIMD instruction set: {}; timing with the {clock}", simd::instruction_set());
    for case in &cases {
        let scalar = time(Scalar, case);
        let simd = time(Simd, case);
        println!("{}, T={}:", case.name, case.tokens);
        for t in [&scalar, &simd] {
            println!("  {:<6} {:9.2} ms per forward pass (mean of {} runs)", t.backend.name(), t.mean_ms, t.runs);
        }
        println!("  SIMD is {:.1}x faster than scalar (mean vs mean)", scalar.mean_ms / simd.mean_ms);
    }
}
