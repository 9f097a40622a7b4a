//! Token + position embedding: `x[t] = wte[ids[t]] + wpe[pos0 + t]`; and the token embedding
//! alone, `x[t] = wte[ids[t]]`, for the recurrent net ([`crate::rnn`]), which needs no
//! positions: it reads the tokens in order.
//!
//! - SIMD twin: none (a copy and an add per channel; the SIMD backend calls [`embed`]).
//! - WGSL: `shaders/embed.wgsl`.
//! - Tests: `tests/golden.rs` (forward, through the whole model), `tests/gpu.rs` (the kernel),
//!   `tests/train.rs` (`embedding_backward_matches_finite_differences`), `tests/rnn.rs` (the
//!   token embedding alone, through the recurrent net).

/// out: (T, C) = wte[ids[t]] + wpe[pos0 + t]
/// wte: (V, C), wpe: (P, C)
pub fn embed(out: &mut [f32], wte: &[f32], wpe: &[f32], ids: &[u32], pos0: usize, c: usize) {
    for (t, &id) in ids.iter().enumerate() {
        let token = &wte[id as usize * c..][..c];
        let position = &wpe[(pos0 + t) * c..][..c];
        let out_t = &mut out[t * c..][..c];
        for i in 0..c {
            out_t[i] = token[i] + position[i];
        }
    }
}

/// x: (B·T, C) from ids (B·T), B sequences of T tokens each starting at position 0.
pub fn embedding_forward(x: &mut [f32], ids: &[u32], wte: &[f32], wpe: &[f32], t: usize, c: usize) {
    for (x_b, ids_b) in x.chunks_exact_mut(t * c).zip(ids.chunks_exact(t)) {
        embed(x_b, wte, wpe, ids_b, 0, c);
    }
}

/// Given dx (B·T, C): dwte[id] += dx, dwpe[t] += dx. Repeated tokens add up.
pub fn embedding_backward(dwte: &mut [f32], dwpe: &mut [f32], dx: &[f32], ids: &[u32], t: usize, c: usize) {
    for (i, (row, &id)) in dx.chunks_exact(c).zip(ids).enumerate() {
        let token = &mut dwte[id as usize * c..(id as usize + 1) * c];
        token.iter_mut().zip(row).for_each(|(d, g)| *d += g);
        let position = &mut dwpe[(i % t) * c..(i % t + 1) * c];
        position.iter_mut().zip(row).for_each(|(d, g)| *d += g);
    }
}

/// out: (N, C) = `wte[ids[i]]`, wte: (V, C)
pub fn token_embedding_forward(out: &mut [f32], wte: &[f32], ids: &[u32], c: usize) {
    for (out_i, &id) in out.chunks_exact_mut(c).zip(ids) {
        out_i.copy_from_slice(&wte[id as usize * c..][..c]);
    }
}

/// Given dx (N, C): `dwte[ids[i]] += dx[i]`. Repeated tokens add up.
pub fn token_embedding_backward(dwte: &mut [f32], dx: &[f32], ids: &[u32], c: usize) {
    for (row, &id) in dx.chunks_exact(c).zip(ids) {
        let token = &mut dwte[id as usize * c..(id as usize + 1) * c];
        token.iter_mut().zip(row).for_each(|(d, g)| *d += g);
    }
}
