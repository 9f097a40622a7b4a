//! GPU vs SIMD CPU: time per kernel and per forward pass, printed as ratios from one run.
//!
//! `cargo run --release --example bench_gpu [default|gpt2]` (both models when no argument).
//! Models: the playground's default size (C=128, L=4, NH=4, P=128, V=4096) and GPT-2 small
//! (C=768, L=12, NH=12, P=1024, V=50257), random weights, T=64 tokens. On a software adapter
//! (llvmpipe, SwiftShader) the "GPU" is the same CPU, so the ratios say little about real GPUs.

use std::time::{Duration, Instant};

use attention_playground::attention::Mask;
use attention_playground::backend::gpu::Gpu;
use attention_playground::backend::simd::Simd;
use attention_playground::backend::Backend;
use attention_playground::bench;
use attention_playground::gpt::Gpt;
use attention_playground::weights::random_weights;
use attention_playground::{GptConfig, Tensor};

const TOKENS: usize = 64;
/// Each measurement repeats its op until about this long has passed.
const BUDGET: Duration = Duration::from_millis(400);

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let gpu = match pollster::block_on(Gpu::new()) {
        Ok(gpu) => gpu,
        Err(e) => {
            eprintln!("bench_gpu: {e}");
            std::process::exit(1);
        }
    };
    println!("GPU adapter: {}", gpu.adapter_name());
    if gpu.is_software() {
        println!("  note: a software adapter (the CPU emulating a GPU): the ratios say little about real GPUs");
    }
    let models = [
        ("default", GptConfig { n_embd: 128, n_layer: 4, n_head: 4, n_positions: 128, vocab_size: 4096, layer_norm_epsilon: 1e-5 }),
        ("gpt2", GptConfig { n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5 }),
    ];
    let mut gpu = Some(gpu);
    for (name, config) in models {
        if which.is_empty() || which == name {
            gpu = Some(bench_model(name, &config, gpu.take().unwrap()));
        }
    }
}

/// Time every kernel at this model's shapes, then a whole forward, on both backends.
fn bench_model(name: &str, config: &GptConfig, gpu: Gpu) -> Gpu {
    let (c, nh, v, t) = (config.n_embd, config.n_head, config.vocab_size, TOKENS);
    println!(
        "\n{name}: C={c} L={} NH={nh} P={} V={v}, T={t}   (time per call; ratio = SIMD / GPU, >1: GPU faster)",
        config.n_layer, config.n_positions
    );
    // Kernels on smaller tensors still run when the whole model does not fit this adapter.
    let fits = gpu.check_fits(config);
    if let Err(e) = &fits {
        println!("  {e}\n  → LM head and forward skipped");
    }
    println!("  {:<34} {:>11} {:>11} {:>8}", "op", "SIMD", "GPU", "ratio");
    let x = sample(&[t, c]);
    let wide = sample(&[t, 4 * c]);
    let scores = sample(&[nh, t, t]);
    let (w_qkv, w_fc, w_proj, wte) = (sample(&[c, 3 * c]), sample(&[c, 4 * c]), sample(&[4 * c, c]), sample(&[v, c]));
    let (gamma, beta) = (sample(&[c]), sample(&[c]));
    let row = |op: &str, cpu: Duration, gpu: Duration| {
        println!("  {op:<34} {:>11} {:>11} {:>7.2}x", show(cpu), show(gpu), cpu.as_secs_f64() / gpu.as_secs_f64());
    };
    macro_rules! compare {
        ($label:expr, |$b:ident, $a:ident| $op:expr, $($input:expr),+) => {
            row($label, time_op(&Simd, &[$($input),+], |$b, $a| $op), time_op(&gpu, &[$($input),+], |$b, $a| $op))
        };
    }
    compare!("matmul c_attn (T,C)·(C,3C)", |b, a| b.matmul(&a[0], &a[1], None), &x, &w_qkv);
    compare!("matmul c_fc (T,C)·(C,4C)", |b, a| b.matmul(&a[0], &a[1], None), &x, &w_fc);
    compare!("matmul mlp c_proj (T,4C)·(4C,C)", |b, a| b.matmul(&a[0], &a[1], None), &wide, &w_proj);
    if fits.is_ok() {
        compare!("lm head (T,C)·(V,C)ᵀ", |b, a| b.matmul_transposed(&a[0], &a[1]), &x, &wte);
    }
    compare!("layernorm (T,C)", |b, a| b.layernorm(&a[0], &a[1], &a[2], 1e-5), &x, &gamma, &beta);
    compare!("gelu (T,4C)", |b, a| b.gelu(&a[0]), &wide);
    compare!("add (T,C)", |b, a| b.add(&a[0], &a[1]), &x, &x);
    compare!("attention scores (NH,T,T)", |b, a| b.attention_scores(&a[0], &a[1], nh), &x, &x);
    compare!("mask causal (NH,T,T)", |b, a| b.mask(&a[0], Mask::Causal, 0), &scores);
    compare!("softmax rows (NH,T,T)", |b, a| b.softmax_rows(&a[0]), &scores);
    compare!("attention values (T,C)", |b, a| b.attention_values(&a[0], &a[1]), &scores, &x);
    compare!("attention, all steps (T,C)", |b, a| b.attention(&a[0], &a[1], &a[2], nh, Mask::Causal, 0, false).0, &x, &x, &x);

    if fits.is_err() {
        return gpu;
    }
    let weights = random_weights(config, 1);
    let ids: Vec<u32> = (0..t as u32).map(|i| i * 7 % v as u32).collect();
    let cpu_model = Gpt::new(config.clone(), Simd, &weights);
    let cpu_time = time_forward(&cpu_model, &ids);
    drop(cpu_model);
    let gpu_model = Gpt::new(config.clone(), gpu, &weights);
    let gpu_time = time_forward(&gpu_model, &ids);
    row(&format!("forward, {t} tokens → logits"), cpu_time, gpu_time);
    gpu_model.backend
}

