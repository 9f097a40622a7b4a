//! The GPU backend: the forward pass as WGSL compute shaders (`shaders/`, one kernel per file)
//! through wgpu — WebGPU in the browser, Vulkan/Metal/DX12 natively.
//!
//! [`Gpu`] is a context built once: device, queue, one pipeline per kernel and a pool of
//! storage buffers. Ops only record commands (submitted in batches); tensors stay on the GPU
//! until [`Backend::read`] copies them back, many tensors in one submission.
//!
//! A lost device or an uncaptured validation error is recorded by callbacks and reported by the
//! next `read` as [`Error::Gpu`], so the engine can fall back to the CPU.

mod context;
mod kernels;
mod pool;
mod readback;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use self::context::Health;
use self::kernels::{
    linear_groups, tiled_groups, Kernel, Pipeline, ATTENTION_TILE, ELEMENTWISE_THREADS, MATMUL_TILE, MAX_THREADS,
    WORKGROUP_STORAGE_BYTES,
};
use self::pool::{BufferPool, PooledBuffer};
use super::{Backend, BackendKind};
use crate::ops::attention::Mask;
use crate::{Error, GptConfig, Result, Tensor};

/// Dispatches recorded before they are submitted, so the GPU starts on a long forward pass
/// before it has all been recorded.
const SUBMIT_EVERY: u32 = 64;

/// A row-major `f32` tensor in a GPU storage buffer. Cloning shares the buffer.
#[derive(Clone, Debug)]
pub struct GpuTensor {
    pub shape: Vec<usize>,
    buffer: Arc<PooledBuffer>,
}

impl GpuTensor {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn buffer(&self) -> &wgpu::Buffer {
        self.buffer.buffer()
    }
}

/// The GPU context: open it once with [`Gpu::new`] and run every op through it.
pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    pipelines: HashMap<Kernel, Pipeline>,
    pool: Arc<BufferPool>,
    /// Commands recorded since the last submission, and how many dispatches they hold.
    pending: Mutex<(Option<wgpu::CommandEncoder>, u32)>,
    health: Arc<Health>,
    /// Bound in place of the bias when a matmul has none (a binding cannot be empty).
    no_bias: wgpu::Buffer,
}

impl Gpu {
    /// Open the high-performance adapter and compile every kernel. Fails with [`Error::Gpu`]
    /// when there is no adapter (e.g. a browser without WebGPU) or a kernel does not compile.
    pub async fn new() -> Result<Gpu> {
        let context::Device { device, queue, info, limits } = context::open().await?;
        let health = Health::watch(&device);
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let pipelines = kernels::compile_all(&device);
        if let Some(error) = scope.pop().await {
            return Err(Error::Gpu(format!("compiling the compute shaders failed on {}: {error}", info.name)));
        }
        let no_bias = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("no bias"),
            size: 4,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        Ok(Gpu {
            device,
            queue,
            info,
            limits,
            pipelines,
            pool: Arc::default(),
            pending: Mutex::new((None, 0)),
            health,
            no_bias,
        })
    }

    /// The adapter and the API under it, e.g. "llvmpipe (LLVM 19.1.7, 256 bits) (Vulkan)".
    pub fn adapter_name(&self) -> String {
        let api = match self.info.backend {
            wgpu::Backend::Vulkan => "Vulkan",
            wgpu::Backend::Metal => "Metal",
            wgpu::Backend::Dx12 => "DX12",
            wgpu::Backend::Gl => "GL",
            wgpu::Backend::BrowserWebGpu => "WebGPU",
            wgpu::Backend::Noop => "no-op",
        };
        // Browsers may hide the adapter's name.
        let name = if self.info.name.is_empty() { "unnamed adapter" } else { &self.info.name };
        format!("{name} ({api})")
    }

    /// A CPU emulating a GPU (llvmpipe, SwiftShader, WARP): correct, but says nothing of speed.
    pub fn is_software(&self) -> bool {
        let name = self.info.name.to_lowercase();
        self.info.device_type == wgpu::DeviceType::Cpu
            || ["llvmpipe", "lavapipe", "swiftshader", "warp"].iter().any(|s| name.contains(s))
    }

