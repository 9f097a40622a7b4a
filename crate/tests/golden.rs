//! Each CPU backend against the independent reference (tests/golden/reference.py).

mod common;

use attention_playground::backend::scalar::Scalar;
use attention_playground::ops::softmax::softmax_rows;
use attention_playground::backend::simd::{self, Simd};
use attention_playground::Tensor;
use common::{check_golden_within, Comparison, Golden, Tolerance};

#[test]
fn scalar_matches_reference() {
    let c = check_golden_within(Scalar, Tolerance::CPU);
    println!("scalar: largest |diff| {:e} at {}", c.max_abs_diff, c.where_max);
}

#[test]
fn simd_matches_reference() {
    let c = check_golden_within(Simd, Tolerance::CPU);
    println!("simd ({}): largest |diff| {:e} at {}", simd::instruction_set(), c.max_abs_diff, c.where_max);
}


/// logit → logit / temperature → exp(· − max) → probability, for the last position.
#[test]
fn probabilities_at_temperature_match_reference() {
    let golden = Golden::load();
    let temperature = golden.get("sampling/temperature").as_f64().unwrap() as f32;
    let (shape, logits) = golden.tensor("sampling/logits");
    let scaled: Vec<f32> = logits.iter().map(|&l| l as f32 / temperature).collect();
    let mut probabilities = vec![0.0; scaled.len()];
    softmax_rows(&mut probabilities, &scaled, scaled.len());

    let mut comparison = Comparison::new(Tolerance::CPU);
    comparison.check_path(&golden, "sampling/scaled", &Tensor::new(shape.clone(), scaled));
    comparison.check_path(&golden, "sampling/probabilities", &Tensor::new(shape, probabilities));
}
