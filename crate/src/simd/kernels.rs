//! The two matrix products everything heavy reduces to, written once over [`Lanes`]:
//!
//! - [`gemm`]: out (M, N) = x (M, K) · w (K, N) + bias — the linear layers, and `weights · v`;
//! - [`gemm_transposed`]: out (M, N) = x (M, K) · w (N, K)ᵀ — the tied LM head, and `q · kᵀ`.
//!
//! Both work on a tile of outputs at a time, kept in registers for the whole K loop, so each
//! value loaded from memory feeds several multiply-adds. Matrices are strided views, so one
//! attention head (a column slice of q, k or v) is used in place, without copying.
//!
//! Every function is `#[inline(always)]` (and free of closures) so that it is compiled inside
//! the caller's instruction set (see `x86.rs`): that is what lets the lane operations inline.

use super::lanes::Lanes;

/// Rows of x handled together: each loaded value of w is reused this many times.
const ROWS: usize = 4;
/// Rows of w (N, K) per block in [`gemm_transposed`]: 64·K floats (192 KiB at K = 768) stay in
/// L2 while every row of x passes over them, instead of streaming all of w once per row tile.
const W_ROWS_PER_BLOCK: usize = 64;

/// A row-major matrix inside a slice: element (i, j) is `data[i * stride + j]`.
#[derive(Clone, Copy)]
pub struct Matrix<'a> {
    pub data: &'a [f32],
    pub stride: usize,
}

pub struct MatrixMut<'a> {
    pub data: &'a mut [f32],
    pub stride: usize,
}

/// Panics unless a (rows, cols) matrix with this stride lies inside `len` floats; after this
/// check the kernels index without bounds checks.
fn assert_fits(what: &str, len: usize, rows: usize, cols: usize, stride: usize) {
    assert!(cols <= stride || rows <= 1, "{what}: {cols} columns do not fit a stride of {stride}");
    let needed = if rows == 0 || cols == 0 { 0 } else { (rows - 1) * stride + cols };
    assert!(needed <= len, "{what}: ({rows}, {cols}) with stride {stride} needs {needed} floats, has {len}");
}

/// out (M, N) = x (M, K) · w (K, N) + bias (N)
///
/// Column panels of two registers (then one register, then single columns at the edge); within
/// a panel, [`ROWS`] rows at a time.
///
/// # Safety
/// The CPU must support `L`'s instruction set.
#[inline(always)]
pub unsafe fn gemm<L: Lanes>(out: MatrixMut, x: Matrix, w: Matrix, bias: Option<&[f32]>, m: usize, k: usize, n: usize) {
    assert_fits("gemm out", out.data.len(), m, n, out.stride);
    assert_fits("gemm x", x.data.len(), m, k, x.stride);
    assert_fits("gemm w", w.data.len(), k, n, w.stride);
    if let Some(b) = bias {
        assert!(b.len() >= n, "gemm bias: {} values for {n} columns", b.len());
    }
    let p = GemmPointers { out: out.data.as_mut_ptr(), out_stride: out.stride, x: x.data.as_ptr(), x_stride: x.stride, w: w.data.as_ptr(), w_stride: w.stride, bias: bias.map(|b| b.as_ptr()), k };

    let n_vec = n - n % L::WIDTH;
    if m == 1 {
        gemm_single_row::<L>(&p, n_vec);
    } else {
        let mut packed = Vec::new();
        let mut j0 = 0;
        while j0 + 2 * L::WIDTH <= n {
            gemm_panel::<L, 2>(&p, m, j0, &mut packed);
            j0 += 2 * L::WIDTH;
        }
        while j0 + L::WIDTH <= n {
            gemm_panel::<L, 1>(&p, m, j0, &mut packed);
            j0 += L::WIDTH;
        }
    }
    let j0 = n_vec;
    // The last columns, fewer than one register.
    for i in 0..m {
        for j in j0..n {
            let mut acc = p.bias.map_or(0.0, |b| *b.add(j));
            for kk in 0..k {
                acc += *p.x.add(i * p.x_stride + kk) * *p.w.add(kk * p.w_stride + j);
            }
            *p.out.add(i * p.out_stride + j) = acc;
        }
    }
}

