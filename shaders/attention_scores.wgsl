// Attention scores per head: out[h, t, j] = Σ_d q[t, h·HS + d] · k[j, h·HS + d], every query
// dotted with every key, head by head (no scaling; that is the next step).
//
// Layout, row-major f32: q (T, C), k (TK, C), out (NH, T, TK), with C = NH · HS.
// Dispatch: (ceil(TK / TILE), ceil(T / TILE), NH) workgroups of TILE×TILE threads,
// one score per thread.

struct Dims {
    queries: u32,
    keys: u32,
    heads: u32,
    head_size: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// Side of a workgroup: ATTENTION_TILE, from crate/src/backend/gpu/kernels.rs.
override TILE: u32;

@compute @workgroup_size(TILE, TILE, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let key = id.x;
    let query = id.y;
    let head = id.z;
    if (key >= dims.keys || query >= dims.queries) {
        return;
    }
    let channels = dims.heads * dims.head_size;
    let q_start = query * channels + head * dims.head_size;
    let k_start = key * channels + head * dims.head_size;
    var acc = 0.0;
    for (var d = 0u; d < dims.head_size; d++) {
        acc += q[q_start + d] * k[k_start + d];
    }
    out[(head * dims.queries + query) * dims.keys + key] = acc;
}
