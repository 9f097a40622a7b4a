//! GPT-2 parameters, named as Hugging Face's checkpoints name them, and loading them from
//! `model.safetensors` bytes (no file system needed, so it works in wasm).
//!
//! Linear weights are stored `(in, out)`, as HF's `Conv1D` does, so `y = x · W + b`.
//!
//! A checkpoint is read by laying out the shapes the config expects ([`layout`]), naming each
//! slot the way HF does ([`GptWeights::named_tensors`]) and fetching that name from the file;
//! saving walks the same names, so the two can never disagree.

use std::collections::HashSet;

use half::{bf16, f16};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::{Error, GptConfig, Result, Tensor};

/// `y = x · weight + bias`; weight (in, out), bias (out).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Linear<T> {
    pub weight: T,
    pub bias: T,
}

/// weight (gamma) and bias (beta), both (C).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerNorm<T> {
    pub weight: T,
    pub bias: T,
}

/// `h.{i}.*`: one transformer block.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlockWeights<T> {
    pub ln_1: LayerNorm<T>,
    /// `attn.c_attn`: (C, 3C), q k v side by side.
    pub c_attn: Linear<T>,
    /// `attn.c_proj`: (C, C).
    pub attn_c_proj: Linear<T>,
    pub ln_2: LayerNorm<T>,
    /// `mlp.c_fc`: (C, 4C).
    pub c_fc: Linear<T>,
    /// `mlp.c_proj`: (4C, C).
    pub mlp_c_proj: Linear<T>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GptWeights<T> {
    /// (V, C) token embedding; also the LM head unless `lm_head` is given.
    pub wte: T,
    /// (P, C) learned position embedding.
    pub wpe: T,
    pub h: Vec<BlockWeights<T>>,
    pub ln_f: LayerNorm<T>,
    /// (V, C) explicit, untied LM head, when the checkpoint has `lm_head.weight` different from wte.
    pub lm_head: Option<T>,
}

impl<T> Linear<T> {
    pub fn map<U>(&self, f: &mut impl FnMut(&T) -> U) -> Linear<U> {
        Linear { weight: f(&self.weight), bias: f(&self.bias) }
    }
}

impl<T> LayerNorm<T> {
    pub fn map<U>(&self, f: &mut impl FnMut(&T) -> U) -> LayerNorm<U> {
        LayerNorm { weight: f(&self.weight), bias: f(&self.bias) }
    }
}

impl<T> BlockWeights<T> {
    pub fn map<U>(&self, f: &mut impl FnMut(&T) -> U) -> BlockWeights<U> {
        BlockWeights {
            ln_1: self.ln_1.map(f),
            c_attn: self.c_attn.map(f),
            attn_c_proj: self.attn_c_proj.map(f),
            ln_2: self.ln_2.map(f),
            c_fc: self.c_fc.map(f),
            mlp_c_proj: self.mlp_c_proj.map(f),
        }
    }
}

impl<T> GptWeights<T> {
    /// The same parameters with every tensor converted, e.g. uploaded to a backend.
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> GptWeights<U> {
        GptWeights {
            wte: f(&self.wte),
            wpe: f(&self.wpe),
            h: self.h.iter().map(|b| b.map(&mut f)).collect(),
            ln_f: self.ln_f.map(&mut f),
            lm_head: self.lm_head.as_ref().map(&mut f),
        }
    }

    /// The LM head: (V, C), multiplied transposed.
    pub fn lm_head(&self) -> &T {
        self.lm_head.as_ref().unwrap_or(&self.wte)
    }
}

/// Host weights as loaded from a checkpoint.
pub type HostWeights = GptWeights<Tensor>;

