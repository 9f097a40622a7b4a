//! Probability steps against the independent reference (`tests/golden/reference.py`, float64).

mod common;

use attention_playground::sampling::{probability_steps, SamplingOptions};
use common::Golden;

#[test]
fn probability_steps_match_the_reference() {
    let golden = Golden::load();
    let temperature = golden.get("sampling/temperature").as_f64().unwrap() as f32;
    let vector = |name: &str| golden.tensor(&format!("sampling/{name}")).1;
    let logits: Vec<f32> = vector("logits").iter().map(|&l| l as f32).collect();
    let opts = SamplingOptions { temperature, ..SamplingOptions::default() };
    let steps = probability_steps(&logits, &opts).unwrap();
    for (name, got) in [("scaled", &steps.scaled), ("exp", &steps.exp), ("probabilities", &steps.probabilities)] {
        let want = vector(name);
        assert_eq!(got.len(), want.len(), "{name}");
        for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
            assert!((f64::from(g) - w).abs() <= 1e-7 + w.abs() * 1e-6, "{name}[{i}]: {g} vs {w}");
        }
    }
}
