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

// The GPU's constants, defined here once. Each shader declares the ones it uses as `override`
// constants without a default, and gets these values when its pipeline is created.

/// Threads per workgroup of the elementwise kernels (`THREADS` in their WGSL): one element each.
pub(super) const ELEMENTWISE_THREADS: u32 = 256;
/// Threads per row of the row kernels, layernorm and softmax (`THREADS`): one workgroup per
/// row, reduced as a tree in workgroup memory, so a power of two.
pub(super) const ROW_THREADS: u32 = 64;
/// Side of the 2-D workgroups of the attention kernels (`TILE`): 16×16 threads, one output each.
pub(super) const ATTENTION_TILE: u32 = 16;
/// Side of the block of outputs a matmul workgroup computes (`TILE`), staged through
/// workgroup memory one TILE × TILE tile of each operand at a time.
pub(super) const MATMUL_TILE: u32 = 32;
/// Threads per side of a matmul workgroup (`THREADS`). Each thread owns
/// (MATMUL_TILE / MATMUL_THREADS)² outputs: the shaders' `PER_THREAD` registers, 4 × 4.
pub(super) const MATMUL_THREADS: u32 = 8;
const _: () = assert!(MATMUL_TILE == 4 * MATMUL_THREADS, "matmul*.wgsl keep 4 × 4 outputs per thread in registers");
/// The most threads any kernel's workgroup has.
pub(super) const MAX_THREADS: u32 = ELEMENTWISE_THREADS;
/// Workgroup memory the largest kernel declares: matmul's two MATMUL_TILE² f32 tiles.
pub(super) const WORKGROUP_STORAGE_BYTES: u32 = 2 * MATMUL_TILE * MATMUL_TILE * 4;

/// A kernel as the table lists it.
struct KernelSpec {
    kernel: Kernel,
    /// The file's name in `shaders/`, without `.wgsl`; also the pipeline's label.
    name: &'static str,
    source: &'static str,
    /// The `override` constants the shader declares, and their values.
    constants: &'static [(&'static str, u32)],
}

const ELEMENTWISE: &[(&str, u32)] = &[("THREADS", ELEMENTWISE_THREADS)];
const ROW: &[(&str, u32)] = &[("THREADS", ROW_THREADS)];
const ATTENTION: &[(&str, u32)] = &[("TILE", ATTENTION_TILE)];
const MATMUL: &[(&str, u32)] = &[("TILE", MATMUL_TILE), ("THREADS", MATMUL_THREADS)];

macro_rules! shader {
    ($name:literal) => {
        include_str!(concat!("../../../../shaders/", $name, ".wgsl"))
    };
}

/// Every kernel, its shader file and its constants: adding a kernel is one row here, its
/// `.wgsl` file, and the method that dispatches it.
const KERNELS: [KernelSpec; 12] = [
    KernelSpec { kernel: Kernel::Embed, name: "embed", source: shader!("embed"), constants: ELEMENTWISE },
    KernelSpec { kernel: Kernel::Matmul, name: "matmul", source: shader!("matmul"), constants: MATMUL },
    KernelSpec { kernel: Kernel::MatmulTransposed, name: "matmul_transposed", source: shader!("matmul_transposed"), constants: MATMUL },
    KernelSpec { kernel: Kernel::LayerNorm, name: "layernorm", source: shader!("layernorm"), constants: ROW },
    KernelSpec { kernel: Kernel::Gelu, name: "gelu", source: shader!("gelu"), constants: ELEMENTWISE },
    KernelSpec { kernel: Kernel::Add, name: "add", source: shader!("add"), constants: ELEMENTWISE },
    KernelSpec { kernel: Kernel::Scale, name: "scale", source: shader!("scale"), constants: ELEMENTWISE },
    KernelSpec { kernel: Kernel::SplitColumns, name: "split_columns", source: shader!("split_columns"), constants: ELEMENTWISE },
    KernelSpec { kernel: Kernel::AttentionScores, name: "attention_scores", source: shader!("attention_scores"), constants: ATTENTION },
    KernelSpec { kernel: Kernel::Mask, name: "mask", source: shader!("mask"), constants: ELEMENTWISE },
    KernelSpec { kernel: Kernel::Softmax, name: "softmax", source: shader!("softmax"), constants: ROW },
    KernelSpec { kernel: Kernel::AttentionValues, name: "attention_values", source: shader!("attention_values"), constants: ATTENTION },
];

impl Kernel {
    fn spec(self) -> &'static KernelSpec {
        KERNELS.iter().find(|spec| spec.kernel == self).expect("every kernel has a row in KERNELS")
    }

    pub(super) fn name(self) -> &'static str {
        self.spec().name
    }
}

/// A compiled kernel and the layout of its bind group.
pub(super) struct Pipeline {
    pub(super) pipeline: wgpu::ComputePipeline,
    pub(super) layout: wgpu::BindGroupLayout,
}

/// Compile every kernel of [`KERNELS`] with its constants (layouts inferred from the shaders).
pub(super) fn compile_all(device: &wgpu::Device) -> HashMap<Kernel, Pipeline> {
    KERNELS
        .iter()
        .map(|spec| {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(spec.name),
                source: wgpu::ShaderSource::Wgsl(spec.source.into()),
            });
            let constants: Vec<(&str, f64)> = spec.constants.iter().map(|&(name, value)| (name, f64::from(value))).collect();
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(spec.name),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: wgpu::PipelineCompilationOptions { constants: &constants, ..Default::default() },
                cache: None,
            });
            let layout = pipeline.get_bind_group_layout(0);
            (spec.kernel, Pipeline { pipeline, layout })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row's file declares exactly the `override` constants the row gives it (those
    /// without a default, which the pipeline must supply), and no kernel is listed twice.
    #[test]
    fn the_table_lists_every_kernel_with_the_constants_its_shader_declares() {
        for spec in &KERNELS {
            let declared: Vec<&str> = spec
                .source
                .lines()
                .filter_map(|line| line.trim().strip_prefix("override "))
                .filter(|rest| !rest.contains('='))
                .map(|rest| rest.split(|c: char| c == ':' || c.is_whitespace()).next().unwrap())
                .collect();
            let given: Vec<&str> = spec.constants.iter().map(|&(name, _)| name).collect();
            assert_eq!(declared, given, "{}.wgsl", spec.name);
            assert!(!spec.source.contains("const TILE") && !spec.source.contains("const THREADS"), "{}.wgsl", spec.name);
        }
        let kernels: std::collections::HashSet<Kernel> = KERNELS.iter().map(|spec| spec.kernel).collect();
        assert_eq!(kernels.len(), KERNELS.len(), "a kernel listed twice");
    }

    #[test]
    fn linear_groups_cover_every_item_and_respect_the_grid_limit() {
        assert_eq!(linear_groups(0, 256, 65_535), [1, 1, 1]);
        assert_eq!(linear_groups(256, 256, 65_535), [1, 1, 1]);
        assert_eq!(linear_groups(257, 256, 65_535), [2, 1, 1]);
        // One item past what a single row of groups holds wraps into a second row.
        let [x, y, _] = linear_groups(65_535 * 256 + 1, 256, 65_535);
        assert_eq!((x, y), (65_535, 2));
        for (n, per_group, max) in [(1_000_003, 256, 1_000), (12_345, 1, 100), (7, 1, 7)] {
            let [x, y, _] = linear_groups(n, per_group, max);
            assert!(x <= max && (x * y * per_group) as usize >= n && ((x * (y - 1) * per_group) as usize) < n);
        }
    }
}
