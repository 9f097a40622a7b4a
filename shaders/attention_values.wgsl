// Weighted sum of values per head, heads merged back side by side:
// out[t, h·HS + d] = Σ_j weights[h, t, j] · v[j, h·HS + d].
//
// Layout, row-major f32: weights (NH, T, TK), v (TK, C), out (T, C), with C = NH · HS.
// Dispatch: (ceil(C / TILE), ceil(T / TILE), 1) workgroups of TILE×TILE threads,
// one output per thread; neighbouring threads read neighbouring channels of v.

struct Dims {
    queries: u32,
    keys: u32,
    heads: u32,
    head_size: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// Side of a workgroup: ATTENTION_TILE, from crate/src/backend/gpu/kernels.rs.
override TILE: u32;

@compute @workgroup_size(TILE, TILE, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let channel = id.x;
    let query = id.y;
    let channels = dims.heads * dims.head_size;
    if (channel >= channels || query >= dims.queries) {
        return;
    }
    let head = channel / dims.head_size;
    let w_start = (head * dims.queries + query) * dims.keys;
    var acc = 0.0;
    for (var j = 0u; j < dims.keys; j++) {
        acc += weights[w_start + j] * v[j * channels + channel];
    }
    out[query * channels + channel] = acc;
}
