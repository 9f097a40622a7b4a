//! The engine: the model on the best backend this machine offers, with results on the host.
//!
//! Used by the wasm API and the native CLI alike; everything here is `async` and never blocks,
//! so it runs in a browser (natively, `pollster::block_on` drives it).
//!
//! Choosing a backend:
//! - automatic (`prefer = None`): the GPU when a hardware adapter and a device can be had and
//!   the model fits its limits, else the SIMD CPU backend. A software adapter (llvmpipe,
//!   SwiftShader: the CPU emulating a GPU) is passed over, since the SIMD backend is far faster
//!   on the same CPU. [`BackendStatus::reason`] says which and why.
//! - forced (`prefer = Some(kind)`): that backend or an error. Asking for the GPU where there is
//!   none fails with [`Error::Gpu`] and leaves the engine as it was; the caller may then ask for
//!   automatic choice, which falls back with a reason.
//!
//! A GPU that fails mid-run (device lost, driver reset, a browser reclaiming it) is replaced by
//! the SIMD CPU backend, built again from the host weights the engine keeps, and the same call
//! is retried, so the caller gets its result and finds the reason in [`Engine::status`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ops::attention::Mask;
use crate::backend::gpu::Gpu;
use crate::backend::scalar::Scalar;
use crate::backend::simd::Simd;
use crate::backend::{Backend, BackendKind};
use crate::gpt::{Gpt, KvCache, Prefix};
use crate::sampling::{Sampler, SamplingOptions};
use crate::trace::Trace;
use crate::weights::{layout, HostWeights};
use crate::{Error, GptConfig, Result, Tensor};

/// Which backend runs the model, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendStatus {
    pub kind: BackendKind,
    /// Why, as a code an interface can put in its own words (and language).
    pub why: Why,
    /// Plain words for the user, e.g. "WebGPU is not available in this browser (no GPU
    /// adapter); using the SIMD CPU backend".
    pub reason: String,
    /// The GPU adapter in use, e.g. "llvmpipe (LLVM 19.1.7, 256 bits) (Vulkan)"; `None` on the CPU.
    pub adapter: Option<String>,
}

/// Why the engine runs where it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// The caller asked for this backend.
    Asked,
    /// Automatic choice: a hardware GPU the model fits.
    HardwareGpu,
    /// Automatic choice: no GPU adapter or device could be had, so the SIMD CPU backend.
    NoGpu,
    /// Automatic choice: the only adapter is software (the CPU emulating a GPU), so SIMD.
    SoftwareGpu,
    /// Automatic choice: the model exceeds the GPU's limits, so SIMD.
    TooBigForGpu,
    /// The GPU failed mid-run (device lost); the model moved to the SIMD CPU backend.
    GpuLost,
}

/// A forward pass, read back to the host.
#[derive(Clone, Debug)]
pub struct ForwardOutput {
    /// (T, V): the scores for the token after each position.
    pub logits: Tensor,
    /// Every intermediate, when asked for.
    pub trace: Option<Trace<Tensor>>,
}

/// The model on one of the backends.
#[allow(clippy::large_enum_variant)] // one per engine; boxing would buy nothing
enum Model {
    Scalar(Gpt<Scalar>),
    Simd(Gpt<Simd>),
    Gpu(Gpt<Gpu>),
}

/// Runs `$body` with `$gpt` bound to the model, whatever its backend (the body is generic code,
/// compiled once per backend).
macro_rules! on_backend {
    ($model:expr, $gpt:ident => $body:expr) => {
        match $model {
            Model::Scalar($gpt) => $body,
            Model::Simd($gpt) => $body,
            Model::Gpu($gpt) => $body,
        }
    };
}

pub struct Engine {
    config: GptConfig,
    /// Kept to build the model again on another backend (e.g. the CPU after a GPU loss).
    weights: Arc<HostWeights>,
    model: Model,
    status: BackendStatus,
}

