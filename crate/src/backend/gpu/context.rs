//! Opening the GPU: instance, adapter and device, the limits we ask for, and the watch on the
//! device's health (loss and uncaptured errors) that [`super::Gpu::read`] reports.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::{Error, Result};

/// The adapter and device, and the limits the device was created with.
pub(super) struct Device {
    pub(super) device: wgpu::Device,
    pub(super) queue: wgpu::Queue,
    pub(super) info: wgpu::AdapterInfo,
    pub(super) limits: wgpu::Limits,
}

/// Request a high-performance adapter and a device with the largest buffers it allows.
pub(super) async fn open() -> Result<Device> {
    let instance = wgpu::Instance::new(instance_descriptor());
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        })
        .await
        .map_err(|e| Error::Gpu(format!("{NO_ADAPTER}: {e}")))?;
    let info = adapter.get_info();
    let supported = adapter.limits();
    // The smallest limits a compute-capable adapter offers, raised where the model needs more:
    // GPT-2's token embedding alone is 154 MB, beyond WebGPU's default 128 MiB binding.
    let required_limits = wgpu::Limits {
        max_storage_buffer_binding_size: supported.max_storage_buffer_binding_size,
        max_buffer_size: supported.max_buffer_size,
        max_compute_workgroups_per_dimension: supported.max_compute_workgroups_per_dimension,
        ..wgpu::Limits::downlevel_defaults()
    };
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("attention-playground"),
            required_limits,
            ..Default::default()
        })
        .await
        .map_err(|e| Error::Gpu(format!("the GPU adapter {:?} refused a device: {e}", info.name)))?;
    let limits = device.limits();
    Ok(Device { device, queue, info, limits })
}

#[cfg(target_arch = "wasm32")]
const NO_ADAPTER: &str = "WebGPU is not available in this browser (no GPU adapter)";
#[cfg(not(target_arch = "wasm32"))]
const NO_ADAPTER: &str = "no GPU adapter found (a Vulkan, Metal, DX12 or GL driver is needed)";

/// In the browser only WebGPU computes; natively, backends may be chosen with `WGPU_BACKEND`.
#[cfg(target_arch = "wasm32")]
fn instance_descriptor() -> wgpu::InstanceDescriptor {
    wgpu::InstanceDescriptor {
        backends: wgpu::Backends::BROWSER_WEBGPU,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    }
}
#[cfg(not(target_arch = "wasm32"))]
fn instance_descriptor() -> wgpu::InstanceDescriptor {
    wgpu::InstanceDescriptor::new_without_display_handle_from_env()
}

/// What went wrong with the device, if anything. Set from wgpu's callbacks, which may run on
/// another thread; checked before any result is trusted.
#[derive(Default)]
pub(super) struct Health {
    lost: AtomicBool,
    /// Why the device was lost, else the first error no one captured.
    failure: Mutex<Option<String>>,
}

impl Health {
    /// Watch `device`: a lost device or an uncaptured error makes every later read fail.
    pub(super) fn watch(device: &wgpu::Device) -> Arc<Health> {
        let health = Arc::new(Health::default());
        let on_lost = Arc::clone(&health);
        device.set_device_lost_callback(move |reason, message| {
            on_lost.lost.store(true, Ordering::SeqCst);
            // The loss is the cause to report, even if errors about the dead device came first.
            let cause = if message.is_empty() { format!("{reason:?}") } else { format!("{message} ({reason:?})") };
            *on_lost.failure.lock().unwrap() = Some(format!("GPU device lost: {cause}"));
        });
        let on_error = Arc::clone(&health);
        device.on_uncaptured_error(Arc::new(move |error| {
            on_error.failure.lock().unwrap().get_or_insert_with(|| format!("GPU error: {error}"));
        }));
        health
    }

    pub(super) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// `Err` with the recorded failure, if any.
    pub(super) fn check(&self) -> Result<()> {
        match &*self.failure.lock().unwrap() {
            Some(message) => Err(Error::Gpu(message.clone())),
            None => Ok(()),
        }
    }
}