    /// Does `config`'s model fit this device's limits? Checks the largest tensor against the
    /// largest buffer a kernel may bind, and the grid and workgroup the kernels need.
    pub fn check_fits(&self, config: &GptConfig) -> Result<()> {
        let (c, v, p, nh) = (config.n_embd, config.vocab_size, config.n_positions, config.n_head);
        let tensors = [
            ("token embedding wte (V, C)", v * c),
            ("logits of a full context (P, V)", p * v),
            ("position embedding wpe (P, C)", p * c),
            ("MLP weight c_fc (C, 4C)", c * 4 * c),
            ("MLP activations of a full context (P, 4C)", p * 4 * c),
            ("attention scores of a full context (NH, P, P)", nh * p * p),
        ];
        let limits = &self.limits;
        let max_binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        let mib = |bytes: u64| bytes as f64 / (1 << 20) as f64;
        for (what, elements) in tensors {
            let bytes = elements as u64 * 4;
            if bytes > max_binding {
                return Err(Error::Gpu(format!(
                    "the model does not fit this GPU ({}): its {what} takes {:.1} MiB, but a buffer \
                     may hold at most {:.1} MiB",
                    self.adapter_name(),
                    mib(bytes),
                    mib(max_binding)
                )));
            }
        }
        // Tiled kernels put output columns (up to V in the LM head) and keys (up to P) on a
        // grid axis.
        let widest_grid = v.div_ceil(MATMUL_TILE as usize).max(p.div_ceil(ATTENTION_TILE as usize));
        if widest_grid > limits.max_compute_workgroups_per_dimension as usize {
            return Err(Error::Gpu(format!(
                "the model does not fit this GPU ({}): a {v}-token vocabulary needs {widest_grid} \
                 workgroups in a row, but it allows {}",
                self.adapter_name(),
                limits.max_compute_workgroups_per_dimension
            )));
        }
        if limits.max_compute_invocations_per_workgroup < MAX_THREADS
            || limits.max_compute_workgroup_size_x < MAX_THREADS
            || limits.max_compute_workgroup_size_y < ATTENTION_TILE
            || limits.max_compute_workgroup_storage_size < WORKGROUP_STORAGE_BYTES
        {
            return Err(Error::Gpu(format!(
                "this GPU ({}) cannot run workgroups of {MAX_THREADS} threads with {WORKGROUP_STORAGE_BYTES} \
                 bytes of workgroup memory",
                self.adapter_name()
            )));
        }
        Ok(())
    }

    /// Has the device been lost? (Known once wgpu reports it, at the latest by the next read.)
    pub fn is_lost(&self) -> bool {
        self.health.is_lost()
    }

    /// Storage buffers created for tensors so far. Reused buffers do not count, so after one
    /// pass of each size this stays put however many passes follow (a debug counter for tests).
    pub fn buffers_created(&self) -> usize {
        self.pool.created()
    }

    /// Test hook: destroy the device, as a driver reset or a browser reclaiming the GPU would.
    /// Every later `read` fails with [`Error::Gpu`].
    pub fn simulate_device_loss(&self) {
        self.device.destroy();
        // wgpu reports the loss while it polls; do so now rather than at the next readback.
        let _ = self.device.poll(wgpu::PollType::Poll);
    }

    /// An uninitialised tensor that a kernel will fill.
    fn output(&self, shape: Vec<usize>) -> GpuTensor {
        let bytes = (shape.iter().product::<usize>() * 4).max(4) as u64;
        GpuTensor { shape, buffer: Arc::new(self.pool.take(&self.device, bytes)) }
    }

