//! Reuse of storage buffers. Every op allocates its output; without reuse a forward pass would
//! create and free hundreds of buffers. A tensor's buffer returns to the pool when the last
//! handle to it drops, and the next request of the same size takes it back.
//!
//! Reuse is safe without fences: all work goes through one queue in submission order, so a
//! reused buffer is only written after every earlier command that read it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Bytes of idle buffers kept for reuse; beyond this, freed buffers are destroyed.
const MAX_IDLE_BYTES: u64 = 256 << 20;

pub(super) const USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

#[derive(Default)]
struct Idle {
    by_size: HashMap<u64, Vec<wgpu::Buffer>>,
    bytes: u64,
}

/// Idle buffers, keyed by size in bytes.
#[derive(Default)]
pub(super) struct BufferPool {
    idle: Mutex<Idle>,
    /// Buffers this pool has handed out fresh (created or adopted), never reused ones: once
    /// every tensor size has been seen it stops growing, which is how tests see reuse work.
    created: AtomicUsize,
}

/// A storage buffer that goes back to its pool when dropped.
pub struct PooledBuffer {
    buffer: wgpu::Buffer,
    pool: Weak<BufferPool>,
}

impl PooledBuffer {
    pub(super) fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }
}

impl std::fmt::Debug for PooledBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PooledBuffer({} bytes)", self.buffer.size())
    }
}

impl BufferPool {
    /// A storage buffer of `size` bytes (contents undefined), reused when one is idle.
    pub(super) fn take(self: &Arc<Self>, device: &wgpu::Device, size: u64) -> PooledBuffer {
        let reused = {
            let mut idle = self.idle.lock().unwrap();
            let buffer = idle.by_size.get_mut(&size).and_then(Vec::pop);
            if buffer.is_some() {
                idle.bytes -= size;
            }
            buffer
        };
        let buffer = reused.unwrap_or_else(|| {
            self.created.fetch_add(1, Ordering::Relaxed);
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("tensor"),
                size,
                usage: USAGE,
                mapped_at_creation: false,
            })
        });
        PooledBuffer { buffer, pool: Arc::downgrade(self) }
    }

    /// Track a buffer created elsewhere (an upload), so it is reused once dropped.
    pub(super) fn adopt(self: &Arc<Self>, buffer: wgpu::Buffer) -> PooledBuffer {
        self.created.fetch_add(1, Ordering::Relaxed);
        PooledBuffer { buffer, pool: Arc::downgrade(self) }
    }

    /// How many buffers the pool has handed out fresh so far (see `created`).
    pub(super) fn created(&self) -> usize {
        self.created.load(Ordering::Relaxed)
    }

    fn give_back(&self, buffer: wgpu::Buffer) {
        let mut idle = self.idle.lock().unwrap();
        let size = buffer.size();
        if idle.bytes + size <= MAX_IDLE_BYTES {
            idle.bytes += size;
            idle.by_size.entry(size).or_default().push(buffer);
        }
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.upgrade() {
            pool.give_back(self.buffer.clone());
        }
    }
}
