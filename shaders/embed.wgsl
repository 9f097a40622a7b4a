// Embedding lookup: out[t] = wte[ids[t]] + wpe[pos0 + t], the residual stream entering block 0.
//
// Layout, row-major f32: wte (V, C), wpe (P, C), ids (T) u32, out (T, C). Token ids and
// positions are checked on the host before dispatch.
// Dispatch: ceil(T·C / THREADS) workgroups of THREADS threads, split as (x, y) past 65535;
// element index = global x + global y · (threads in x), one output element per thread.

struct Dims {
    tokens: u32,
    channels: u32,
    pos0: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> wte: array<f32>;
@group(0) @binding(2) var<storage, read> wpe: array<f32>;
@group(0) @binding(3) var<storage, read> ids: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// Threads per workgroup: ELEMENTWISE_THREADS, from crate/src/backend/gpu/kernels.rs.
override THREADS: u32;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.x + id.y * groups.x * THREADS;
    if (i >= dims.tokens * dims.channels) {
        return;
    }
    let t = i / dims.channels;
    let c = i % dims.channels;
    out[i] = wte[ids[t] * dims.channels + c] + wpe[(dims.pos0 + t) * dims.channels + c];
}
