// Matrix multiply by a transposed matrix: out = x · wᵀ. The tied LM head multiplies the final
// hidden states by the token embedding, which is stored (V, C), one row per token.
//
// Layout, row-major f32: x (M, K), w (N, K), out (M, N).
// Dispatch: (ceil(N / TILE), ceil(M / TILE), 1) workgroups of THREADS×THREADS threads, each
// thread owning 4×4 outputs, tiled exactly like matmul.wgsl. The only difference is the w
// tile: it is read along w's rows (consecutive k, consecutive addresses) and stored as
// [k][col], so the inner loop is the same as matmul's.

struct Dims {
    m: u32,
    k: u32,
    n: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

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
        for (var e = thread; e < TILE * TILE; e += THREADS * THREADS) {
            // x tile: element e is (row e / TILE, k e % TILE).
            let r = e / TILE;
            let c = e % TILE;
            var xv = 0.0;
            if (row0 + r < dims.m && k0 + c < dims.k) {
                xv = x[(row0 + r) * dims.k + k0 + c];
            }
            x_tile[r * TILE + c] = xv;
            // w tile: element e is (col e / TILE, k e % TILE) of the stored (N, K) matrix.
            var wv = 0.0;
            if (col0 + r < dims.n && k0 + c < dims.k) {
                wv = w[(col0 + r) * dims.k + k0 + c];
            }
            w_tile[c * TILE + r] = wv;
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
                out[row * dims.n + col] = acc[i][j];
            }
        }
    }
}
