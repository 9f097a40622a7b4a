//! What the mask means, observed from the outside: with the causal mask a position's logits
//! cannot depend on later tokens; with the bidirectional mask they do.

mod common;

use attention_playground::attention::Mask;
use attention_playground::backend::scalar::Scalar;
use attention_playground::backend::simd::Simd;
use attention_playground::backend::Backend;
use attention_playground::gpt::Gpt;
use attention_playground::weights::random_weights;
use common::{awkward_config, read_one};

fn mask_controls_what_each_position_sees<B: Backend>(backend: B) {
    let config = awkward_config();
    let v = config.vocab_size;
    let gpt = Gpt::new(config.clone(), backend, &random_weights(&config, 12));
    let original: Vec<u32> = vec![4, 8, 15, 16, 23, 28, 1, 0];
    let changed_at = 5;
    let mut edited = original.clone();
    edited[changed_at] = 9;

    let logits = |ids: &[u32], mask| read_one(&gpt.backend, &gpt.forward(ids, mask, None, false).unwrap().logits);

    // Causal: rows before the edit are computed from identical inputs by identical arithmetic,
    // so they are bit-for-bit equal; the edited position and later ones change.
    let (a, b) = (logits(&original, Mask::Causal), logits(&edited, Mask::Causal));
    assert_eq!(a.data[..changed_at * v], b.data[..changed_at * v], "causal: an earlier position saw a later token");
    for t in changed_at..original.len() {
        assert_ne!(a.row(t), b.row(t), "causal: position {t} ignored an edit at or before it");
    }

    // Bidirectional: every position sees every token, so every row changes.
    let (a, b) = (logits(&original, Mask::Bidirectional), logits(&edited, Mask::Bidirectional));
    for t in 0..original.len() {
        let largest_change = a.row(t).iter().zip(b.row(t)).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
        assert!(largest_change > 1e-4, "bidirectional: position {t} did not see the edit at {changed_at}");
    }

    // And the attention weights show it: zeros above the diagonal only when causal.
    let t = original.len();
    for (mask, expect_upper_zero) in [(Mask::Causal, true), (Mask::Bidirectional, false)] {
        let trace = gpt.forward(&original, mask, None, true).unwrap().trace.unwrap();
        let weights = read_one(&gpt.backend, &trace.layers[1].attention.weights); // (NH, T, T)
        for (row, w) in weights.data.chunks_exact(t).enumerate() {
            let i = row % t;
            assert_eq!(w[i + 1..].iter().all(|&x| x == 0.0), expect_upper_zero || i + 1 == t, "{mask:?} row {row}");
        }
    }
}

#[test]
fn scalar_mask_controls_what_each_position_sees() {
    mask_controls_what_each_position_sees(Scalar);
}

#[test]
fn simd_mask_controls_what_each_position_sees() {
    mask_controls_what_each_position_sees(Simd);
}
