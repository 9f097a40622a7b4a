//! Incremental decoding with a KV cache gives the same logits as recomputing the whole
//! sequence, on every CPU backend.

mod common;

use attention_playground::attention::Mask;
use attention_playground::backend::scalar::Scalar;
use attention_playground::backend::simd::Simd;
use attention_playground::backend::Backend;
use attention_playground::gpt::{Gpt, KvCache};
use attention_playground::weights::random_weights;
use attention_playground::Error;
use common::{assert_close, awkward_config, read_one};

fn incremental_equals_full<B: Backend>(backend: B) {
    let config = awkward_config();
    let (p, v) = (config.n_positions, config.vocab_size);
    let gpt = Gpt::new(config.clone(), backend, &random_weights(&config, 11));
    let ids: Vec<u32> = (0..p as u32).map(|i| (i * 7 + 3) % v as u32).collect();
    let full = read_one(&gpt.backend, &gpt.forward(&ids, Mask::Causal, None, false).unwrap().logits); // (P, V)

    // A prompt of 5, then single tokens, then a chunk of 3 that fills the context.
    let mut cache = KvCache::new(config.n_layer);
    let chunks: [std::ops::Range<usize>; 6] = [0..5, 5..6, 6..7, 7..8, 8..9, 9..p];
    for chunk in chunks {
        let forward = gpt.forward(&ids[chunk.clone()], Mask::Causal, Some(&mut cache), true).unwrap();
        let logits = read_one(&gpt.backend, &forward.logits);
        assert_eq!(logits.shape, [chunk.len(), v]);
        assert_close(&format!("logits {chunk:?}"), &logits.data, &full.data[chunk.start * v..chunk.end * v]);
        assert_eq!(cache.len, chunk.end);

        // The trace of a cached step sees every key so far, at absolute positions.
        let trace = forward.trace.unwrap();
        assert_eq!(trace.pos0, chunk.start);
        let weights = read_one(&gpt.backend, &trace.layers[0].attention.weights);
        assert_eq!(weights.shape, [config.n_head, chunk.len(), chunk.end]);
        for (row, w) in weights.data.chunks_exact(chunk.end).enumerate() {
            let query_pos = chunk.start + row % chunk.len();
            assert!(w[query_pos + 1..].iter().all(|&x| x == 0.0), "a cached query saw a later key");
            assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }

    // The context is full: one more token is a clear error, not a panic.
    match gpt.forward(&ids[..1], Mask::Causal, Some(&mut cache), false) {
        Err(Error::Input(message)) => assert!(message.contains("exceed"), "{message}"),
        _ => panic!("decoding past n_positions must fail"),
    }
    // A cache only makes sense left to right.
    let mut fresh = KvCache::new(config.n_layer);
    assert!(matches!(gpt.forward(&ids[..2], Mask::Bidirectional, Some(&mut fresh), false), Err(Error::Input(_))));
}

#[test]
fn scalar_incremental_equals_full() {
    incremental_equals_full(Scalar);
}

#[test]
fn simd_incremental_equals_full() {
    incremental_equals_full(Simd);
}
