// Matrix multiply by a transposed matrix: out = x · wᵀ. The tied LM head multiplies the final
// hidden states by the token embedding, which is stored (V, C), one row per token.
//
// Layout, row-major f32: x (M, K), w (N, K), out (M, N).
// Dispatch: (ceil(N / 16), ceil(M / 16), 1) workgroups of 16×16 threads, one output per thread.
// Tiled like matmul.wgsl; the w tile is loaded along w's rows (consecutive k, coalesced) and
// stored transposed in workgroup memory, so the inner loop reads it exactly like matmul's.

struct Dims {
    m: u32,
    k: u32,
    n: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const TILE: u32 = 16u;

var<workgroup> x_tile: array<array<f32, TILE>, TILE>; // [row][k]
var<workgroup> w_tile: array<array<f32, TILE>, TILE>; // [k][col]

@compute @workgroup_size(TILE, TILE, 1)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let row = group.y * TILE + local.y;
    let col = group.x * TILE + local.x;
    // The column of w (a row of the stored matrix) that thread (y, x) loads: group.x * TILE + y.
    let w_row = group.x * TILE + local.y;
    var acc = 0.0;
    for (var k0 = 0u; k0 < dims.k; k0 += TILE) {
        let k = k0 + local.x;
        var xv = 0.0;
        if (row < dims.m && k < dims.k) {
            xv = x[row * dims.k + k];
        }
        x_tile[local.y][local.x] = xv;
        var wv = 0.0;
        if (w_row < dims.n && k < dims.k) {
            wv = w[w_row * dims.k + k];
        }
        w_tile[local.x][local.y] = wv;
        workgroupBarrier();
        for (var kk = 0u; kk < TILE; kk++) {
            acc += x_tile[local.y][kk] * w_tile[kk][local.x];
        }
        workgroupBarrier();
    }
    if (row < dims.m && col < dims.n) {
        out[row * dims.n + col] = acc;
    }
}
