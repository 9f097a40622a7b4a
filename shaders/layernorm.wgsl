// LayerNorm over each row: out = (x - mean) / sqrt(var + eps) · gamma + beta.
//
// Layout, row-major f32: x (M, N), gamma (N), beta (N), out (M, N). The variance is the biased
// one (divided by N), computed in a second pass around the mean, as the scalar reference does.
// Dispatch: one workgroup of THREADS threads per row, rows numbered x + y · (groups in x), so more
// than 65535 rows fit. Threads stride over the row; sums are reduced in workgroup memory.

struct Dims {
    rows: u32,
    cols: u32,
    eps: f32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

// Threads per row (a power of two): ROW_THREADS, from crate/src/backend/gpu/kernels.rs.
override THREADS: u32;

var<workgroup> partial: array<f32, THREADS>;

// Sum of `value` over the workgroup's threads (every thread gets the total).
fn workgroup_sum(value: f32, thread: u32) -> f32 {
    partial[thread] = value;
    workgroupBarrier();
    for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
        if (thread < stride) {
            partial[thread] += partial[thread + stride];
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
}

@compute @workgroup_size(THREADS, 1, 1)
fn main(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) thread: u32,
) {
    let row = group.x + group.y * groups.x;
    // Every thread of a workgroup shares `row`, so this early exit keeps barriers uniform.
    if (row >= dims.rows) {
        return;
    }
    let start = row * dims.cols;
    let n = f32(dims.cols);

    // 1. mean
    var sum = 0.0;
    for (var i = thread; i < dims.cols; i += THREADS) {
        sum += x[start + i];
    }
    let mean = workgroup_sum(sum, thread) / n;

    // 2. variance around the mean
    var squares = 0.0;
    for (var i = thread; i < dims.cols; i += THREADS) {
        let d = x[start + i] - mean;
        squares += d * d;
    }
    let inv_std = inverseSqrt(workgroup_sum(squares, thread) / n + dims.eps);

    // 3. normalise, scale and shift
    for (var i = thread; i < dims.cols; i += THREADS) {
        out[start + i] = (x[start + i] - mean) * inv_std * gamma[i] + beta[i];
    }
}
