//! Timing forward passes on any backend, for benchmarks natively and (later) in the page.
//!
//! The caller supplies the clock: `std::time::Instant` panics in the browser, where the page
//! passes `performance.now()` instead. Each run reads the logits back, so a GPU's queued work
//! is counted, not just its submission.

use crate::ops::attention::Mask;
use crate::backend::{Backend, BackendKind};
use crate::gpt::Gpt;
use crate::Result;

/// How long one forward pass of `tokens` tokens took over `runs` runs.
#[derive(Clone, Debug)]
pub struct Timing {
    pub backend: BackendKind,
    pub tokens: usize,
    pub runs: usize,
    /// Total time of all runs / runs: meaningful even when the clock ticks coarsely.
    pub mean_ms: f64,
    /// The fastest single run.
    pub best_ms: f64,
}

/// Run `ids` through `gpt` once to warm up (when `runs` > 1), then `runs` times, timing each
/// with `now_ms` (milliseconds from any fixed origin).
pub async fn time_forward<B: Backend>(
    gpt: &Gpt<B>,
    ids: &[u32],
    runs: usize,
    mut now_ms: impl FnMut() -> f64,
) -> Result<Timing> {
    let run = || async {
        let forward = gpt.forward(ids, Mask::Causal, None, false)?;
        gpt.backend.read(&[&forward.logits]).await.map(drop)
    };
    if runs > 1 {
        run().await?;
    }
    let runs = runs.max(1);
    let first = now_ms();
    let mut best_ms = f64::INFINITY;
    for _ in 0..runs {
        let start = now_ms();
        run().await?;
        best_ms = best_ms.min(now_ms() - start);
    }
    let mean_ms = (now_ms() - first) / runs as f64;
    Ok(Timing { backend: gpt.backend.kind(), tokens: ids.len(), runs, mean_ms, best_ms })
}

/// Repeat `f` until `min_ms` have passed (at least twice, after one warm-up call); milliseconds
/// per call.
fn ms_per_call(min_ms: f64, mut now_ms: impl FnMut() -> f64, mut f: impl FnMut()) -> f64 {
    f();
    let start = now_ms();
    let mut calls = 0;
    while calls < 2 || now_ms() - start < min_ms {
        f();
        calls += 1;
    }
    (now_ms() - start) / f64::from(calls)
}

/// This core's measured arithmetic ceiling in GFLOP/s: a register-only loop of vector
/// multiply-adds ([`crate::simd::peak_loop`]), on one thread.
pub fn one_core_peak_gflops(now_ms: impl FnMut() -> f64) -> f64 {
    const ITERATIONS: usize = 2_000_000;
    let mut flops_per_iteration = 0;
    let ms = ms_per_call(200.0, now_ms, || {
        let (sink, flops) = crate::simd::peak_loop(std::hint::black_box(ITERATIONS));
        std::hint::black_box(sink);
        flops_per_iteration = flops;
    });
    (ITERATIONS * flops_per_iteration) as f64 / (ms * 1e6)
}

/// The SIMD matmul's GFLOP/s on x (M, K) · w (K, N) + bias, on one thread.
pub fn matmul_gflops(m: usize, k: usize, n: usize, now_ms: impl FnMut() -> f64) -> f64 {
    let fill = |len: usize, seed: f32| (0..len).map(|i| ((i as f32) * 0.618 + seed).sin()).collect::<Vec<f32>>();
    let (x, w, bias) = (fill(m * k, 0.1), fill(k * n, 0.2), fill(n, 0.3));
    let mut out = vec![0.0; m * n];
    let ms = ms_per_call(200.0, now_ms, || {
        crate::simd::matmul(&mut out, std::hint::black_box(&x), &w, Some(&bias), m, k, n);
        std::hint::black_box(&out);
    });
    (2 * m * k * n) as f64 / (ms * 1e6)
}