impl Engine {
    /// Put the model on the preferred backend (`None`: choose automatically, see the module doc).
    pub async fn new(config: GptConfig, weights: HostWeights, prefer: Option<BackendKind>) -> Result<Engine> {
        config.validate()?;
        check_shapes(&config, &weights)?;
        let weights = Arc::new(weights);
        let (model, status) = load(&config, &weights, prefer).await?;
        Ok(Engine { config, weights, model, status })
    }

    pub fn config(&self) -> &GptConfig {
        &self.config
    }

    pub fn status(&self) -> &BackendStatus {
        &self.status
    }

    /// The host weights the model was built from (analyses such as the logit lens read them).
    pub fn weights(&self) -> &HostWeights {
        &self.weights
    }

    /// Move the model to another backend (`None`: choose automatically). On error the engine
    /// keeps its current backend.
    pub async fn set_backend(&mut self, prefer: Option<BackendKind>) -> Result<()> {
        let (model, status) = load(&self.config, &self.weights, prefer).await?;
        self.model = model;
        self.status = status;
        Ok(())
    }

    /// Run `ids` (T tokens, from position 0) through the model; with `record`, keep every
    /// intermediate in the trace.
    pub async fn forward(&mut self, ids: &[u32], mask: Mask, record: bool) -> Result<ForwardOutput> {
        self.leave_a_lost_gpu();
        loop {
            let result = on_backend!(&self.model, gpt => forward_on(gpt, ids, mask, record).await);
            match result {
                Err(error) => self.recover(error)?,
                done => return done,
            }
        }
    }

    /// Like [`Engine::forward`] with `record`, for a text being edited: `previous` is the last
    /// pass this engine returned. Under the causal mask the positions `ids` shares with it at the
    /// start are not computed again (see [`Gpt::forward_after`]); the result is the very trace
    /// a full pass records. The bidirectional mask, another backend, or nothing shared: a full pass.
    pub async fn forward_after(&mut self, ids: &[u32], mask: Mask, previous: Option<&Trace<Tensor>>) -> Result<ForwardOutput> {
        self.leave_a_lost_gpu();
        let mut reuse = previous.map_or(0, |p| reusable_prefix(p, ids, mask, self.status.kind));
        loop {
            let result = if reuse > 0 {
                let prefix = Prefix::of(previous.expect("reuse needs a previous pass"), reuse);
                on_backend!(&self.model, gpt => forward_after_on(gpt, ids, &prefix).await)
            } else {
                on_backend!(&self.model, gpt => forward_on(gpt, ids, mask, true).await)
            };
            match result {
                Err(error) => {
                    self.recover(error)?;
                    reuse = 0; // the previous pass's numbers came from the lost backend
                }
                done => return done,
            }
        }
    }

    /// Continue `prompt` by up to `max_tokens` tokens, with a KV cache so each new token costs
    /// one position. `on_token` sees each new token as it comes and returns `false` to stop
    /// (that token is kept). Generation also stops when prompt and output fill the model's
    /// context. Returns the new tokens only; the same options and seed give the same tokens.
    pub async fn generate(
        &mut self,
        prompt: &[u32],
        max_tokens: usize,
        opts: &SamplingOptions,
        mut on_token: impl FnMut(u32) -> bool,
    ) -> Result<Vec<u32>> {
        let mut sampler = Sampler::new(opts)?;
        if prompt.is_empty() {
            return Err(Error::Input("generation needs a prompt of at least one token".into()));
        }
        if prompt.len() > self.config.n_positions {
            return Err(Error::Input(format!(
                "the prompt's {} tokens exceed the model's context of {} positions",
                prompt.len(),
                self.config.n_positions
            )));
        }
        let mut generated = Vec::new();
        self.leave_a_lost_gpu();
        loop {
            // After a GPU loss this resumes from the tokens already generated and reported.
            let result = on_backend!(&self.model, gpt => {
                generate_on(gpt, prompt, max_tokens, &mut sampler, &mut on_token, &mut generated).await
            });
            match result {
                Err(error) => self.recover(error)?,
                Ok(()) => return Ok(generated),
            }
        }
    }

    /// A device known to be lost is not even tried: commands recorded on it would fail.
    fn leave_a_lost_gpu(&mut self) {
        if matches!(&self.model, Model::Gpu(gpt) if gpt.backend.is_lost()) {
            let lost = Error::Gpu("the GPU device was lost".into());
            self.recover(lost).expect("a GPU error on the GPU is always recovered");
        }
    }

