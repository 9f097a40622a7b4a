// Matrix multiply with an optional bias: out = x · w (+ bias), the Linear layer `y = x·W + b`.
//
// Layout, row-major f32: x (M, K), w (K, N), bias (N), out (M, N). With `has_bias == 0` the
// bias binding is a placeholder and is not read.
// Dispatch: (ceil(N / 16), ceil(M / 16), 1) workgroups of 16×16 threads, one output per thread.
// The workgroup walks K in steps of 16, staging a 16×16 tile of x and one of w in workgroup
// memory, so each value fetched from global memory is used by 16 threads. Rows, columns and K
// that are not multiples of 16 load zeros into the tiles and skip the store.

struct Dims {
    m: u32,
    k: u32,
    n: u32,
    has_bias: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const TILE: u32 = 16u;

var<workgroup> x_tile: array<array<f32, TILE>, TILE>; // [row][k]
var<workgroup> w_tile: array<array<f32, TILE>, TILE>; // [k][col]

@compute @workgroup_size(TILE, TILE, 1)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let row = group.y * TILE + local.y;
    let col = group.x * TILE + local.x;
    var acc = 0.0;
    for (var k0 = 0u; k0 < dims.k; k0 += TILE) {
        // Thread (y, x) loads x[row, k0 + x] and w[k0 + y, col].
        let xk = k0 + local.x;
        var xv = 0.0;
        if (row < dims.m && xk < dims.k) {
            xv = x[row * dims.k + xk];
        }
        x_tile[local.y][local.x] = xv;
        let wk = k0 + local.y;
        var wv = 0.0;
        if (wk < dims.k && col < dims.n) {
            wv = w[wk * dims.n + col];
        }
        w_tile[local.y][local.x] = wv;
        workgroupBarrier();
        for (var kk = 0u; kk < TILE; kk++) {
            acc += x_tile[local.y][kk] * w_tile[kk][local.x];
        }
        workgroupBarrier();
    }
    if (row < dims.m && col < dims.n) {
        if (dims.has_bias != 0u) {
            acc += bias[col];
        }
        out[row * dims.n + col] = acc;
    }
}
