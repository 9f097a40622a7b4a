// Softmax over each row: out[i] = exp(x[i] - max) / Σ exp(x[j] - max).
//
// Layout, row-major f32: x (rows, cols), out (rows, cols). Subtracting the row max keeps exp()
// from overflowing. A row that is entirely -∞ (a query that may see no key) has no defined
// softmax; it becomes all zeros, as in the scalar reference, instead of NaN.
// Dispatch: one workgroup of THREADS threads per row, rows numbered x + y · (groups in x). Threads
// stride over the row; max and sum are reduced in workgroup memory.

struct Dims {
    rows: u32,
    cols: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

// Threads per row (a power of two): ROW_THREADS, from crate/src/backend/gpu/kernels.rs.
override THREADS: u32;
// The lowest finite f32: only -∞ is below it. (WGSL constants cannot be infinite.)
const LOWEST: f32 = -3.4028234663852886e38;

var<workgroup> partial: array<f32, THREADS>;

fn workgroup_max(value: f32, thread: u32) -> f32 {
    partial[thread] = value;
    workgroupBarrier();
    for (var stride = THREADS / 2u; stride > 0u; stride /= 2u) {
        if (thread < stride) {
            partial[thread] = max(partial[thread], partial[thread + stride]);
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
}

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

    // 1. row max (masked entries are -∞ and never win unless all are)
    var row_max = LOWEST;
    for (var i = thread; i < dims.cols; i += THREADS) {
        row_max = max(row_max, x[start + i]);
    }
    row_max = workgroup_max(row_max, thread);

    // 2. Σ exp(x - max), skipping -∞ entries (their exp is 0)
    var sum = 0.0;
    for (var i = thread; i < dims.cols; i += THREADS) {
        let v = x[start + i];
        if (v >= LOWEST) {
            sum += exp(v - row_max);
        }
    }
    sum = workgroup_sum(sum, thread);

    // 3. normalise; an all -∞ row has sum 0 and becomes zeros
    for (var i = thread; i < dims.cols; i += THREADS) {
        let v = x[start + i];
        var p = 0.0;
        if (v >= LOWEST && sum > 0.0) {
            p = exp(v - row_max) / sum;
        }
        out[start + i] = p;
    }
}