    /// After a GPU error: switch to the SIMD CPU backend and say why. Any other error is the
    /// caller's to see.
    fn recover(&mut self, error: Error) -> Result<()> {
        match (&self.model, error) {
            (Model::Gpu(_), Error::Gpu(message)) => {
                self.model = Model::Simd(Gpt::new(self.config.clone(), Simd, &self.weights));
                self.status = BackendStatus {
                    kind: BackendKind::Simd,
                    why: Why::GpuLost,
                    reason: format!("the GPU failed ({message}); switched to the SIMD CPU backend"),
                    adapter: None,
                };
                Ok(())
            }
            (_, error) => Err(error),
        }
    }

    /// Test hook: make the GPU fail as a lost device would (nothing happens on the CPU).
    pub fn simulate_device_loss(&self) {
        if let Model::Gpu(gpt) = &self.model {
            gpt.backend.simulate_device_loss();
        }
    }
}

/// Weights from [`crate::weights::load_safetensors`] are checked already; these may have been
/// built in code, and a wrong shape must be an error here rather than a panic in a backend.
fn check_shapes(config: &GptConfig, weights: &HostWeights) -> Result<()> {
    let expected = layout(config);
    if weights.h.len() != config.n_layer {
        return Err(Error::Model(format!("{} blocks of weights for a config of {}", weights.h.len(), config.n_layer)));
    }
    let mut wanted = expected.named_tensors();
    if weights.lm_head.is_some() {
        wanted.push(("lm_head.weight".to_string(), &expected.wte)); // untied, but shaped like wte
    }
    for ((name, shape), (_, tensor)) in wanted.into_iter().zip(weights.named_tensors()) {
        if tensor.shape != *shape || tensor.data.len() != shape.iter().product::<usize>() {
            return Err(Error::Model(format!(
                "tensor `{name}` has shape {:?} ({} values); the config needs {shape:?}",
                tensor.shape,
                tensor.data.len()
            )));
        }
    }
    Ok(())
}

/// The model on the backend `prefer` asks for, or the best available one.
async fn load(config: &GptConfig, weights: &HostWeights, prefer: Option<BackendKind>) -> Result<(Model, BackendStatus)> {
    let on_cpu = |kind, why, reason: String| {
        let model = match kind {
            BackendKind::Scalar => Model::Scalar(Gpt::new(config.clone(), Scalar, weights)),
            _ => Model::Simd(Gpt::new(config.clone(), Simd, weights)),
        };
        (model, BackendStatus { kind, why, reason, adapter: None })
    };
    match prefer {
        Some(BackendKind::Scalar) => Ok(on_cpu(BackendKind::Scalar, Why::Asked, "the scalar reference backend, as asked".into())),
        Some(BackendKind::Simd) => Ok(on_cpu(BackendKind::Simd, Why::Asked, "the SIMD CPU backend, as asked".into())),
        Some(BackendKind::Gpu) => open_gpu(config, weights, Why::Asked).await.map_err(|(_, error)| error),
        None => match open_gpu(config, weights, Why::HardwareGpu).await {
            Ok(on_gpu) => Ok(on_gpu),
            Err((why, error)) => {
                let message = match error {
                    Error::Gpu(message) => message,
                    other => other.to_string(),
                };
                Ok(on_cpu(BackendKind::Simd, why, format!("{message}; using the SIMD CPU backend")))
            }
        },
    }
}

