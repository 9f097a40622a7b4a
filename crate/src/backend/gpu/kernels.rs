//! The compute kernels: one WGSL file per kernel in `shaders/`, compiled once into a pipeline.
//!
//! Every shader follows one binding convention, so one dispatch helper serves them all:
//! binding 0 is a small uniform struct of dimensions, bindings 1.. the inputs in order, and the
//! last binding the output.

use std::collections::HashMap;

/// One kernel, one `.wgsl` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Kernel {
    Embed,
    Matmul,
    MatmulTransposed,
    LayerNorm,
    Gelu,
    Add,
    Scale,
    SplitColumns,
    AttentionScores,
    Mask,
    Softmax,
    AttentionValues,
}

impl Kernel {
    pub(super) const ALL: [Kernel; 12] = [
        Kernel::Embed,
        Kernel::Matmul,
        Kernel::MatmulTransposed,
        Kernel::LayerNorm,
        Kernel::Gelu,
        Kernel::Add,
        Kernel::Scale,
        Kernel::SplitColumns,
        Kernel::AttentionScores,
        Kernel::Mask,
        Kernel::Softmax,
        Kernel::AttentionValues,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Kernel::Embed => "embed",
            Kernel::Matmul => "matmul",
            Kernel::MatmulTransposed => "matmul_transposed",
            Kernel::LayerNorm => "layernorm",
            Kernel::Gelu => "gelu",
            Kernel::Add => "add",
            Kernel::Scale => "scale",
            Kernel::SplitColumns => "split_columns",
            Kernel::AttentionScores => "attention_scores",
            Kernel::Mask => "mask",
            Kernel::Softmax => "softmax",
            Kernel::AttentionValues => "attention_values",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Kernel::Embed => include_str!("../../../../shaders/embed.wgsl"),
            Kernel::Matmul => include_str!("../../../../shaders/matmul.wgsl"),
            Kernel::MatmulTransposed => include_str!("../../../../shaders/matmul_transposed.wgsl"),
            Kernel::LayerNorm => include_str!("../../../../shaders/layernorm.wgsl"),
            Kernel::Gelu => include_str!("../../../../shaders/gelu.wgsl"),
            Kernel::Add => include_str!("../../../../shaders/add.wgsl"),
            Kernel::Scale => include_str!("../../../../shaders/scale.wgsl"),
            Kernel::SplitColumns => include_str!("../../../../shaders/split_columns.wgsl"),
            Kernel::AttentionScores => include_str!("../../../../shaders/attention_scores.wgsl"),
            Kernel::Mask => include_str!("../../../../shaders/mask.wgsl"),
            Kernel::Softmax => include_str!("../../../../shaders/softmax.wgsl"),
            Kernel::AttentionValues => include_str!("../../../../shaders/attention_values.wgsl"),
        }
    }
}

/// Side of the 2-D workgroups of the attention kernels: 16×16 threads, one output each.
pub(super) const TILE: u32 = 16;
/// Side of the block of outputs a matmul workgroup computes (8×8 threads, 4×4 outputs each).
pub(super) const MATMUL_TILE: u32 = 32;
/// Threads per workgroup of the elementwise kernels (the most any kernel uses; the row kernels,
/// layernorm and softmax, use 64 per row).
pub(super) const WORKGROUP: u32 = 256;
/// Workgroup memory the largest kernel declares: matmul's two 32×32 f32 tiles.
pub(super) const WORKGROUP_STORAGE_BYTES: u32 = 2 * MATMUL_TILE * MATMUL_TILE * 4;

/// A compiled kernel and the layout of its bind group.
pub(super) struct Pipeline {
    pub(super) pipeline: wgpu::ComputePipeline,
    pub(super) layout: wgpu::BindGroupLayout,
}

/// Compile every kernel (layouts inferred from the shaders).
pub(super) fn compile_all(device: &wgpu::Device) -> HashMap<Kernel, Pipeline> {
    Kernel::ALL
        .into_iter()
        .map(|kernel| {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel.name()),
                source: wgpu::ShaderSource::Wgsl(kernel.source().into()),
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel.name()),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
            let layout = pipeline.get_bind_group_layout(0);
            (kernel, Pipeline { pipeline, layout })
        })
        .collect()
}

/// Workgroups for `n` independent items, `per_group` per workgroup, as (x, y): a grid
/// dimension holds at most `max_per_dimension` groups, so large counts wrap into rows of y.
/// The shaders number groups `x + y · (groups in x)` and skip those past `n`.
pub(super) fn linear_groups(n: usize, per_group: u32, max_per_dimension: u32) -> [u32; 3] {
    let groups = n.div_ceil(per_group as usize).max(1);
    let x = groups.min(max_per_dimension as usize);
    let y = groups.div_ceil(x);
    [x as u32, y as u32, 1]
}

/// Workgroups covering a (rows, cols) output in `tile`×`tile` blocks, `depth` deep.
pub(super) fn tiled_groups(rows: usize, cols: usize, depth: usize, tile: u32) -> [u32; 3] {
    [cols.div_ceil(tile as usize) as u32, rows.div_ceil(tile as usize) as u32, depth as u32]
}
