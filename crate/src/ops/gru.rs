//! The GRU cell's gate arithmetic for one time step, forward and backward, for B rows at once
//! (the recurrent net of [`crate::rnn`], which runs the products around it with
//! [`super::linear`]). Gates are stored side by side, z | r | n (3H columns):
//!
//! ```text
//! z = σ(xw[z] + hw[z])             update gate          xw = x·W_x + b_x   (B, 3H)
//! r = σ(xw[r] + hw[r])             reset gate           hw = h·W_h + b_h   (B, 3H)
//! n = tanh(xw[n] + r ⊙ hw[n])      candidate state
//! h_next = (1 − z) ⊙ n + z ⊙ h_prev
//! ```
//!
//! - SIMD twin, WGSL: none (O(B·H) per step; the recurrent net runs on the CPU only).
//! - Tests: `tests/rnn.rs` (finite differences through the whole net, and an independent
//!   Python GRU, `tests/golden/reference_rnn.py`).

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// gates (B, 3H) = [z | r | n] and h_next (B, H) from xw, hw (B, 3H) and h_prev (B, H).
pub fn gru_cell_forward(gates: &mut [f32], h_next: &mut [f32], xw: &[f32], hw: &[f32], h_prev: &[f32], h: usize) {
    let rows = gates.chunks_exact_mut(3 * h).zip(h_next.chunks_exact_mut(h)).zip(xw.chunks_exact(3 * h).zip(hw.chunks_exact(3 * h))).zip(h_prev.chunks_exact(h));
    for (((g, h_next), (xw, hw)), h_prev) in rows {
        for i in 0..h {
            let z = sigmoid(xw[i] + hw[i]);
            let r = sigmoid(xw[h + i] + hw[h + i]);
            let n = (xw[2 * h + i] + r * hw[2 * h + i]).tanh();
            (g[i], g[h + i], g[2 * h + i]) = (z, r, n);
            h_next[i] = (1.0 - z) * n + z * h_prev[i];
        }
    }
}

/// Given dh (B, H) = ∂loss/∂h_next: dxw and dhw (B, 3H), the gradients of the two gate inputs,
/// and dh_prev (B, H) = the direct path z ⊙ dh only (overwritten; the path through hw is the
/// caller's: the backward of `hw = h_prev·W_h + b_h` adds to it).
#[allow(clippy::too_many_arguments)]
pub fn gru_cell_backward(dxw: &mut [f32], dhw: &mut [f32], dh_prev: &mut [f32], dh: &[f32], gates: &[f32], hw: &[f32], h_prev: &[f32], h: usize) {
    let grads = dxw.chunks_exact_mut(3 * h).zip(dhw.chunks_exact_mut(3 * h)).zip(dh_prev.chunks_exact_mut(h));
    let saved = dh.chunks_exact(h).zip(gates.chunks_exact(3 * h)).zip(hw.chunks_exact(3 * h).zip(h_prev.chunks_exact(h)));
    for (((dxw, dhw), dh_prev), ((dh, g), (hw, h_prev))) in grads.zip(saved) {
        for i in 0..h {
            let (z, r, n, d) = (g[i], g[h + i], g[2 * h + i], dh[i]);
            // h_next = (1 − z) n + z h_prev
            let dn = d * (1.0 - z);
            let dz = d * (h_prev[i] - n);
            dh_prev[i] = d * z;
            // n = tanh(xw_n + r ⊙ hw_n); z, r = σ(·)
            let dn_pre = dn * (1.0 - n * n);
            let dz_pre = dz * z * (1.0 - z);
            let dr_pre = dn_pre * hw[2 * h + i] * r * (1.0 - r);
            (dxw[i], dxw[h + i], dxw[2 * h + i]) = (dz_pre, dr_pre, dn_pre);
            (dhw[i], dhw[h + i], dhw[2 * h + i]) = (dz_pre, dr_pre, dn_pre * r);
        }
    }
}