/// The columns 0..n_vec of a single row of x (decoding, or a keystroke's one new position):
/// w is streamed row by row, in memory order, into the output row — the panels' walk down w's
/// columns in place would touch a new page every few rows of w, and a single row of x gives
/// packing nothing to reuse. Each output sums over k in the same order with the same
/// multiply-adds as [`gemm_tile`], then adds the bias, so a row comes out the same bit for bit
/// whichever path computed it (what `Gpt::forward_after` relies on).
#[inline(always)]
unsafe fn gemm_single_row<L: Lanes>(p: &GemmPointers, n_vec: usize) {
    for j in (0..n_vec).step_by(L::WIDTH) {
        L::store(p.out.add(j), L::zero());
    }
    for kk in 0..p.k {
        let x_k = L::splat(*p.x.add(kk));
        let w_k = p.w.add(kk * p.w_stride);
        for j in (0..n_vec).step_by(L::WIDTH) {
            let out = p.out.add(j);
            L::store(out, L::mul_add(x_k, L::load(w_k.add(j)), L::load(out)));
        }
    }
    if let Some(b) = p.bias {
        for j in (0..n_vec).step_by(L::WIDTH) {
            let out = p.out.add(j);
            L::store(out, L::add(L::load(out), L::load(b.add(j))));
        }
    }
}

/// Raw pointers and strides shared by one [`gemm`] call (bounds already checked).
struct GemmPointers {
    out: *mut f32,
    out_stride: usize,
    x: *const f32,
    x_stride: usize,
    w: *const f32,
    w_stride: usize,
    bias: Option<*const f32>,
    k: usize,
}

/// A (K, width) panel of w: row kk starts at `w + kk * stride`.
struct Panel {
    w: *const f32,
    stride: usize,
}

/// Columns j0..j0 + NR·WIDTH of every row.
///
/// When more than one row tile will read this panel of w, it is first copied into `packed`,
/// contiguous: in place its K rows lie N floats apart, a different page every few rows, while
/// the copy streams through cache and TLB once per tile.
#[inline(always)]
unsafe fn gemm_panel<L: Lanes, const NR: usize>(p: &GemmPointers, m: usize, j0: usize, packed: &mut Vec<f32>) {
    let width = NR * L::WIDTH;
    let panel = if m > ROWS {
        packed.clear();
        for kk in 0..p.k {
            packed.extend_from_slice(std::slice::from_raw_parts(p.w.add(kk * p.w_stride + j0), width));
        }
        Panel { w: packed.as_ptr(), stride: width }
    } else {
        Panel { w: p.w.add(j0), stride: p.w_stride }
    };
    let mut i0 = 0;
    while i0 + ROWS <= m {
        gemm_tile::<L, ROWS, NR>(p, &panel, i0, j0);
        i0 += ROWS;
    }
    for i in i0..m {
        gemm_tile::<L, 1, NR>(p, &panel, i, j0);
    }
}

