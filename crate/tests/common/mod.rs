//! Shared test helpers: the golden fixture written by `tests/golden/reference.py` (an
//! independent pure-Python GPT-2 in float64), and one generic check that any backend's forward
//! pass and trace match it. A new backend's test is one line: `check_golden(MyBackend::new())`.
//! Also the toy corpus the GPT and GRU trainers learn from.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;

use attention_playground::attention::Mask;
use attention_playground::backend::Backend;
use attention_playground::gpt::Gpt;
use attention_playground::trace::Trace;
use attention_playground::train::data::{Dataset, Source};
use attention_playground::weights::{load_safetensors, HostWeights};
use attention_playground::{GptConfig, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

/// A comparison passes when |got − want| ≤ abs + |want| · rel.
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    pub abs: f64,
    pub rel: f64,
}

impl Tolerance {
    /// What any f32 backend must meet against the float64 reference.
    pub const DEFAULT: Tolerance = Tolerance { abs: 1e-5, rel: 1e-4 };
    /// The CPU backends hold this tighter bound (the largest error is cancellation in q·k).
    pub const CPU: Tolerance = Tolerance { abs: 1e-5, rel: 1e-5 };
}

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/tiny")
}

pub fn fixture_bytes(file: &str) -> Vec<u8> {
    let path = fixture_dir().join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run tests/golden/reference.py)", path.display()))
}

pub fn fixture_config() -> GptConfig {
    GptConfig::from_json(&String::from_utf8(fixture_bytes("config.json")).unwrap()).unwrap()
}

pub fn fixture_weights() -> HostWeights {
    load_safetensors(&fixture_bytes("model.safetensors"), &fixture_config()).unwrap()
}

pub struct Golden {
    pub ids: Vec<u32>,
    json: Value,
}

impl Golden {
    pub fn load() -> Self {
        let json: Value = serde_json::from_slice(&fixture_bytes("golden.json")).unwrap();
        let ids = json["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
        Self { ids, json }
    }

    /// The value at a `/`-separated path, e.g. `causal/layers/0/attention/q`.
    pub fn get(&self, path: &str) -> &Value {
        let pointer = format!("/{path}");
        self.json.pointer(&pointer).unwrap_or_else(|| panic!("golden.json has no {path}"))
    }

    /// A nested array flattened row-major, with its shape; `null` (a masked score) is -∞.
    pub fn tensor(&self, path: &str) -> (Vec<usize>, Vec<f64>) {
        let mut shape = Vec::new();
        let mut level = self.get(path);
        while let Some(items) = level.as_array() {
            shape.push(items.len());
            level = &items[0];
        }
        let mut data = Vec::new();
        flatten(self.get(path), &mut data);
        (shape, data)
    }
}

fn flatten(value: &Value, out: &mut Vec<f64>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| flatten(v, out)),
        Value::Null => out.push(f64::NEG_INFINITY),
        v => out.push(v.as_f64().unwrap()),
    }
}

/// Largest |got − want| so far, for the report; panics past the tolerance.
pub struct Comparison {
    pub tolerance: Tolerance,
    pub max_abs_diff: f64,
    pub where_max: String,
}

impl Comparison {
    pub fn new(tolerance: Tolerance) -> Self {
        Self { tolerance, max_abs_diff: 0.0, where_max: String::new() }
    }

    pub fn check(&mut self, name: &str, got: &Tensor, want_shape: &[usize], want: &[f64]) {
        assert_eq!(got.shape, want_shape, "{name}: shape");
        for (i, (&g, &w)) in got.data.iter().zip(want).enumerate() {
            if w.is_infinite() {
                assert_eq!(g as f64, w, "{name}[{i}]: expected {w}");
                continue;
            }
            let diff = (g as f64 - w).abs();
            assert!(diff <= self.tolerance.abs + w.abs() * self.tolerance.rel, "{name}[{i}]: got {g}, want {w} (|diff| {diff:e})");
            if diff > self.max_abs_diff {
                self.max_abs_diff = diff;
                self.where_max = format!("{name}[{i}]");
            }
        }
    }