impl<T> GptWeights<T> {
    /// Every tensor with its checkpoint name, in [`GptWeights::map`] order:
    /// wte, wpe, each block (ln_1, c_attn, attn.c_proj, ln_2, c_fc, mlp.c_proj; weight then
    /// bias), ln_f, and lm_head when untied.
    pub fn named_tensors(&self) -> Vec<(String, &T)> {
        let mut all = vec![("wte.weight".to_string(), &self.wte), ("wpe.weight".to_string(), &self.wpe)];
        for (i, b) in self.h.iter().enumerate() {
            let block = [
                ("ln_1.weight", &b.ln_1.weight),
                ("ln_1.bias", &b.ln_1.bias),
                ("attn.c_attn.weight", &b.c_attn.weight),
                ("attn.c_attn.bias", &b.c_attn.bias),
                ("attn.c_proj.weight", &b.attn_c_proj.weight),
                ("attn.c_proj.bias", &b.attn_c_proj.bias),
                ("ln_2.weight", &b.ln_2.weight),
                ("ln_2.bias", &b.ln_2.bias),
                ("mlp.c_fc.weight", &b.c_fc.weight),
                ("mlp.c_fc.bias", &b.c_fc.bias),
                ("mlp.c_proj.weight", &b.mlp_c_proj.weight),
                ("mlp.c_proj.bias", &b.mlp_c_proj.bias),
            ];
            all.extend(block.map(|(name, t)| (format!("h.{i}.{name}"), t)));
        }
        all.push(("ln_f.weight".to_string(), &self.ln_f.weight));
        all.push(("ln_f.bias".to_string(), &self.ln_f.bias));
        if let Some(lm_head) = &self.lm_head {
            all.push(("lm_head.weight".to_string(), lm_head));
        }
        all
    }

    /// The same structure filled with `tensors`, given in [`GptWeights::named_tensors`] order.
    fn with_tensors<U>(&self, tensors: Vec<U>) -> GptWeights<U> {
        let mut it = tensors.into_iter();
        self.map(|_| it.next().expect("one tensor per slot"))
    }
}

/// The shape of every parameter a model with `config` has (lm_head tied).
pub fn layout(config: &GptConfig) -> GptWeights<Vec<usize>> {
    let (c, v, p) = (config.n_embd, config.vocab_size, config.n_positions);
    let layer_norm = || LayerNorm { weight: vec![c], bias: vec![c] };
    let linear = |inp: usize, out: usize| Linear { weight: vec![inp, out], bias: vec![out] };
    GptWeights {
        wte: vec![v, c],
        wpe: vec![p, c],
        h: (0..config.n_layer)
            .map(|_| BlockWeights {
                ln_1: layer_norm(),
                c_attn: linear(c, 3 * c),
                attn_c_proj: linear(c, c),
                ln_2: layer_norm(),
                c_fc: linear(c, 4 * c),
                mlp_c_proj: linear(4 * c, c),
            })
            .collect(),
        ln_f: layer_norm(),
        lm_head: None,
    }
}

/// Read GPT-2 weights from the bytes of a `model.safetensors` file.
///
/// Accepts HF's names with or without the `transformer.` prefix, f32, f16 or bf16 data, and an
/// explicit `lm_head.weight` (kept only if it differs from `wte`). Every problem — a missing,
/// misshapen, non-finite, absurdly large or unexpected tensor, a truncated file — is an [`Error::Model`] that
/// names the tensor.
pub fn load_safetensors(bytes: &[u8], config: &GptConfig) -> Result<HostWeights> {
    config.validate()?;
    let file = parse_safetensors(bytes)?;
    let prefix = if file.names().iter().any(|name| name.starts_with("transformer.")) { "transformer." } else { "" };
    let mut reader = Reader { file: &file, prefix, used: HashSet::new() };

    let shapes = layout(config);
    let tensors = shapes
        .named_tensors()
        .into_iter()
        .map(|(name, shape)| reader.take(&name, shape))
        .collect::<Result<Vec<_>>>()?;
    let mut weights = shapes.with_tensors(tensors);

    if reader.has("lm_head.weight") {
        let lm_head = reader.take("lm_head.weight", &shapes.wte)?;
        if lm_head != weights.wte {
            weights.lm_head = Some(lm_head);
        }
    }
    reader.check_all_used(config)?;
    Ok(weights)
}

/// The element type [`save_safetensors`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveDtype {
    F32,
    /// Half the size; about 3 significant digits, enough to ship a trained model.
    F16,
}

/// Write `weights` as `model.safetensors` bytes, in the names [`load_safetensors`] reads.
pub fn save_safetensors(weights: &HostWeights, dtype: SaveDtype) -> Result<Vec<u8>> {
    save_named_tensors(&weights.named_tensors(), dtype)
}

