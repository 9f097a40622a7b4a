// One column block of a matrix: out = x[:, part·W .. (part+1)·W]. Splits the fused c_attn output
// (T, 3C) into q, k and v; dispatched once per part.
//
// Layout, row-major f32: x (M, parts·W), out (M, W).
// Dispatch: ceil(M·W / THREADS) workgroups of THREADS threads, split as (x, y) past 65535;
// element index = global x + global y · (threads in x), one output element per thread.

struct Dims {
    rows: u32,
    width: u32,
    parts: u32,
    part: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// Threads per workgroup: ELEMENTWISE_THREADS, from crate/src/backend/gpu/kernels.rs.
override THREADS: u32;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.x + id.y * groups.x * THREADS;
    if (i >= dims.rows * dims.width) {
        return;
    }
    let row = i / dims.width;
    let col = i % dims.width;
    out[i] = x[row * dims.parts * dims.width + dims.part * dims.width + col];
}