/// Mean time of `op` on `backend` over `inputs` (uploaded once), including the wait for the
/// last result: the GPU queues work, so only a read shows when it is done.
fn time_op<B: Backend>(backend: &B, inputs: &[&Tensor], op: impl Fn(&B, &[B::Tensor]) -> B::Tensor) -> Duration {
    let inputs: Vec<B::Tensor> = inputs.iter().map(|t| backend.upload(t)).collect();
    repeat(|| op(backend, &inputs), |out| read(backend, out))
}

/// Mean of 3 forward passes (after a warm-up), each including the read of its logits.
fn time_forward<B: Backend>(model: &Gpt<B>, ids: &[u32]) -> Duration {
    let origin = Instant::now();
    let clock = || origin.elapsed().as_secs_f64() * 1e3;
    let timing = pollster::block_on(bench::time_forward(model, ids, 3, clock)).expect("forward failed");
    Duration::from_secs_f64(timing.mean_ms / 1e3)
}

/// Warm up once, then run `f` repeatedly (at least once, about `BUDGET` in all) and `finish`
/// the last result; the mean time per run.
fn repeat<T>(f: impl Fn() -> T, finish: impl Fn(&T)) -> Duration {
    let start = Instant::now();
    finish(&f());
    let once = start.elapsed().max(Duration::from_micros(1));
    let runs = (BUDGET.as_secs_f64() / once.as_secs_f64()).clamp(1.0, 1000.0) as u32;
    let start = Instant::now();
    let mut last = f();
    for _ in 1..runs {
        last = f();
    }
    finish(&last);
    start.elapsed() / runs
}

fn read<B: Backend>(backend: &B, t: &B::Tensor) {
    pollster::block_on(backend.read(&[t])).expect("read failed");
}

/// Deterministic values in [-1, 1): the timings do not depend on them.
fn sample(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::new(shape.to_vec(), (0..n).map(|i| ((i * 7919) % 2000) as f32 / 1000.0 - 1.0).collect())
}

fn show(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 { format!("{us:.0} µs") } else if us < 1e6 { format!("{:.2} ms", us / 1e3) } else { format!("{:.2} s", us / 1e6) }
}