/// Named tensors as `model.safetensors` bytes (any model's: the GPT's, the recurrent net's).
pub(crate) fn save_named_tensors(named: &[(String, &Tensor)], dtype: SaveDtype) -> Result<Vec<u8>> {
    let encoded: Vec<Vec<u8>> = named
        .iter()
        .map(|(_, t)| match dtype {
            SaveDtype::F32 => t.data.iter().flat_map(|x| x.to_le_bytes()).collect(),
            SaveDtype::F16 => t.data.iter().flat_map(|&x| f16::from_f32(x).to_le_bytes()).collect(),
        })
        .collect();
    let st_dtype = match dtype {
        SaveDtype::F32 => Dtype::F32,
        SaveDtype::F16 => Dtype::F16,
    };
    let views = named
        .iter()
        .zip(&encoded)
        .map(|((name, t), bytes)| {
            let view = safetensors::tensor::TensorView::new(st_dtype, t.shape.clone(), bytes)
                .map_err(|e| Error::Model(format!("tensor `{name}`: {e}")))?;
            Ok((name.clone(), view))
        })
        .collect::<Result<Vec<_>>>()?;
    // HF tools look for this key to know how the tensors were laid out.
    let metadata = [("format".to_string(), "pt".to_string())].into_iter().collect();
    safetensors::serialize(views, Some(metadata)).map_err(|e| Error::Model(format!("writing safetensors: {e}")))
}

/// Fresh weights with GPT-2's initialisation: every weight N(0, 0.02) — the residual
/// projections (`c_proj`) scaled by 1/√(2·n_layer) so the stream's variance does not grow with
/// depth — biases 0, LayerNorm gain 1. Deterministic in `seed`.
pub fn random_weights(config: &GptConfig, seed: u64) -> HostWeights {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let residual_std = 0.02 / (2.0 * config.n_layer as f32).sqrt();
    let shapes = layout(config);
    let tensors = shapes
        .named_tensors()
        .into_iter()
        .map(|(name, shape)| {
            let n = shape.iter().product();
            let data = if name.ends_with("ln_1.weight") || name.ends_with("ln_2.weight") || name == "ln_f.weight" {
                vec![1.0; n]
            } else if name.ends_with(".bias") {
                vec![0.0; n]
            } else {
                let std = if name.ends_with("c_proj.weight") { residual_std } else { 0.02 };
                (0..n).map(|_| std * standard_normal(&mut rng)).collect()
            };
            Tensor::new(shape.clone(), data)
        })
        .collect();
    shapes.with_tensors(tensors)
}

/// One N(0, 1) sample by the Box–Muller transform.
pub(crate) fn standard_normal(rng: &mut impl Rng) -> f32 {
    let u1: f32 = 1.0 - rng.random::<f32>(); // (0, 1], so ln is finite
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

/// The largest weight magnitude accepted. Trained GPT-2 weights stay within a few dozen; a
/// corrupt file (found by fuzzing) holds values like 1e37 that are finite yet overflow the
/// forward pass into NaN, which would reach the page as probabilities of NaN.
const MAX_WEIGHT: f32 = 1e4;

/// Fetches tensors by HF name and remembers which were used, so leftovers can be reported.
struct Reader<'a> {
    file: &'a SafeTensors<'a>,
    prefix: &'static str,
    used: HashSet<String>,
}