    pub fn check_path(&mut self, golden: &Golden, path: &str, got: &Tensor) {
        let (shape, want) = golden.tensor(path);
        self.check(path, got, &shape, &want);
    }
}

/// A trace, read back to the host.
pub fn read_trace<B: Backend>(backend: &B, trace: &Trace<B::Tensor>) -> Trace<Tensor> {
    let host = pollster::block_on(backend.read(&trace.tensors())).expect("read back the trace");
    trace.with_tensors(host)
}

/// Run the fixture model on `backend` with both masks and compare logits and every traced
/// intermediate against the reference within [`Tolerance::DEFAULT`]. Returns the largest
/// |difference| seen.
pub fn check_golden<B: Backend>(backend: B) -> Comparison {
    check_golden_within(backend, Tolerance::DEFAULT)
}

pub fn check_golden_within<B: Backend>(backend: B, tolerance: Tolerance) -> Comparison {
    let golden = Golden::load();
    let gpt = Gpt::new(fixture_config(), backend, &fixture_weights());
    let mut comparison = Comparison::new(tolerance);
    for (mask, key) in [(Mask::Causal, "causal"), (Mask::Bidirectional, "bidirectional")] {
        // Without a trace: the path the page takes while the user types.
        let forward = gpt.forward(&golden.ids, mask, None, false).unwrap();
        let logits = pollster::block_on(gpt.backend.read(&[&forward.logits])).unwrap().remove(0);
        comparison.check_path(&golden, &format!("{key}/logits"), &logits);

        // With a trace: every step the page can show.
        let forward = gpt.forward(&golden.ids, mask, None, true).unwrap();
        let trace = read_trace(&gpt.backend, forward.trace.as_ref().unwrap());
        comparison.check_path(&golden, &format!("{key}/embeddings"), &trace.embeddings);
        for (l, layer) in trace.layers.iter().enumerate() {
            let prefix = format!("{key}/layers/{l}");
            comparison.check_path(&golden, &format!("{prefix}/ln_1"), &layer.ln_1);
            let a = &layer.attention;
            let steps = [
                ("q", &a.q),
                ("k", &a.k),
                ("v", &a.v),
                ("scores", &a.scores),
                ("scaled", &a.scaled),
                ("masked", &a.masked),
                ("weights", &a.weights),
                ("out", &a.out),
            ];
            for (name, tensor) in steps {
                comparison.check_path(&golden, &format!("{prefix}/attention/{name}"), tensor);
            }
            comparison.check_path(&golden, &format!("{prefix}/after_attention"), &layer.after_attention);
            comparison.check_path(&golden, &format!("{prefix}/after_mlp"), &layer.after_mlp);
        }
        comparison.check_path(&golden, &format!("{key}/final_norm"), &trace.final_norm);
        comparison.check_path(&golden, &format!("{key}/logits"), &trace.logits);
    }
    comparison
}

/// One tensor, read back to the host.
pub fn read_one<B: Backend>(backend: &B, tensor: &B::Tensor) -> Tensor {
    pollster::block_on(backend.read(&[tensor])).expect("read back").remove(0)
}

/// A random GPT-2-shaped model with sizes that are multiples of nothing in particular.
pub fn awkward_config() -> GptConfig {
    GptConfig { n_embd: 20, n_layer: 2, n_head: 4, n_positions: 12, vocab_size: 29, layer_norm_epsilon: 1e-5 }
}

/// |got − want| ≤ 1e-5 · (1 + |want|), element by element.
pub fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        // Equal infinities (masked scores) subtract to NaN, so compare them first.
        assert!(a == b || (a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{what}[{i}]: got {a}, want {b}");
    }
}

/// A toy corpus with structure to learn, for the GPT and the GRU trainers alike: each line
/// counts up from a random start, so the next token follows from the last one.
pub fn counting_dataset(seq_len: usize, vocab: u32) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let mut stream = |n: usize| -> Vec<u32> {
        (0..n).map(|_| rng.random_range(0..vocab)).flat_map(|start| (0..8).map(move |i| (start + i) % vocab)).collect()
    };
    let sources = vec![Source { name: "count".into(), weight: 1.0, train: stream(200), val: stream(30) }];
    Dataset::new(sources, seq_len).unwrap()
}
