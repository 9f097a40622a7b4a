//! The one way data leaves the GPU: storage → staging → `map_async` → wait → copy → unmap.
//!
//! Waiting is the only platform-specific step. Natively we block in `device.poll` until the map
//! completes; in the browser we must not block, so the map callback fulfils a oneshot channel
//! that we await while the browser's event loop runs the GPU work.

use futures_channel::oneshot;

/// Copy each `(buffer, f32 count)` to the host, in order: one staging buffer, one submission
/// (after the commands already in `encoder`), one map. Errors are messages for `Error::Gpu`.
pub(super) async fn read_buffers(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    mut encoder: wgpu::CommandEncoder,
    sources: &[(&wgpu::Buffer, usize)],
) -> Result<Vec<Vec<f32>>, String> {
    const F32: u64 = std::mem::size_of::<f32>() as u64;
    let total: u64 = sources.iter().map(|&(_, len)| len as u64 * F32).sum();
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback staging"),
        size: total.max(F32),
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut offset = 0;
    for &(buffer, len) in sources {
        let bytes = len as u64 * F32;
        if bytes > 0 {
            encoder.copy_buffer_to_buffer(buffer, 0, &staging, offset, bytes);
        }
        offset += bytes;
    }
    queue.submit([encoder.finish()]);

    let (mapped_tx, mapped_rx) = oneshot::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |result| {
        // The receiver is gone only if the read was abandoned; nothing is left to tell.
        let _ = mapped_tx.send(result);
    });
    #[cfg(not(target_arch = "wasm32"))]
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| format!("waiting for the GPU failed: {e}"))?;
    mapped_rx
        .await
        .map_err(|_| "the GPU dropped the readback".to_string())?
        .map_err(|e| format!("mapping the readback buffer failed: {e}"))?;

    let data = {
        let view = staging.slice(..).get_mapped_range().map_err(|e| format!("reading the mapped buffer failed: {e}"))?;
        let mut start = 0;
        sources
            .iter()
            .map(|&(_, len)| {
                let bytes = &view[start..start + len * F32 as usize];
                start += bytes.len();
                // The view need not be f32-aligned, so copy rather than cast in place.
                bytemuck::pod_collect_to_vec(bytes)
            })
            .collect()
    };
    staging.unmap();
    Ok(data)
}
