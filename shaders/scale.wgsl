// Elementwise out = x · s: attention scores divided by √HS.
//
// Layout: x (n), out (n), any shape flattened.
// Dispatch: ceil(n / THREADS) workgroups of THREADS threads, split as (x, y) past 65535;
// element index = global x + global y · (threads in x).

struct Dims {
    n: u32,
    s: f32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// Threads per workgroup: ELEMENTWISE_THREADS, from crate/src/backend/gpu/kernels.rs.
override THREADS: u32;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.x + id.y * groups.x * THREADS;
    if (i >= dims.n) {
        return;
    }
    out[i] = x[i] * dims.s;
}
