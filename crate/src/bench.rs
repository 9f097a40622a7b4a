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