/// The model on the GPU, or why not. Asked for (`why == Why::Asked`), a software adapter will
/// do; chosen automatically, it will not.
async fn open_gpu(config: &GptConfig, weights: &HostWeights, why: Why) -> std::result::Result<(Model, BackendStatus), (Why, Error)> {
    let asked = why == Why::Asked;
    let gpu = Gpu::new().await.map_err(|e| (Why::NoGpu, e))?;
    let adapter = gpu.adapter_name();
    if gpu.is_software() && !asked {
        return Err((
            Why::SoftwareGpu,
            Error::Gpu(format!(
                "the only GPU, {adapter}, is the CPU emulating one (slower than the SIMD backend; pick WebGPU to use it anyway)"
            )),
        ));
    }
    gpu.check_fits(config).map_err(|e| (Why::TooBigForGpu, e))?;
    let how = if asked { "as asked" } else { "chosen automatically" };
    let mut reason = format!("the GPU ({adapter}), {how}");
    if gpu.is_software() {
        reason.push_str("; note it is a software adapter, the CPU emulating a GPU");
    }
    let model = Model::Gpu(Gpt::new(config.clone(), gpu, weights));
    Ok((model, BackendStatus { kind: BackendKind::Gpu, why, reason, adapter: Some(adapter) }))
}

/// One forward pass on `gpt`'s backend, read back in one go.
async fn forward_on<B: Backend>(gpt: &Gpt<B>, ids: &[u32], mask: Mask, record: bool) -> Result<ForwardOutput> {
    let forward = gpt.forward(ids, mask, None, record)?;
    match forward.trace {
        Some(trace) => {
            let host = trace.with_tensors(gpt.backend.read(&trace.tensors()).await?);
            Ok(ForwardOutput { logits: host.logits.clone(), trace: Some(host) })
        }
        None => {
            let logits = read_one(gpt, &forward.logits).await?;
            Ok(ForwardOutput { logits, trace: None })
        }
    }
}

/// How many first positions of `previous` a causal pass over `ids` on `backend` can take as they
/// are: the tokens both start with, but at least one position short of `ids` (attention then
/// runs for every query on the backend, so even a text cut short gets its steps as a full pass
/// computes them).
fn reusable_prefix(previous: &Trace<Tensor>, ids: &[u32], mask: Mask, backend: BackendKind) -> usize {
    let same_kind_of_pass = mask == Mask::Causal && previous.mask == Mask::Causal && previous.pos0 == 0 && previous.backend == backend;
    if !same_kind_of_pass || previous.logits.rows() != previous.ids.len() {
        return 0;
    }
    let shared = previous.ids.iter().zip(ids).take_while(|(a, b)| a == b).count();
    shared.min(ids.len().saturating_sub(1))
}

/// The pass over `ids` after `prefix`, on `gpt`'s backend, read back in one go.
async fn forward_after_on<B: Backend>(gpt: &Gpt<B>, ids: &[u32], prefix: &Prefix<Tensor>) -> Result<ForwardOutput> {
    let forward = gpt.forward_after(ids, &prefix.upload(&gpt.backend))?;
    let trace = forward.trace.expect("forward_after records its trace");
    let host = trace.with_tensors(gpt.backend.read(&trace.tensors()).await?);
    Ok(ForwardOutput { logits: host.logits.clone(), trace: Some(host) })
}

/// Generation on `gpt`'s backend, continuing after the tokens already in `generated`.
async fn generate_on<B: Backend>(
    gpt: &Gpt<B>,
    prompt: &[u32],
    max_tokens: usize,
    sampler: &mut Sampler,
    on_token: &mut impl FnMut(u32) -> bool,
    generated: &mut Vec<u32>,
) -> Result<()> {
    let context = gpt.config.n_positions;
    let mut cache = KvCache::new(gpt.config.n_layer);
    // The first step reads the whole prompt (and any tokens generated before a fallback).
    let mut input: Vec<u32> = prompt.iter().chain(generated.iter()).copied().collect();
    while generated.len() < max_tokens && cache.len + input.len() < context {
        let forward = gpt.forward(&input, Mask::Causal, Some(&mut cache), false)?;
        let logits = read_one(gpt, &forward.logits).await?; // (T, V)
        let token = sampler.next_token(logits.row(logits.rows() - 1))?;
        generated.push(token);
        if !on_token(token) {
            break;
        }
        input = vec![token];
    }
    Ok(())
}

async fn read_one<B: Backend>(gpt: &Gpt<B>, tensor: &B::Tensor) -> Result<Tensor> {
    let mut host = gpt.backend.read(&[tensor]).await?;
    Ok(host.pop().expect("read returns one tensor per input"))
}
