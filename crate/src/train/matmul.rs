//! The matrix products behind every linear layer, forward and backward.
//!
//! One kernel, `out (M, N) (+)= a (M, K) · b (K, N)`, covers all of them; the transposed
//! products transpose one operand first (cheap next to the product):
//!
//! ```text
//! linear forward    out  = x · W + bias            x (M, K), W (K, N)
//! linear backward   dx  += dout · Wᵀ               dW += xᵀ · dout,  dbias += Σ_rows dout
//! tied LM head      logits = x · wteᵀ              x (M, C), wte (V, C)
//!                   dx   = dlogits · wte           dwte += dlogitsᵀ · x
//! ```
//!
//! The kernel keeps a 4 × 16 tile of `out` in registers while it walks K, so each element of
//! `b` loaded feeds 4 multiply-adds; plain loops over fixed-size arrays that the compiler turns
//! into SIMD. On x86-64 the same code is compiled a second time with AVX2 enabled and chosen at
//! run time. Rows of `out` are split over threads ([`super::parallel`]).

use super::parallel::for_each_row_block;

const TILE_ROWS: usize = 4;
const TILE_COLS: usize = 16;

/// out (M, N) = a (M, K) · b (K, N), or `+=` when `accumulate`.
pub fn matmul(out: &mut [f32], a: &[f32], b: &[f32], k: usize, n: usize, accumulate: bool) {
    let m = out.len() / n;
    assert_eq!(out.len(), m * n, "matmul: out is not (M, {n})");
    assert_eq!(a.len(), m * k, "matmul: a is not ({m}, {k})");
    assert_eq!(b.len(), k * n, "matmul: b is not ({k}, {n})");
    for_each_row_block(out, n, |row0, block| {
        let a_block = &a[row0 * k..row0 * k + block.len() / n * k];
        matmul_block(block, a_block, b, k, n, accumulate);
    });
}

fn matmul_block(out: &mut [f32], a: &[f32], b: &[f32], k: usize, n: usize, accumulate: bool) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        unsafe { matmul_block_avx2(out, a, b, k, n, accumulate) };
        return;
    }
    matmul_block_portable(out, a, b, k, n, accumulate);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn matmul_block_avx2(out: &mut [f32], a: &[f32], b: &[f32], k: usize, n: usize, accumulate: bool) {
    matmul_block_portable(out, a, b, k, n, accumulate);
}

#[inline(always)]
fn matmul_block_portable(out: &mut [f32], a: &[f32], b: &[f32], k: usize, n: usize, accumulate: bool) {
    let m = out.len() / n;
    let full_cols = n - n % TILE_COLS;
    // Column panels outermost: a (K, 16) panel of b stays in L1 while all row tiles use it.
    for col in (0..full_cols).step_by(TILE_COLS) {
        let mut row = 0;
        while row + TILE_ROWS <= m {
            let a_rows: [&[f32]; TILE_ROWS] = std::array::from_fn(|r| &a[(row + r) * k..(row + r + 1) * k]);
            let mut acc = [[0f32; TILE_COLS]; TILE_ROWS];
            for p in 0..k {
                let b_tile: &[f32; TILE_COLS] = b[p * n + col..p * n + col + TILE_COLS].try_into().unwrap();
                for r in 0..TILE_ROWS {
                    let a_rp = a_rows[r][p];
                    for c in 0..TILE_COLS {
                        acc[r][c] += a_rp * b_tile[c];
                    }
                }
            }
            for (r, acc_row) in acc.iter().enumerate() {
                let out_tile = &mut out[(row + r) * n + col..(row + r) * n + col + TILE_COLS];
                store(out_tile, acc_row, accumulate);
            }
            row += TILE_ROWS;
        }
        for row in row..m {
            let mut acc = [0f32; TILE_COLS];
            for p in 0..k {
                let a_rp = a[row * k + p];
                let b_tile = &b[p * n + col..p * n + col + TILE_COLS];
                for c in 0..TILE_COLS {
                    acc[c] += a_rp * b_tile[c];
                }
            }
            store(&mut out[row * n + col..row * n + col + TILE_COLS], &acc, accumulate);
        }
    }
    // Leftover columns (N not a multiple of 16): plain dot products.
    for row in 0..m {
        for col in full_cols..n {
            let sum: f32 = (0..k).map(|p| a[row * k + p] * b[p * n + col]).sum();
            let o = &mut out[row * n + col];
            *o = if accumulate { *o + sum } else { sum };
        }
    }
}

#[inline(always)]
fn store(out: &mut [f32], acc: &[f32], accumulate: bool) {
    if accumulate {
        out.iter_mut().zip(acc).for_each(|(o, a)| *o += a);
    } else {
        out.copy_from_slice(acc);
    }
}

/// x (R, S) → (S, R)
pub fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert_eq!(x.len(), rows * cols, "transpose: x is not ({rows}, {cols})");
    let mut out = vec![0.0; x.len()];
    // Blocks of 32 × 32 keep both the reads and the writes within a few cache lines.
    const BLOCK: usize = 32;
    for r0 in (0..rows).step_by(BLOCK) {
        for c0 in (0..cols).step_by(BLOCK) {
            for r in r0..(r0 + BLOCK).min(rows) {
                for c in c0..(c0 + BLOCK).min(cols) {
                    out[c * rows + r] = x[r * cols + c];
                }
            }
        }
    }
    out
}

/// out (M, N) = x (M, K) · w (K, N) + bias (N)
pub fn linear_forward(out: &mut [f32], x: &[f32], w: &[f32], bias: &[f32], k: usize, n: usize) {
    matmul(out, x, w, k, n, false);
    for row in out.chunks_exact_mut(n) {
        row.iter_mut().zip(bias).for_each(|(o, b)| *o += b);
    }
}

/// Given dout (M, N): dx (M, K) += dout · Wᵀ, dW (K, N) += xᵀ · dout, dbias (N) += Σ_rows dout.
#[allow(clippy::too_many_arguments)]
pub fn linear_backward(
    dx: &mut [f32],
    dw: &mut [f32],
    dbias: &mut [f32],
    dout: &[f32],
    x: &[f32],
    w: &[f32],
    k: usize,
    n: usize,
) {
    let m = dout.len() / n;
    matmul(dx, dout, &transpose(w, k, n), n, k, true);
    matmul(dw, &transpose(x, m, k), dout, m, n, true);
    for row in dout.chunks_exact(n) {
        dbias.iter_mut().zip(row).for_each(|(d, g)| *d += g);
    }
}

/// The tied LM head: logits (M, V) = x (M, C) · wte (V, C)ᵀ.
pub fn tied_head_forward(logits: &mut [f32], x: &[f32], wte: &[f32], c: usize, v: usize) {
    matmul(logits, x, &transpose(wte, v, c), c, v, false);
}

/// Given dlogits (M, V): dx (M, C) += dlogits · wte, dwte (V, C) += dlogitsᵀ · x.
pub fn tied_head_backward(dx: &mut [f32], dwte: &mut [f32], dlogits: &[f32], x: &[f32], wte: &[f32], c: usize, v: usize) {
    let m = dlogits.len() / v;
    matmul(dx, dlogits, wte, v, c, true);
    matmul(dwte, &transpose(dlogits, m, v), x, m, c, true);
}
