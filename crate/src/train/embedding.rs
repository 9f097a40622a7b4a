//! Token + position embedding: `x[b, t] = wte[ids[b, t]] + wpe[t]`.

/// x (B·T, C) from ids (B·T) laid out as B sequences of T tokens; wte (V, C), wpe (P, C).
pub fn embedding_forward(x: &mut [f32], ids: &[u32], wte: &[f32], wpe: &[f32], t: usize, c: usize) {
    for (i, (row, &id)) in x.chunks_exact_mut(c).zip(ids).enumerate() {
        let token = &wte[id as usize * c..(id as usize + 1) * c];
        let position = &wpe[(i % t) * c..(i % t + 1) * c];
        for ((o, a), b) in row.iter_mut().zip(token).zip(position) {
            *o = a + b;
        }
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
