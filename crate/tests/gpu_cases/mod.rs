//! Op cases shared by the native GPU tests (`gpu.rs`) and the browser ones (`web_gpu.rs`): each
//! op on random inputs of random shapes, run on any two backends and compared element by element.
//!
//! Shapes deliberately include 1 (a single token) and sizes that are not multiples of the
//! kernels' 16-wide tiles or 256-thread workgroups, so every edge path runs.

use attention_playground::attention::Mask;
use attention_playground::backend::Backend;
use attention_playground::Tensor;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Agreement asked of every GPU result: |gpu - reference| ≤ ABS + |reference| · REL.
pub const ABS: f32 = 1e-4;
pub const REL: f32 = 1e-4;

/// One backend op with its non-tensor arguments; the tensors are the case's inputs.
#[derive(Clone, Debug)]
pub enum Op {
    Matmul,
    MatmulBias,
    MatmulTransposed,
    LayerNorm { eps: f32 },
    Gelu,
    Add,
    Scale { s: f32 },
    Embed { ids: Vec<u32>, pos0: usize },
    Mask { mask: Mask, pos0: usize },
    Softmax,
    AttentionScores { n_head: usize },
    AttentionValues,
    SplitColumns { n: usize },
    ConcatRows,
    SliceRows { start: usize, end: usize },
    /// The whole attention, recorded: every step is compared.
    Attention { n_head: usize, mask: Mask, pos0: usize },
}