    /// A new buffer holding `contents` (at least 4 bytes; a binding cannot be empty).
    /// Written through the queue rather than mapped at creation, which panics on a lost device.
    fn new_buffer(&self, label: &str, contents: &[u8], usage: wgpu::BufferUsages) -> wgpu::Buffer {
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (contents.len() as u64).max(4),
            usage: usage | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&buffer, 0, contents);
        buffer
    }

    /// Record `f` into the pending commands; submit them when enough have gathered.
    fn record(&self, f: impl FnOnce(&mut wgpu::CommandEncoder)) {
        let mut pending = self.pending.lock().unwrap();
        let (encoder, dispatches) = &mut *pending;
        f(encoder.get_or_insert_with(|| self.device.create_command_encoder(&Default::default())));
        *dispatches += 1;
        if *dispatches >= SUBMIT_EVERY {
            self.queue.submit(encoder.take().map(|e| e.finish()));
            *dispatches = 0;
        }
    }

    /// The pending commands, to be submitted with a readback.
    fn take_pending(&self) -> wgpu::CommandEncoder {
        let mut pending = self.pending.lock().unwrap();
        pending.1 = 0;
        pending.0.take().unwrap_or_else(|| self.device.create_command_encoder(&Default::default()))
    }

    /// Record one dispatch of `kernel`: `dims` become its uniform struct (binding 0), `inputs`
    /// bindings 1.., the new tensor of `out_shape` the last binding.
    fn run(&self, kernel: Kernel, dims: &[u32], inputs: &[&wgpu::Buffer], out_shape: Vec<usize>, groups: [u32; 3]) -> GpuTensor {
        let out = self.output(out_shape);
        if groups.contains(&0) {
            return out; // nothing to compute (an empty tensor)
        }
        // Uniform structs are read in 16-byte rows; pad so the binding covers the last one.
        let mut words = dims.to_vec();
        words.resize(dims.len().div_ceil(4) * 4, 0);
        let uniform = self.new_buffer(kernel.name(), bytemuck::cast_slice(&words), wgpu::BufferUsages::UNIFORM);
        let buffers = std::iter::once(&uniform).chain(inputs.iter().copied()).chain([out.buffer()]);
        let entries: Vec<_> = buffers
            .enumerate()
            .map(|(i, buffer)| wgpu::BindGroupEntry { binding: i as u32, resource: buffer.as_entire_binding() })
            .collect();
        let pipeline = &self.pipelines[&kernel];
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(kernel.name()),
            layout: &pipeline.layout,
            entries: &entries,
        });
        self.record(|encoder| {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(kernel.name()),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        });
        out
    }

    /// Workgroups for an elementwise kernel over `n` elements.
    fn elementwise_groups(&self, n: usize) -> [u32; 3] {
        linear_groups(n, ELEMENTWISE_THREADS, self.limits.max_compute_workgroups_per_dimension)
    }

    /// Workgroups for a row kernel (one workgroup per row).
    fn row_groups(&self, rows: usize) -> [u32; 3] {
        linear_groups(rows, 1, self.limits.max_compute_workgroups_per_dimension)
    }
}

/// (rows, cols) of a 2-D tensor; panics otherwise (an engine bug).
fn matrix(t: &GpuTensor, what: &str) -> (usize, usize) {
    match t.shape[..] {
        [rows, cols] => (rows, cols),
        ref other => panic!("{what} must be 2-D, got shape {other:?}"),
    }
}

/// (NH, T, TK) of attention scores or weights; panics otherwise.
fn heads_3d(t: &GpuTensor, what: &str) -> (usize, usize, usize) {
    match t.shape[..] {
        [nh, t, tk] => (nh, t, tk),
        ref other => panic!("{what} must be (NH, T, TK), got shape {other:?}"),
    }
}

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).expect("tensor dimension exceeds u32")
}

impl Backend for Gpu {
    type Tensor = GpuTensor;

    fn kind(&self) -> BackendKind {
        BackendKind::Gpu
    }

    fn upload(&self, tensor: &Tensor) -> GpuTensor {
        // Always a new buffer: queue writes land before the next submission, so writing into a
        // pooled one could overwrite data that commands still pending have yet to read.
        let buffer = self.new_buffer("upload", bytemuck::cast_slice(&tensor.data), pool::USAGE);
        GpuTensor { shape: tensor.shape.clone(), buffer: Arc::new(self.pool.adopt(buffer)) }
    }