/// The (R, NR·WIDTH) block of out at (i0, j0): R·NR accumulators, one pass over K.
#[inline(always)]
unsafe fn gemm_tile<L: Lanes, const R: usize, const NR: usize>(p: &GemmPointers, panel: &Panel, i0: usize, j0: usize) {
    let mut acc = [[L::zero(); NR]; R];
    for kk in 0..p.k {
        let w_k = panel.w.add(kk * panel.stride);
        let mut w_regs = [L::zero(); NR];
        for (c, w_reg) in w_regs.iter_mut().enumerate() {
            *w_reg = L::load(w_k.add(c * L::WIDTH));
        }
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let x_ik = L::splat(*p.x.add((i0 + r) * p.x_stride + kk));
            for (a, &w_reg) in acc_r.iter_mut().zip(&w_regs) {
                *a = L::mul_add(x_ik, w_reg, *a);
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        for (c, &a) in acc_r.iter().enumerate() {
            let j = j0 + c * L::WIDTH;
            let value = match p.bias {
                Some(b) => L::add(a, L::load(b.add(j))),
                None => a,
            };
            L::store(p.out.add((i0 + r) * p.out_stride + j), value);
        }
    }
}

/// out (M, N) = x (M, K) · w (N, K)ᵀ: every row of x dotted with every row of w.
///
/// # Safety
/// The CPU must support `L`'s instruction set.
#[inline(always)]
pub unsafe fn gemm_transposed<L: Lanes>(out: MatrixMut, x: Matrix, w: Matrix, m: usize, k: usize, n: usize) {
    assert_fits("gemm_transposed out", out.data.len(), m, n, out.stride);
    assert_fits("gemm_transposed x", x.data.len(), m, k, x.stride);
    assert_fits("gemm_transposed w", w.data.len(), n, k, w.stride);
    let p = DotPointers { out: out.data.as_mut_ptr(), out_stride: out.stride, x: x.data.as_ptr(), x_stride: x.stride, w: w.data.as_ptr(), w_stride: w.stride, k };

    for j_block in (0..n).step_by(W_ROWS_PER_BLOCK) {
        let j_end = n.min(j_block + W_ROWS_PER_BLOCK);
        let mut i0 = 0;
        while i0 + ROWS <= m {
            dot_row_tile::<L, ROWS>(&p, i0, j_block, j_end);
            i0 += ROWS;
        }
        for i in i0..m {
            dot_row_tile::<L, 1>(&p, i, j_block, j_end);
        }
    }
}

/// Raw pointers and strides shared by one [`gemm_transposed`] call (bounds already checked).
struct DotPointers {
    out: *mut f32,
    out_stride: usize,
    x: *const f32,
    x_stride: usize,
    w: *const f32,
    w_stride: usize,
    k: usize,
}

/// Rows i0..i0+R of x against rows j_start..j_end of w, two rows of w at a time.
#[inline(always)]
unsafe fn dot_row_tile<L: Lanes, const R: usize>(p: &DotPointers, i0: usize, j_start: usize, j_end: usize) {
    let mut j = j_start;
    while j + 2 <= j_end {
        dot_tile::<L, R, 2>(p, i0, j);
        j += 2;
    }
    if j < j_end {
        dot_tile::<L, R, 1>(p, i0, j);
    }
}

/// The (R, NC) block of out at (i0, j0): R·NC dot products of length K, each kept in a
/// register of partial sums and added across lanes at the end.
#[inline(always)]
unsafe fn dot_tile<L: Lanes, const R: usize, const NC: usize>(p: &DotPointers, i0: usize, j0: usize) {
    let k_vec = p.k - p.k % L::WIDTH;
    let mut acc = [[L::zero(); NC]; R];
    let mut kk = 0;
    while kk < k_vec {
        let mut w_regs = [L::zero(); NC];
        for (c, w_reg) in w_regs.iter_mut().enumerate() {
            *w_reg = L::load(p.w.add((j0 + c) * p.w_stride + kk));
        }
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let x_reg = L::load(p.x.add((i0 + r) * p.x_stride + kk));
            for (a, &w_reg) in acc_r.iter_mut().zip(&w_regs) {
                *a = L::mul_add(x_reg, w_reg, *a);
            }
        }
        kk += L::WIDTH;
    }
    for (r, acc_r) in acc.iter().enumerate() {
        for (c, &a) in acc_r.iter().enumerate() {
            let (x_i, w_j) = (p.x.add((i0 + r) * p.x_stride), p.w.add((j0 + c) * p.w_stride));
            let mut sum = L::sum(a);
            for kk in k_vec..p.k {
                sum += *x_i.add(kk) * *w_j.add(kk);
            }
            *p.out.add((i0 + r) * p.out_stride + j0 + c) = sum;
        }
    }
}

