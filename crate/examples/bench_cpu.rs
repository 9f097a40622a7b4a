//! Scalar reference vs SIMD: one forward pass (T tokens, causal, no trace), for the
//! playground's default-sized model and a GPT-2-small-shaped one, both with random weights.
//!
//! `cargo run --release --example bench_cpu` (about 20 s of CPU; the scalar GPT-2-small pass
//! dominates). Prints each backend's time and the ratio measured in this run.
//!
//! On Linux it times with this thread's CPU time, so that other processes sharing the cores do
//! not count; elsewhere, with the wall clock.

use std::time::Instant;

use attention_playground::backend::scalar::Scalar;
use attention_playground::backend::simd::{self, Simd};
use attention_playground::backend::Backend;
use attention_playground::bench::{time_forward, Timing};
use attention_playground::gpt::Gpt;
use attention_playground::weights::{random_weights, HostWeights};
use attention_playground::GptConfig;

struct Case {
    name: &'static str,
    config: GptConfig,
    tokens: usize,
    /// Timed runs per backend (plus a warm-up when more than one).
    runs: usize,
}

/// Milliseconds this thread has run on a CPU (Linux: first field of schedstat, in ns).
fn thread_cpu_ms() -> Option<f64> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(schedstat.split_whitespace().next()?.parse::<f64>().ok()? / 1e6)
}

fn now_ms(wall: Instant) -> f64 {
    thread_cpu_ms().unwrap_or_else(|| wall.elapsed().as_secs_f64() * 1e3)
}

fn time<B: Backend>(backend: B, case: &Case, weights: &HostWeights) -> Timing {
    let gpt = Gpt::new(case.config.clone(), backend, weights);
    let ids: Vec<u32> = (0..case.tokens as u32).map(|i| (i * 31 + 7) % case.config.vocab_size as u32).collect();
    let wall = Instant::now();
    pollster::block_on(time_forward(&gpt, &ids, case.runs, || now_ms(wall))).expect("forward pass")
}

fn main() {
    let cases = [
        Case {
            name: "default (C=128, L=4, NH=4, P=128, V=4096)",
            config: GptConfig { n_embd: 128, n_layer: 4, n_head: 4, n_positions: 128, vocab_size: 4096, layer_norm_epsilon: 1e-5 },
            tokens: 64,
            runs: 20,
        },
        Case {
            name: "GPT-2 small (C=768, L=12, NH=12, P=1024, V=50257)",
            config: GptConfig { n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5 },
            tokens: 64,
            runs: 2,
        },
    ];
    let clock = if thread_cpu_ms().is_some() { "thread CPU time" } else { "wall clock" };
    println!("SIMD instruction set: {}; timing with the {clock}", simd::instruction_set());
    for case in &cases {
        let weights = random_weights(&case.config, 0);
        let scalar = time(Scalar, case, &weights);
        let simd = time(Simd, case, &weights);
        println!("{}, T={}:", case.name, case.tokens);
        for t in [&scalar, &simd] {
            println!("  {:<6} best {:9.2} ms  median {:9.2} ms  ({} runs)", t.backend.name(), t.best_ms, t.median_ms, t.runs);
        }
        println!("  SIMD is {:.1}x faster than scalar (best vs best)", scalar.best_ms / simd.best_ms);
    }
}
