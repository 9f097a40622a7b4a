// Matrix multiply with an optional bias: out = x · w (+ bias), the Linear layer `y = x·W + b`.
//
// Layout, row-major f32: x (M, K), w (K, N), bias (N), out (M, N). With `has_bias == 0` the
// bias binding is a placeholder and is not read.
// Dispatch: (ceil(N / TILE), ceil(M / TILE), 1) workgroups of THREADS×THREADS threads. A
// workgroup computes a TILE×TILE block of out; thread (y, x) owns the 4×4 outputs at rows
// y + THREADS·i and columns x + THREADS·j.
// The workgroup walks K in steps of TILE, staging a TILE×TILE tile of x and one of w in
// workgroup memory: each value fetched from global memory is used TILE times, and each thread
// reuses every value it reads from workgroup memory 4 times. Edges (M, N, K not multiples of
// TILE) load zeros into the tiles and skip the store. Each output sums over k in order, like
// the reference.

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

// From crate/src/backend/gpu/kernels.rs: the side of the block of out a workgroup computes
// (MATMUL_TILE), and threads per side of the workgroup (MATMUL_THREADS).
override TILE: u32;
override THREADS: u32;
override TILE_AREA: u32 = TILE * TILE;
// Outputs per thread, per side, held in registers (an array in registers needs a size fixed
// when the shader is written): TILE = 4 · THREADS, checked where the constants are defined.
const PER_THREAD: u32 = 4u;

// TILE × TILE, row-major (an array sized by a pipeline constant must be one-dimensional).
var<workgroup> x_tile: array<f32, TILE_AREA>; // [row][k]
var<workgroup> w_tile: array<f32, TILE_AREA>; // [k][col]

@compute @workgroup_size(THREADS, THREADS, 1)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let row0 = group.y * TILE;
    let col0 = group.x * TILE;
    let thread = local.y * THREADS + local.x;
    var acc: array<array<f32, PER_THREAD>, PER_THREAD>; // [i][j], zero-initialised
    for (var k0 = 0u; k0 < dims.k; k0 += TILE) {
        // THREADS² threads load the two tiles, TILE² / THREADS² elements each, consecutive
        // threads reading consecutive addresses.
        for (var e = thread; e < TILE * TILE; e += THREADS * THREADS) {
            let r = e / TILE;
            let c = e % TILE;
            var xv = 0.0;
            if (row0 + r < dims.m && k0 + c < dims.k) {
                xv = x[(row0 + r) * dims.k + k0 + c];
            }
            x_tile[r * TILE + c] = xv;
            var wv = 0.0;
            if (k0 + r < dims.k && col0 + c < dims.n) {
                wv = w[(k0 + r) * dims.n + col0 + c];
            }
            w_tile[r * TILE + c] = wv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TILE; kk++) {
            var xs: array<f32, PER_THREAD>;
            for (var i = 0u; i < PER_THREAD; i++) {
                xs[i] = x_tile[(local.y + i * THREADS) * TILE + kk];
            }
            for (var j = 0u; j < PER_THREAD; j++) {
                let wv = w_tile[kk * TILE + local.x + j * THREADS];
                for (var i = 0u; i < PER_THREAD; i++) {
                    acc[i][j] += xs[i] * wv;
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < PER_THREAD; i++) {
        let row = row0 + local.y + i * THREADS;
        for (var j = 0u; j < PER_THREAD; j++) {
            let col = col0 + local.x + j * THREADS;
            if (row < dims.m && col < dims.n) {
                var value = acc[i][j];
                if (dims.has_bias != 0u) {
                    value += bias[col];
                }
                out[row * dims.n + col] = value;
            }
        }
    }
}