impl Reader<'_> {
    /// The name as stored: `transformer.`-prefixed when the file uses the prefix, except
    /// `lm_head`, which sits outside the transformer.
    fn stored_name(&self, name: &str) -> String {
        let prefixed = format!("{}{name}", self.prefix);
        if self.file.tensor(&prefixed).is_ok() { prefixed } else { name.to_string() }
    }

    fn has(&self, name: &str) -> bool {
        self.file.tensor(&self.stored_name(name)).is_ok()
    }

    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let stored = self.stored_name(name);
        let tensor = read_tensor(self.file, &stored, shape)?;
        self.used.insert(stored);
        Ok(tensor)
    }

    /// A tensor nobody asked for usually means config.json describes a different model
    /// (e.g. more layers than it says), which would otherwise load silently wrong.
    fn check_all_used(&self, config: &GptConfig) -> Result<()> {
        // Causal-mask buffers some exporters save alongside the weights.
        let is_buffer = |name: &str| name.ends_with(".attn.bias") || name.ends_with(".attn.masked_bias");
        let mut unexpected: Vec<&str> =
            self.file.names().into_iter().filter(|n| !self.used.contains(*n) && !is_buffer(n)).collect();
        unexpected.sort_unstable();
        match unexpected.first() {
            None => Ok(()),
            Some(name) => Err(Error::Model(format!(
                "tensor `{name}` is not part of a GPT-2 with n_layer = {} (is config.json the one for this checkpoint?)",
                config.n_layer
            ))),
        }
    }
}

/// The tensor stored as `name`, checked to have `shape` and sane values, as f32 (from f32, f16
/// or bf16). Shared by every model the engine loads (the GPT here, the recurrent net in
/// [`crate::rnn`]).
pub(crate) fn read_tensor(file: &SafeTensors, name: &str, shape: &[usize]) -> Result<Tensor> {
    let view = file.tensor(name).map_err(|_| Error::Model(format!("tensor `{name}` is missing from the checkpoint")))?;
    if view.shape() != shape {
        return Err(Error::Model(format!("tensor `{name}` has shape {:?}, but config.json implies {shape:?}", view.shape())));
    }
    let bytes = view.data();
    let data: Vec<f32> = match view.dtype() {
        Dtype::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        Dtype::F16 => bytes.chunks_exact(2).map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        Dtype::BF16 => bytes.chunks_exact(2).map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        other => {
            return Err(Error::Model(format!("tensor `{name}` has dtype {other:?}; only F32, F16 and BF16 are supported")))
        }
    };
    if let Some(i) = data.iter().position(|x| !x.is_finite()) {
        return Err(Error::Model(format!("tensor `{name}` holds a non-finite value ({}) at index {i}", data[i])));
    }
    if let Some(i) = data.iter().position(|x| x.abs() > MAX_WEIGHT) {
        return Err(Error::Model(format!(
            "tensor `{name}` holds {:e} at index {i}, far beyond any trained weight (at most {MAX_WEIGHT:e} in size): the file is probably corrupt",
            data[i]
        )));
    }
    Ok(Tensor::new(shape.to_vec(), data))
}

/// Parse safetensors bytes, saying what is wrong with a file that cannot be read.
pub(crate) fn parse_safetensors(bytes: &[u8]) -> Result<SafeTensors<'_>> {
    SafeTensors::deserialize(bytes).map_err(|e| unreadable_file(bytes, e))
}

/// Turn the safetensors parser's error into one that says what is wrong with the file, naming
/// the tensor a truncated file cuts off.
fn unreadable_file(bytes: &[u8], error: SafeTensorError) -> Error {
    if let SafeTensorError::MetadataIncompleteBuffer = error {
        if let Some(message) = describe_truncation(bytes) {
            return Error::Model(message);
        }
    }
    Error::Model(format!("model.safetensors is not a readable safetensors file: {error}"))
}

/// For a file whose data section is shorter (or longer) than its header promises.
fn describe_truncation(bytes: &[u8]) -> Option<String> {
    let header_len = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(bytes.get(8..8 + header_len)?).ok()?;
    let data_len = bytes.len() - 8 - header_len;
    let end_of = |info: &serde_json::Value| info["data_offsets"][1].as_u64().map(|e| e as usize);
    let mut tensors: Vec<(&String, usize)> =
        header.iter().filter_map(|(name, info)| Some((name, end_of(info)?))).collect();
    tensors.sort_by_key(|&(_, end)| end);
    let promised = tensors.last()?.1;
    match tensors.iter().find(|&&(_, end)| end > data_len) {
        Some((name, end)) => Some(format!(
            "tensor `{name}` is cut off: model.safetensors ends {} bytes before that tensor's data does (truncated download?)",
            end - data_len
        )),
        None => Some(format!("model.safetensors has {} bytes after the last tensor", data_len - promised)),
    }
}
