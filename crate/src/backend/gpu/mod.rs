//! The GPU backend: WGSL compute shaders from `shaders/` through wgpu (to be written).
