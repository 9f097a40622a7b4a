// Attention mask: out = scores, with -∞ where the query may not see the key. Causal: the query
// at absolute position pos0 + t sees keys 0..=pos0 + t. Bidirectional: every key (a copy).
//
// Layout, row-major f32: scores (NH, T, TK), out (NH, T, TK).
// `neg_inf` carries -∞ from the host, because WGSL constants cannot be infinite.
// Dispatch: ceil(NH·T·TK / THREADS) workgroups of THREADS threads, split as (x, y)
// past 65535; element index = global x + global y · (threads in x).

struct Dims {
    n: u32,
    queries: u32,
    keys: u32,
    pos0: u32,
    causal: u32,
    neg_inf: f32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// Threads per workgroup: ELEMENTWISE_THREADS, from crate/src/backend/gpu/kernels.rs.
override THREADS: u32;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.x + id.y * groups.x * THREADS;
    if (i >= dims.n) {
        return;
    }
    let key = i % dims.keys;
    let query = (i / dims.keys) % dims.queries;
    let hidden = dims.causal != 0u && key > dims.pos0 + query;
    out[i] = select(scores[i], dims.neg_inf, hidden);
}
