//! Splitting a kernel's output rows over threads. Natively the blocks run on scoped threads; in
//! wasm (no threads without extra setup) everything runs on the calling thread. Each output row
//! is computed by the same arithmetic whatever the split, so results do not depend on the number
//! of threads: the same seed gives the same loss curve.

use std::sync::atomic::{AtomicUsize, Ordering};

static THREADS: AtomicUsize = AtomicUsize::new(1);

/// How many threads the training kernels may use (at least 1; ignored in wasm).
pub fn set_threads(n: usize) {
    THREADS.store(n.max(1), Ordering::Relaxed);
}

pub fn threads() -> usize {
    if cfg!(target_arch = "wasm32") { 1 } else { THREADS.load(Ordering::Relaxed) }
}

/// Call `f(first_row, block)` on contiguous blocks of the rows of `out` (rows of `row_len`),
/// one block per thread.
pub fn for_each_row_block(out: &mut [f32], row_len: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    for_each_row_block2(out, row_len, &mut [], 0, |row, a, _| f(row, a));
}

/// Like [`for_each_row_block`] over two outputs that share the row count: `a` has rows of
/// `a_len`, `b` rows of `b_len` (an empty `b` with `b_len == 0` is allowed).
pub fn for_each_row_block2(
    a: &mut [f32],
    a_len: usize,
    b: &mut [f32],
    b_len: usize,
    f: impl Fn(usize, &mut [f32], &mut [f32]) + Sync,
) {
    // In wasm there are no threads: one block.
    #[cfg(target_arch = "wasm32")]
    let _ = (a_len, b_len);
    #[cfg(not(target_arch = "wasm32"))]
    let threads = threads().min(a.len().checked_div(a_len).unwrap_or(0)).max(1);
    #[cfg(not(target_arch = "wasm32"))]
    if threads > 1 {
        let rows = a.len() / a_len;
        let per = rows.div_ceil(threads);
        let f = &f;
        std::thread::scope(|scope| {
            let blocks = a.chunks_mut(per * a_len).zip(chunks_or_empty(b, per * b_len));
            for (i, (a_block, b_block)) in blocks.enumerate() {
                scope.spawn(move || f(i * per, a_block, b_block));
            }
        });
        return;
    }
    f(0, a, b)
}

/// `chunks_mut`, except that an empty slice yields endless empty chunks.
#[cfg(not(target_arch = "wasm32"))]
fn chunks_or_empty(x: &mut [f32], size: usize) -> Box<dyn Iterator<Item = &mut [f32]> + '_> {
    if x.is_empty() || size == 0 {
        Box::new(std::iter::repeat_with(|| &mut [][..]))
    } else {
        Box::new(x.chunks_mut(size))
    }
}