/// Independent multiply-add chains in [`peak_loop`]: enough to keep every FMA unit busy despite
/// each one's latency (two units of 4–5 cycles on AVX2 cores).
const PEAK_CHAINS: usize = 12;

/// `iterations` rounds of [`PEAK_CHAINS`] vector multiply-adds on registers alone, no memory:
/// this core's arithmetic ceiling, which the matrix products' GFLOP/s are measured against.
/// Returns a value that depends on every result (so nothing is optimised away) and the flops
/// done per iteration.
///
/// # Safety
/// The CPU must support `L`'s instruction set.
#[inline(always)]
pub unsafe fn peak_loop<L: Lanes>(iterations: usize) -> (f32, usize) {
    let mut acc = [L::splat(1.0); PEAK_CHAINS];
    let (a, b) = (L::splat(0.999_999), L::splat(1e-7));
    for _ in 0..iterations {
        for r in acc.iter_mut() {
            *r = L::mul_add(*r, a, b);
        }
    }
    let mut total = L::zero();
    for r in acc {
        total = L::add(total, r);
    }
    (L::sum(total), PEAK_CHAINS * L::WIDTH * 2)
}

/// The portable twin is what non-x86, non-simd128 targets run; on x86 the integration tests
/// only reach AVX, so it is checked here directly.
#[cfg(test)]
mod tests {
    use super::super::lanes::Portable;
    use super::*;
    use crate::ops::linear;

    fn ramp(n: usize, seed: f32) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * 0.37 + seed).sin()).collect()
    }

    fn assert_close(got: &[f32], want: &[f32]) {
        for (a, b) in got.iter().zip(want) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    /// A row computed alone (the single-row path) equals, bit for bit, the same row computed
    /// in a tile of rows: an incremental pass relies on it.
    #[test]
    fn a_row_alone_equals_the_row_in_a_tile() {
        let (m, k, n) = (9, 19, 37); // 37 columns: two registers, one, and a scalar tail
        let (x, w, bias) = (ramp(m * k, 0.1), ramp(k * n, 0.2), ramp(n, 0.3));
        let mut all = vec![0.0; m * n];
        let (out, xm, wm) = (MatrixMut { data: &mut all, stride: n }, Matrix { data: &x, stride: k }, Matrix { data: &w, stride: n });
        unsafe { gemm::<Portable>(out, xm, wm, Some(&bias), m, k, n) };
        for i in 0..m {
            let mut row = vec![0.0; n];
            let (out, xm) = (MatrixMut { data: &mut row, stride: n }, Matrix { data: &x[i * k..], stride: k });
            unsafe { gemm::<Portable>(out, xm, wm, Some(&bias), 1, k, n) };
            assert!(row.iter().zip(&all[i * n..]).all(|(a, b)| a.to_bits() == b.to_bits()), "row {i}");
        }
    }

    #[test]
    fn portable_lanes_match_scalar() {
        for (m, k, n) in [(1, 1, 1), (1, 19, 37), (3, 7, 9), (5, 17, 33), (4, 8, 16), (9, 24, 70)] {
            let (x, w, bias) = (ramp(m * k, 0.1), ramp(k * n, 0.2), ramp(n, 0.3));
            let (mut want, mut got) = (vec![0.0; m * n], vec![0.0; m * n]);
            linear::matmul(&mut want, &x, &w, Some(&bias), m, k, n);
            let (out, xm, wm) = (MatrixMut { data: &mut got, stride: n }, Matrix { data: &x, stride: k }, Matrix { data: &w, stride: n });
            unsafe { gemm::<Portable>(out, xm, wm, Some(&bias), m, k, n) };
            assert_close(&got, &want);

            let w_t = ramp(n * k, 0.4);
            linear::matmul_transposed(&mut want, &x, &w_t, m, k, n);
            let (out, xm, wm) = (MatrixMut { data: &mut got, stride: n }, Matrix { data: &x, stride: k }, Matrix { data: &w_t, stride: k });
            unsafe { gemm_transposed::<Portable>(out, xm, wm, m, k, n) };
            assert_close(&got, &want);
        }
    }
}