impl Op {
    /// The kernel family, for per-kernel error reports.
    pub fn kernel(&self) -> &'static str {
        match self {
            Op::Matmul | Op::MatmulBias => "matmul",
            Op::MatmulTransposed => "matmul_transposed",
            Op::LayerNorm { .. } => "layernorm",
            Op::Gelu => "gelu",
            Op::Add => "add",
            Op::Scale { .. } => "scale",
            Op::Embed { .. } => "embed",
            Op::Mask { .. } => "mask",
            Op::Softmax => "softmax",
            Op::AttentionScores { .. } => "attention_scores",
            Op::AttentionValues => "attention_values",
            Op::SplitColumns { .. } => "split_columns",
            Op::ConcatRows => "concat_rows",
            Op::SliceRows { .. } => "slice_rows",
            Op::Attention { .. } => "attention (all steps)",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Case {
    pub op: Op,
    pub inputs: Vec<Tensor>,
}

/// Run `case` on `backend` and read every output back.
pub async fn run<B: Backend>(backend: &B, case: &Case) -> Vec<Tensor> {
    let x: Vec<B::Tensor> = case.inputs.iter().map(|t| backend.upload(t)).collect();
    let b = backend;
    let outputs: Vec<B::Tensor> = match &case.op {
        Op::Matmul => vec![b.matmul(&x[0], &x[1], None)],
        Op::MatmulBias => vec![b.matmul(&x[0], &x[1], Some(&x[2]))],
        Op::MatmulTransposed => vec![b.matmul_transposed(&x[0], &x[1])],
        Op::LayerNorm { eps } => vec![b.layernorm(&x[0], &x[1], &x[2], *eps)],
        Op::Gelu => vec![b.gelu(&x[0])],
        Op::Add => vec![b.add(&x[0], &x[1])],
        Op::Scale { s } => vec![b.scale(&x[0], *s)],
        Op::Embed { ids, pos0 } => vec![b.embed(&x[0], &x[1], ids, *pos0)],
        Op::Mask { mask, pos0 } => vec![b.mask(&x[0], *mask, *pos0)],
        Op::Softmax => vec![b.softmax_rows(&x[0])],
        Op::AttentionScores { n_head } => vec![b.attention_scores(&x[0], &x[1], *n_head)],
        Op::AttentionValues => vec![b.attention_values(&x[0], &x[1])],
        Op::SplitColumns { n } => b.split_columns(&x[0], *n),
        Op::ConcatRows => vec![b.concat_rows(&x[0], &x[1])],
        Op::SliceRows { start, end } => vec![b.slice_rows(&x[0], *start, *end)],
        Op::Attention { n_head, mask, pos0 } => {
            let (_, steps) = b.attention(&x[0], &x[1], &x[2], *n_head, *mask, *pos0, true);
            let steps = steps.expect("attention recorded no steps");
            steps.tensors().into_iter().cloned().collect()
        }
    };
    let refs: Vec<&B::Tensor> = outputs.iter().collect();
    b.read(&refs).await.expect("reading results back failed")
}

/// Largest |got - want| over all outputs, or a description of the first element outside
/// `ABS + |want| · REL`. Equal infinities (masked scores) count as exact.
pub fn compare(got: &[Tensor], want: &[Tensor]) -> Result<f32, String> {
    if got.len() != want.len() {
        return Err(format!("{} outputs, expected {}", got.len(), want.len()));
    }
    let mut max_error = 0.0f32;
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        if g.shape != w.shape {
            return Err(format!("output {k}: shape {:?}, expected {:?}", g.shape, w.shape));
        }
        for (i, (&a, &b)) in g.data.iter().zip(&w.data).enumerate() {
            if a == b {
                continue;
            }
            let error = (a - b).abs();
            #[allow(clippy::neg_cmp_op_on_partial_ord)] // written so that a NaN fails too
            if !(error <= ABS + b.abs() * REL) {
                return Err(format!("output {k} {:?}, element {i}: got {a}, expected {b}", w.shape));
            }
            max_error = max_error.max(error);
        }
    }
    Ok(max_error)
}

fn uniform(rng: &mut ChaCha8Rng, shape: &[usize], scale: f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::new(shape.to_vec(), (0..n).map(|_| rng.random_range(-scale..=scale)).collect())
}

/// A dimension: sometimes 1, sometimes just off a multiple of 16, otherwise anything up to `max`.
fn dim(rng: &mut ChaCha8Rng, max: usize) -> usize {
    match rng.random_range(0..4) {
        0 => 1,
        1 => (16 * rng.random_range(1..=max.div_ceil(16).max(1)) + 1).min(max),
        _ => rng.random_range(1..=max),
    }
}

/// `rounds` random cases of every op, reproducible from `seed`.
pub fn random_cases(seed: u64, rounds: usize) -> Vec<Case> {
    let rng = &mut ChaCha8Rng::seed_from_u64(seed);
    let mut cases = Vec::new();
    for _ in 0..rounds {
        let (m, k, n) = (dim(rng, 70), dim(rng, 300), dim(rng, 90));
        let x = uniform(rng, &[m, k], 1.0);
        cases.push(Case { op: Op::Matmul, inputs: vec![x.clone(), uniform(rng, &[k, n], 1.0)] });
        cases.push(Case {
            op: Op::MatmulBias,
            inputs: vec![x.clone(), uniform(rng, &[k, n], 1.0), uniform(rng, &[n], 1.0)],
        });
        cases.push(Case { op: Op::MatmulTransposed, inputs: vec![x.clone(), uniform(rng, &[n, k], 1.0)] });

        // LayerNorm rows wider than a 256-thread workgroup, and an offset mean.
        let cols = dim(rng, 800);
        let mut rows = uniform(rng, &[m, cols], 3.0);
        rows.data.iter_mut().for_each(|v| *v += 5.0);
        cases.push(Case {
            op: Op::LayerNorm { eps: 1e-5 },
            inputs: vec![rows, uniform(rng, &[cols], 1.0), uniform(rng, &[cols], 1.0)],
        });

        // GELU over its whole range, including where tanh saturates.
        cases.push(Case { op: Op::Gelu, inputs: vec![uniform(rng, &[m, k], 12.0)] });
        cases.push(Case { op: Op::Add, inputs: vec![x.clone(), uniform(rng, &[m, k], 1.0)] });
        cases.push(Case { op: Op::Scale { s: rng.random_range(-2.0..2.0) }, inputs: vec![x.clone()] });

        let (vocab, positions, channels) = (dim(rng, 60), dim(rng, 40), dim(rng, 50));
        let t = rng.random_range(1..=positions);
        let pos0 = rng.random_range(0..=positions - t);
        let ids = (0..t).map(|_| rng.random_range(0..vocab as u32)).collect();
        cases.push(Case {
            op: Op::Embed { ids, pos0 },
            inputs: vec![uniform(rng, &[vocab, channels], 1.0), uniform(rng, &[positions, channels], 1.0)],
        });

        // Attention: NH heads of HS channels, T queries after `past` cached keys.
        let (n_head, head_size) = (rng.random_range(1..=4), dim(rng, 24));
        let c = n_head * head_size;
        let (t, past) = (dim(rng, 20), rng.random_range(0..=12));
        let tk = past + t;
        let q = uniform(rng, &[t, c], 1.0);
        let kv = uniform(rng, &[tk, c], 1.0);
        let v = uniform(rng, &[tk, c], 1.0);
        let scores = uniform(rng, &[n_head, t, tk], 4.0);
        for mask in [Mask::Causal, Mask::Bidirectional] {
            cases.push(Case { op: Op::Mask { mask, pos0: past }, inputs: vec![scores.clone()] });
            cases.push(Case {
                op: Op::Attention { n_head, mask, pos0: past },
                inputs: vec![q.clone(), kv.clone(), v.clone()],
            });
        }
        cases.push(Case { op: Op::AttentionScores { n_head }, inputs: vec![q.clone(), kv.clone()] });
        let weights = uniform(rng, &[n_head, t, tk], 1.0);
        cases.push(Case { op: Op::AttentionValues, inputs: vec![weights, v.clone()] });

        // Softmax: large logits, partly masked rows, and one fully masked row (→ zeros).
        let cols = dim(rng, 700);
        let mut logits = uniform(rng, &[3, m, cols], 30.0);
        let masked_from = rng.random_range(1..=cols);
        for row in logits.data.chunks_mut(cols).skip(1).step_by(2) {
            row[masked_from..].fill(f32::NEG_INFINITY);
        }
        logits.data[..cols].fill(f32::NEG_INFINITY);
        cases.push(Case { op: Op::Softmax, inputs: vec![logits] });

        let parts = rng.random_range(1..=3);
        cases.push(Case { op: Op::SplitColumns { n: parts }, inputs: vec![uniform(rng, &[m, parts * n], 1.0)] });
        let (cached, new) = (dim(rng, 30), dim(rng, 5));
        cases.push(Case {
            op: Op::ConcatRows,
            inputs: vec![uniform(rng, &[cached, c], 1.0), uniform(rng, &[new, c], 1.0)],
        });
        let start = rng.random_range(0..cached);
        let end = rng.random_range(start..=cached);
        cases.push(Case { op: Op::SliceRows { start, end }, inputs: vec![uniform(rng, &[cached, c], 1.0)] });
    }
    cases
}

/// Compare every case on `gpu` against `reference`; the largest error per kernel, in order of
/// first appearance. Panics with the failing case on the first disagreement.
pub async fn check_all<G: Backend, R: Backend>(gpu: &G, reference: &R, cases: &[Case]) -> Vec<(&'static str, f32)> {
    let mut worst: Vec<(&'static str, f32)> = Vec::new();
    for case in cases {
        let got = run(gpu, case).await;
        let want = run(reference, case).await;
        let shapes: Vec<_> = case.inputs.iter().map(|t| t.shape.clone()).collect();
        let error = compare(&got, &want)
            .unwrap_or_else(|e| panic!("{:?} on inputs {shapes:?} disagrees with the reference: {e}", case.op));
        match worst.iter_mut().find(|(k, _)| *k == case.op.kernel()) {
            Some((_, e)) => *e = e.max(error),
            None => worst.push((case.op.kernel(), error)),
        }
    }
    worst
}