    fn shape<'a>(&self, tensor: &'a GpuTensor) -> &'a [usize] {
        &tensor.shape
    }

    async fn read(&self, tensors: &[&GpuTensor]) -> Result<Vec<Tensor>> {
        self.health.check()?;
        let sources: Vec<_> = tensors.iter().map(|t| (t.buffer(), t.len())).collect();
        let result = readback::read_buffers(&self.device, &self.queue, self.take_pending(), &sources).await;
        // A loss or a validation error may only surface now; it makes any data untrustworthy.
        self.health.check()?;
        let data = result.map_err(Error::Gpu)?;
        Ok(tensors.iter().zip(data).map(|(t, data)| Tensor::new(t.shape.clone(), data)).collect())
    }

    fn embed(&self, wte: &GpuTensor, wpe: &GpuTensor, ids: &[u32], pos0: usize) -> GpuTensor {
        let (_, c) = matrix(wte, "wte");
        let (p, c_pos) = matrix(wpe, "wpe");
        assert_eq!(c, c_pos, "wte and wpe widths differ");
        assert!(!ids.is_empty() && pos0 + ids.len() <= p, "positions {pos0}..{} exceed P = {p}", pos0 + ids.len());
        let t = ids.len();
        let ids = self.new_buffer("token ids", bytemuck::cast_slice(ids), wgpu::BufferUsages::STORAGE);
        let dims = [u32_of(t), u32_of(c), u32_of(pos0)];
        self.run(Kernel::Embed, &dims, &[wte.buffer(), wpe.buffer(), &ids], vec![t, c], self.elementwise_groups(t * c))
    }

    fn matmul(&self, x: &GpuTensor, w: &GpuTensor, bias: Option<&GpuTensor>) -> GpuTensor {
        let (m, k) = matrix(x, "matmul x");
        let (k_w, n) = matrix(w, "matmul w");
        assert_eq!(k, k_w, "matmul: x is (M, {k}) but w is ({k_w}, N)");
        if let Some(b) = bias {
            assert_eq!(b.shape, [n], "matmul: bias must be ({n})");
        }
        let dims = [u32_of(m), u32_of(k), u32_of(n), bias.is_some() as u32];
        let bias = bias.map_or(&self.no_bias, GpuTensor::buffer);
        self.run(Kernel::Matmul, &dims, &[x.buffer(), w.buffer(), bias], vec![m, n], tiled_groups(m, n, 1, MATMUL_TILE))
    }

    fn matmul_transposed(&self, x: &GpuTensor, w: &GpuTensor) -> GpuTensor {
        let (m, k) = matrix(x, "matmul_transposed x");
        let (n, k_w) = matrix(w, "matmul_transposed w");
        assert_eq!(k, k_w, "matmul_transposed: x is (M, {k}) but w is (N, {k_w})");
        let dims = [u32_of(m), u32_of(k), u32_of(n)];
        self.run(Kernel::MatmulTransposed, &dims, &[x.buffer(), w.buffer()], vec![m, n], tiled_groups(m, n, 1, MATMUL_TILE))
    }

    fn layernorm(&self, x: &GpuTensor, gamma: &GpuTensor, beta: &GpuTensor, eps: f32) -> GpuTensor {
        let (m, n) = matrix(x, "layernorm x");
        assert!(gamma.shape == [n] && beta.shape == [n], "layernorm: gamma and beta must be ({n})");
        let dims = [u32_of(m), u32_of(n), eps.to_bits()];
        self.run(Kernel::LayerNorm, &dims, &[x.buffer(), gamma.buffer(), beta.buffer()], vec![m, n], self.row_groups(m))
    }

    fn gelu(&self, x: &GpuTensor) -> GpuTensor {
        let n = x.len();
        self.run(Kernel::Gelu, &[u32_of(n)], &[x.buffer()], x.shape.clone(), self.elementwise_groups(n))
    }

    fn add(&self, a: &GpuTensor, b: &GpuTensor) -> GpuTensor {
        assert_eq!(a.shape, b.shape, "add: shapes differ");
        let n = a.len();
        self.run(Kernel::Add, &[u32_of(n)], &[a.buffer(), b.buffer()], a.shape.clone(), self.elementwise_groups(n))
    }

    fn split_columns(&self, x: &GpuTensor, n: usize) -> Vec<GpuTensor> {
        let (m, cols) = matrix(x, "split_columns x");
        assert!(n > 0 && cols % n == 0, "split_columns: {cols} columns do not split into {n}");
        let width = cols / n;
        (0..n)
            .map(|part| {
                let dims = [u32_of(m), u32_of(width), u32_of(n), u32_of(part)];
                self.run(Kernel::SplitColumns, &dims, &[x.buffer()], vec![m, width], self.elementwise_groups(m * width))
            })
            .collect()
    }

    /// Row-major rows are contiguous, so appending rows is two buffer copies, no kernel.
    fn concat_rows(&self, a: &GpuTensor, b: &GpuTensor) -> GpuTensor {
        let (m1, n) = matrix(a, "concat_rows a");
        let (m2, n_b) = matrix(b, "concat_rows b");
        assert_eq!(n, n_b, "concat_rows: widths differ");
        let out = self.output(vec![m1 + m2, n]);
        let (a_bytes, b_bytes) = ((m1 * n * 4) as u64, (m2 * n * 4) as u64);
        self.record(|encoder| {
            if a_bytes > 0 {
                encoder.copy_buffer_to_buffer(a.buffer(), 0, out.buffer(), 0, a_bytes);
            }
            if b_bytes > 0 {
                encoder.copy_buffer_to_buffer(b.buffer(), 0, out.buffer(), a_bytes, b_bytes);
            }
        });
        out
    }

    fn slice_rows(&self, x: &GpuTensor, start: usize, end: usize) -> GpuTensor {
        let (m, n) = matrix(x, "slice_rows x");
        assert!(start <= end && end <= m, "slice_rows: rows {start}..{end} of {m}");
        let out = self.output(vec![end - start, n]);
        let bytes = ((end - start) * n * 4) as u64;
        if bytes > 0 {
            self.record(|encoder| encoder.copy_buffer_to_buffer(x.buffer(), (start * n * 4) as u64, out.buffer(), 0, bytes));
        }
        out
    }

    fn attention_scores(&self, q: &GpuTensor, k: &GpuTensor, n_head: usize) -> GpuTensor {
        let (t, c) = matrix(q, "attention q");
        let (tk, c_k) = matrix(k, "attention k");
        assert_eq!(c, c_k, "attention: q and k widths differ");
        assert!(n_head > 0 && c % n_head == 0, "attention: C = {c} does not split into {n_head} heads");
        let dims = [u32_of(t), u32_of(tk), u32_of(n_head), u32_of(c / n_head)];
        self.run(Kernel::AttentionScores, &dims, &[q.buffer(), k.buffer()], vec![n_head, t, tk], tiled_groups(t, tk, n_head, ATTENTION_TILE))
    }

    fn scale(&self, x: &GpuTensor, s: f32) -> GpuTensor {
        let n = x.len();
        self.run(Kernel::Scale, &[u32_of(n), s.to_bits()], &[x.buffer()], x.shape.clone(), self.elementwise_groups(n))
    }

    fn mask(&self, scores: &GpuTensor, mask: Mask, pos0: usize) -> GpuTensor {
        let (nh, t, tk) = heads_3d(scores, "mask scores");
        let n = nh * t * tk;
        let causal = mask == Mask::Causal;
        let dims = [u32_of(n), u32_of(t), u32_of(tk), u32_of(pos0), causal as u32, f32::NEG_INFINITY.to_bits()];
        self.run(Kernel::Mask, &dims, &[scores.buffer()], scores.shape.clone(), self.elementwise_groups(n))
    }

    fn softmax_rows(&self, x: &GpuTensor) -> GpuTensor {
        let cols = *x.shape.last().expect("softmax of a 0-D tensor");
        let rows = x.len().checked_div(cols).unwrap_or(0);
        let dims = [u32_of(rows), u32_of(cols)];
        self.run(Kernel::Softmax, &dims, &[x.buffer()], x.shape.clone(), self.row_groups(rows))
    }

    fn attention_values(&self, weights: &GpuTensor, v: &GpuTensor) -> GpuTensor {
        let (nh, t, tk) = heads_3d(weights, "attention weights");
        let (tk_v, c) = matrix(v, "attention v");
        assert_eq!(tk, tk_v, "attention: weights cover {tk} keys but v has {tk_v}");
        assert!(c % nh == 0, "attention: C = {c} does not split into {nh} heads");
        let dims = [u32_of(t), u32_of(tk), u32_of(nh), u32_of(c / nh)];
        self.run(Kernel::AttentionValues, &dims, &[weights.buffer(), v.buffer()], vec![t, c], tiled_groups(t, c, 1, ATTENTION_TILE))
    }
}
