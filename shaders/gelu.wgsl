// GELU, GPT-2's tanh approximation, elementwise:
// out = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))).
//
// Layout: x (n), out (n), any shape flattened.
// Dispatch: ceil(n / THREADS) workgroups of THREADS threads, split as (x, y) past 65535;
// element index = global x + global y · (threads in x).

struct Dims {
    n: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// Threads per workgroup: ELEMENTWISE_THREADS, from crate/src/backend/gpu/kernels.rs.
override THREADS: u32;

const SQRT_2_OVER_PI: f32 = 0.7978845608;

@compute @workgroup_size(THREADS, 1, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.x + id.y * groups.x * THREADS;
    if (i >= dims.n) {
        return;
    }
    let v = x[i];
    let u = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
    // tanh is exactly ±1 in f32 beyond |u| = 10; clamping keeps drivers that compute tanh from
    // exp() from overflowing to inf/inf = NaN.
    out[i] = 0.5 * v * (1.0 + tanh(clamp(u, -10.0, 10.0)));
}
