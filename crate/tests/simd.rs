//! The SIMD backend against the scalar reference: each op over random shapes chosen to hit
//! every edge of the kernels (sizes below, at and past multiples of the vector width and of
//! the 4-row tiles; one row; many heads), then whole forward passes at T = 1 and T = P.
//! They only sum in a different order, so they agree to 1e-5 · (1 + |scalar|).

use attention_playground::attention::Mask;
use attention_playground::backend::scalar::Scalar;
use attention_playground::ops::linear;
use attention_playground::backend::simd::{self, Simd};
use attention_playground::backend::Backend;
use attention_playground::gpt::Gpt;
use attention_playground::weights::random_weights;
use attention_playground::{GptConfig, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod common;
use common::assert_close;

fn random_vec(rng: &mut impl Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

const SIZES: [usize; 10] = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17];
const LARGER: [usize; 5] = [24, 31, 33, 64, 67];

#[test]
fn matmul_matches_scalar() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for &m in SIZES.iter().chain(&[13, 64]) {
        for &k in SIZES.iter().chain(&[24, 96]) {
            for &n in SIZES.iter().chain(&LARGER) {
                let (x, w, bias) = (random_vec(&mut rng, m * k), random_vec(&mut rng, k * n), random_vec(&mut rng, n));
                for bias in [None, Some(&bias[..])] {
                    let (mut want, mut got) = (vec![0.0; m * n], vec![0.0; m * n]);
                    linear::matmul(&mut want, &x, &w, bias, m, k, n);
                    simd::matmul(&mut got, &x, &w, bias, m, k, n);
                    assert_close(&format!("matmul m={m} k={k} n={n} bias={}", bias.is_some()), &got, &want);
                }
            }
        }
    }
}

#[test]
fn matmul_transposed_matches_scalar() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    // n = 130 crosses a 64-row block of w.
    for &m in SIZES.iter().chain(&[13]) {
        for &k in SIZES.iter().chain(&[24, 33]) {
            for &n in SIZES.iter().chain(&LARGER).chain(&[130]) {
                let (x, w) = (random_vec(&mut rng, m * k), random_vec(&mut rng, n * k));
                let (mut want, mut got) = (vec![0.0; m * n], vec![0.0; m * n]);
                linear::matmul_transposed(&mut want, &x, &w, m, k, n);
                simd::matmul_transposed(&mut got, &x, &w, m, k, n);
                assert_close(&format!("matmul_transposed m={m} k={k} n={n}"), &got, &want);
            }
        }
    }
}

#[test]
fn attention_steps_match_scalar() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for n_head in [1, 2, 3, 4] {
        for head_size in [1, 3, 4, 8, 9, 16] {
            let c = n_head * head_size;
            for (t, tk) in [(1, 1), (1, 7), (5, 5), (4, 9), (17, 17)] {
                let (q, k, v) = (random_vec(&mut rng, t * c), random_vec(&mut rng, tk * c), random_vec(&mut rng, tk * c));
                let what = format!("NH={n_head} HS={head_size} T={t} TK={tk}");
                let q = Tensor::new([t, c], q);
                let k = Tensor::new([tk, c], k);
                let v = Tensor::new([tk, c], v);

                let scores = Scalar.attention_scores(&q, &k, n_head);
                assert_close(&format!("scores {what}"), &Simd.attention_scores(&q, &k, n_head).data, &scores.data);
                let weights = Scalar.softmax_rows(&scores);
                let got = Simd.attention_values(&weights, &v);
                let want = Scalar.attention_values(&weights, &v);
                assert_eq!(got.shape, want.shape);
                assert_close(&format!("values {what}"), &got.data, &want.data);
            }
        }
    }
}

/// Whole forward passes with traces, both masks, a single token and a full context.
#[test]
fn forward_matches_scalar() {
    let config = GptConfig { n_embd: 36, n_layer: 2, n_head: 3, n_positions: 21, vocab_size: 53, layer_norm_epsilon: 1e-5 };
    let weights = random_weights(&config, 4);
    let scalar = Gpt::new(config.clone(), Scalar, &weights);
    let simd = Gpt::new(config.clone(), Simd, &weights);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for t in [1, 2, 9, config.n_positions] {
        let ids: Vec<u32> = (0..t).map(|_| rng.random_range(0..config.vocab_size as u32)).collect();
        for mask in [Mask::Causal, Mask::Bidirectional] {
            let want = scalar.forward(&ids, mask, None, true).unwrap().trace.unwrap();
            let got = simd.forward(&ids, mask, None, true).unwrap().trace.unwrap();
            for (i, (g, w)) in got.tensors().iter().zip(want.tensors()).enumerate() {
                assert_eq!(g.shape, w.shape);
                assert_close(&format!("T={t} {mask:?} trace tensor {i}"), &g.data, &w.data);
            }
        }
    }
}
