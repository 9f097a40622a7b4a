//! The JavaScript API: one opaque [`Playground`] handle that owns the engine, the tokenizer and
//! the last forward pass (with its trace). The page (from a Web Worker) asks it for small views
//! of that pass — one head's steps, all attention weights, the residual stream of one token,
//! next-token probabilities — so long-lived data stays in Rust and each call returns a typed
//! array or a small serde struct. Re-sampling with new temperature/top-k/top-p reuses the cached
//! logits: no new forward pass.
//!
//! Every input is checked and every failure becomes a `JsError` with a readable message; nothing
//! panics across the boundary.

use std::cell::{Cell, RefCell};

use js_sys::Float32Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::attention::Mask;
use crate::backend::BackendKind;
use crate::engine::Engine;
use crate::sampling::{self, probability_steps, Sampler, SamplingOptions};
use crate::tokenizer::TextTokenizer;
use crate::trace::Trace;
use crate::weights::load_safetensors;
use crate::{Error, GptConfig, Tensor};

/// Text beyond this many characters is not even tokenized (it could never fit the context).
const MAX_TEXT_CHARS: usize = 20_000;
/// How much of the ignored text the page is given to show, faded.
const MAX_DROPPED_CHARS: usize = 200;
/// A sampled token may be half of a UTF-8 character; sample at most this many more to finish it.
const MAX_CHARACTER_TOKENS: usize = 4;

fn js_error(error: Error) -> JsError {
    JsError::new(&error.to_string())
}

fn input_error(message: impl Into<String>) -> JsError {
    js_error(Error::Input(message.into()))
}

/// Plain JS objects (not `Map`s) for structs and maps.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    value.serialize(&serializer).map_err(|e| JsError::new(&e.to_string()))
}

fn parse_backend(prefer: Option<String>) -> Result<Option<BackendKind>, JsError> {
    match prefer.as_deref() {
        None | Some("") | Some("auto") => Ok(None),
        Some(name) => BackendKind::parse(name).map(Some).map_err(js_error),
    }
}

fn parse_mask(mask: &str) -> Result<Mask, JsError> {
    match mask {
        "causal" => Ok(Mask::Causal),
        "bidirectional" => Ok(Mask::Bidirectional),
        other => Err(input_error(format!("unknown mask {other:?} (expected causal or bidirectional)"))),
    }
}

/// The model's dimensions.
#[derive(Serialize)]
struct ModelView {
    n_layer: usize,
    n_head: usize,
    n_embd: usize,
    head_size: usize,
    n_positions: usize,
    vocab_size: usize,
}

#[derive(Serialize)]
struct StatusView {
    kind: &'static str,
    reason: String,
    adapter: Option<String>,
}

/// The text as the model sees it.
#[derive(Clone, Serialize)]
struct TokensView {
    /// The tokens that fit the context (T ≤ P).
    ids: Vec<u32>,
    /// What each token stands for in the text; a token that is only part of a character shows
    /// that character with its part number (小¹ 小² 小³).
    display: Vec<String>,
    /// True where the token is part of a character that spans several tokens.
    partial: Vec<bool>,
    /// Tokens in the whole text (more than `ids.len()` when truncated).
    total: usize,
    truncated: bool,
    /// The start of the text that did not fit, for the page to show faded.
    dropped: String,
    /// P: the model's context length.
    context: usize,
    /// (T, T) 1 where the mask lets query i see key j, else 0; empty before a forward pass.
    allowed: Vec<u8>,
}

/// One head's attention for one focus token, every step, from the trace.
#[derive(Serialize)]
struct HeadStepsView {
    layer: usize,
    head: usize,
    focus: usize,
    head_size: usize,
    sqrt_head_size: f32,
    /// (HS) query of the focus token.
    q: Vec<f32>,
    /// (T, HS) keys of every token, row-major.
    k: Vec<f32>,
    /// (T, HS) values of every token, row-major.
    v: Vec<f32>,
    /// (T) q·k for each key.
    scores: Vec<f32>,
    /// (T) scores / √HS.
    scaled: Vec<f32>,
    /// (T) scaled, -∞ where masked.
    masked: Vec<f32>,
    /// (T) softmax of masked.
    weights: Vec<f32>,
    /// Σ weights (1 up to rounding), summed in f64.
    weight_sum: f32,
    /// (HS) Σ weights · v: this head's output for the focus token.
    out: Vec<f32>,
}

#[derive(Serialize)]
struct StageView {
    /// "embeddings", "attention", "mlp" or "final".
    kind: &'static str,
    layer: usize,
    /// (C) the residual stream of the token after this stage.
    values: Vec<f32>,
    /// Euclidean length of `values`.
    norm: f32,
}

#[derive(Serialize)]
struct TokenView {
    id: u32,
    text: String,
}

#[derive(Serialize)]
struct StackView {
    token: usize,
    channels: usize,
    stages: Vec<StageView>,
    /// The most likely next token at this position.
    top: TokenView,
}

#[derive(Serialize)]
struct NextRow {
    id: u32,
    text: String,
    logit: f32,
    scaled: f32,
    exp: f32,
    probability: f32,
    /// False when top-k or top-p removed the token.
    kept: bool,
}

#[derive(Serialize)]
struct NextView {
    /// The position whose logits these are (the last token).
    position: usize,
    vocab: usize,
    /// The most probable tokens before filtering, most probable first.
    rows: Vec<NextRow>,
    /// Σ probability of `rows`.
    shown: f32,
    /// Σ probability of every other token: rows + others = 1.
    others: f32,
}

#[derive(Serialize)]
struct SampleView {
    /// The sampled tokens (more than one when a character spans several tokens).
    ids: Vec<u32>,
    /// The whole text with the sampled tokens appended.
    text: String,
}

/// The cached forward pass every read method answers from.
struct Run {
    tokens: TokensView,
    trace: Trace<Tensor>,
}

#[wasm_bindgen]
pub struct Playground {
    config: GptConfig,
    engine: RefCell<Engine>,
    tokenizer: TextTokenizer,
    last: RefCell<Option<Run>>,
    forwards: Cell<u32>,
}

#[wasm_bindgen]
impl Playground {
    /// Build the engine from the three model files. `prefer` forces a backend ("gpu", "simd",
    /// "scalar"); `undefined` or "auto" picks the best available.
    pub async fn load(
        config_json: String,
        safetensors: Vec<u8>,
        tokenizer_json: String,
        prefer: Option<String>,
    ) -> Result<Playground, JsError> {
        console_error_panic_hook::set_once();
        let prefer = parse_backend(prefer)?;
        let config = GptConfig::from_json(&config_json).map_err(js_error)?;
        let weights = load_safetensors(&safetensors, &config).map_err(js_error)?;
        let tokenizer = TextTokenizer::from_json(&tokenizer_json).map_err(js_error)?;
        tokenizer.check_vocab(&config).map_err(js_error)?;
        let engine = Engine::new(config.clone(), weights, prefer).await.map_err(js_error)?;
        Ok(Playground {
            config,
            engine: RefCell::new(engine),
            tokenizer,
            last: RefCell::new(None),
            forwards: Cell::new(0),
        })
    }

    pub fn model(&self) -> Result<JsValue, JsError> {
        let c = &self.config;
        to_js(&ModelView {
            n_layer: c.n_layer,
            n_head: c.n_head,
            n_embd: c.n_embd,
            head_size: c.head_size(),
            n_positions: c.n_positions,
            vocab_size: c.vocab_size,
        })
    }

    /// Which backend runs, why, and on which adapter.
    pub fn status(&self) -> Result<JsValue, JsError> {
        let engine = self.engine.try_borrow().map_err(|_| input_error("the engine is busy"))?;
        let status = engine.status();
        to_js(&StatusView { kind: status.kind.name(), reason: status.reason.clone(), adapter: status.adapter.clone() })
    }

    /// Switch backends ("gpu", "simd", "scalar", or "auto"); the cached pass is dropped.
    #[wasm_bindgen(js_name = setBackend)]
    pub async fn set_backend(&self, prefer: Option<String>) -> Result<JsValue, JsError> {
        let prefer = parse_backend(prefer)?;
        {
            let mut engine = self.engine.try_borrow_mut().map_err(|_| input_error("the engine is busy"))?;
            engine.set_backend(prefer).await.map_err(js_error)?;
        }
        self.last.replace(None);
        self.status()
    }

    /// Test hook: make the GPU fail as a lost device would; the next forward pass then moves
    /// to the CPU and `status()` says why.
    #[wasm_bindgen(js_name = simulateDeviceLoss)]
    pub fn simulate_device_loss(&self) -> Result<(), JsError> {
        let engine = self.engine.try_borrow().map_err(|_| input_error("the engine is busy"))?;
        engine.simulate_device_loss();
        Ok(())
    }

    /// Forward passes run so far (a debug counter: re-sampling must not add to it).
    pub fn forwards(&self) -> u32 {
        self.forwards.get()
    }

    /// The tokens of `text`, without running the model.
    pub fn tokenize(&self, text: &str) -> Result<JsValue, JsError> {
        to_js(&self.tokens_of(text)?)
    }

    /// Tokenize `text`, run the model over the tokens that fit (recording the trace) with
    /// `mask` ("causal" or "bidirectional"), and keep the result for the read methods below.
    /// Empty text runs nothing and clears the cache.
    pub async fn run(&self, text: String, mask: String) -> Result<JsValue, JsError> {
        let mask = parse_mask(&mask)?;
        let mut tokens = self.tokens_of(&text)?;
        if tokens.ids.is_empty() {
            self.last.replace(None);
            return to_js(&tokens);
        }
        let trace = {
            let mut engine = self.engine.try_borrow_mut().map_err(|_| input_error("the engine is busy"))?;
            let output = engine.forward(&tokens.ids, mask, true).await.map_err(js_error)?;
            self.forwards.set(self.forwards.get() + 1);
            output.trace.ok_or_else(|| js_error(Error::Model("the engine returned no trace".into())))?
        };
        let t = tokens.ids.len();
        tokens.allowed = (0..t * t).map(|n| u8::from(mask.allows(n / t, n % t))).collect();
        let view = to_js(&tokens);
        self.last.replace(Some(Run { tokens, trace }));
        view
    }

    /// One head's steps for one focus token: q, k, v (this head's slice), scores, scaled,
    /// masked, weights and the weighted sum, exactly as the trace recorded them.
    #[wasm_bindgen(js_name = headSteps)]
    pub fn head_steps(&self, layer: usize, head: usize, focus: usize) -> Result<JsValue, JsError> {
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        let t = run.tokens.ids.len();
        let (n_layer, n_head, hs) = (self.config.n_layer, self.config.n_head, self.config.head_size());
        if layer >= n_layer || head >= n_head || focus >= t {
            return Err(input_error(format!(
                "layer {layer}, head {head}, token {focus} is outside {n_layer} layers, {n_head} heads, {t} tokens"
            )));
        }
        let a = &run.trace.layers[layer].attention;
        let cols = head * hs..(head + 1) * hs;
        let head_rows = |x: &Tensor| (0..t).flat_map(|j| x.row(j)[cols.clone()].to_vec()).collect::<Vec<f32>>();
        let score_row = |x: &Tensor| x.data[(head * t + focus) * t..(head * t + focus + 1) * t].to_vec();
        let weights = score_row(&a.weights);
        to_js(&HeadStepsView {
            layer,
            head,
            focus,
            head_size: hs,
            sqrt_head_size: (hs as f32).sqrt(),
            q: a.q.row(focus)[cols.clone()].to_vec(),
            k: head_rows(&a.k),
            v: head_rows(&a.v),
            scores: score_row(&a.scores),
            scaled: score_row(&a.scaled),
            masked: score_row(&a.masked),
            weight_sum: weights.iter().map(|&w| f64::from(w)).sum::<f64>() as f32,
            weights,
            out: a.out.row(focus)[cols].to_vec(),
        })
    }

    /// Every attention weight of the cached pass: (L, NH, T, T), row-major.
    #[wasm_bindgen(js_name = attentionWeights)]
    pub fn attention_weights(&self) -> Result<Float32Array, JsError> {
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        let all: Vec<f32> = run.trace.layers.iter().flat_map(|l| l.attention.weights.data.iter().copied()).collect();
        Ok(Float32Array::from(all.as_slice()))
    }

    /// The residual stream of one token after each stage, with its length, and the most likely
    /// next token at that position.
    #[wasm_bindgen(js_name = residualStream)]
    pub fn residual_stream(&self, token: usize) -> Result<JsValue, JsError> {
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        let t = run.tokens.ids.len();
        if token >= t {
            return Err(input_error(format!("token {token} is outside the {t} tokens")));
        }
        let stage = |kind, layer, x: &Tensor| {
            let values = x.row(token).to_vec();
            let norm = values.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt() as f32;
            StageView { kind, layer, values, norm }
        };
        let trace = &run.trace;
        let mut stages = vec![stage("embeddings", 0, &trace.embeddings)];
        for (l, layer) in trace.layers.iter().enumerate() {
            stages.push(stage("attention", l, &layer.after_attention));
            stages.push(stage("mlp", l, &layer.after_mlp));
        }
        stages.push(stage("final", 0, &trace.final_norm));
        let id = sampling::argmax(trace.logits.row(token)).unwrap_or(0);
        to_js(&StackView {
            token,
            channels: self.config.n_embd,
            stages,
            top: TokenView { id, text: self.token_text(id) },
        })
    }

    /// Next-token probabilities after the last token, from the cached logits (no forward
    /// pass): the `n` most probable tokens with every softmax step. `top_k` 0 and `top_p` ≥ 1
    /// mean "keep all".
    pub fn probabilities(&self, temperature: f32, top_k: u32, top_p: f32, n: usize) -> Result<JsValue, JsError> {
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        let position = run.tokens.ids.len() - 1;
        let opts = sampling_options(temperature, top_k, top_p, 0);
        let steps = probability_steps(run.trace.logits.row(position), &opts).map_err(js_error)?;
        // Ranked by the unfiltered distribution, so tokens cut by top-k/top-p stay visible.
        let rows: Vec<NextRow> = sampling::top_n(&steps.exp, n)
            .into_iter()
            .map(|(id, _)| {
                let i = id as usize;
                NextRow {
                    id,
                    text: self.token_text(id),
                    logit: steps.logits[i],
                    scaled: steps.scaled[i],
                    exp: steps.exp[i],
                    probability: steps.probabilities[i],
                    kept: steps.kept[i],
                }
            })
            .collect();
        let total: f64 = steps.probabilities.iter().map(|&p| f64::from(p)).sum();
        let shown: f64 = rows.iter().map(|r| f64::from(r.probability)).sum();
        to_js(&NextView {
            position,
            vocab: steps.probabilities.len(),
            rows,
            shown: shown as f32,
            others: (total - shown).max(0.0) as f32,
        })
    }

    /// Draw the next token from the cached logits with `seed`, and return the text with it
    /// appended. When the token is only part of a character, the model runs again to finish it.
    pub async fn sample(&self, temperature: f32, top_k: u32, top_p: f32, seed: u32) -> Result<JsValue, JsError> {
        let opts = sampling_options(temperature, top_k, top_p, u64::from(seed));
        let mut sampler = Sampler::new(&opts).map_err(js_error)?;
        let (mut ids, mut logits, mask) = {
            let last = self.last.borrow();
            let run = last.as_ref().ok_or_else(no_run)?;
            let row = run.trace.logits.row(run.tokens.ids.len() - 1).to_vec();
            (run.tokens.ids.clone(), row, run.trace.mask)
        };
        let start = ids.len();
        for _ in 0..MAX_CHARACTER_TOKENS {
            if ids.len() >= self.config.n_positions {
                break;
            }
            ids.push(sampler.next_token(&logits).map_err(js_error)?);
            let text = self.tokenizer.decode(&ids).map_err(js_error)?;
            if !text.ends_with(char::REPLACEMENT_CHARACTER) || ids.len() >= self.config.n_positions {
                return to_js(&SampleView { ids: ids[start..].to_vec(), text });
            }
            let mut engine = self.engine.try_borrow_mut().map_err(|_| input_error("the engine is busy"))?;
            let output = engine.forward(&ids, mask, false).await.map_err(js_error)?;
            self.forwards.set(self.forwards.get() + 1);
            logits = output.logits.row(ids.len() - 1).to_vec();
        }
        let text = self.tokenizer.decode(&ids).map_err(js_error)?;
        to_js(&SampleView { ids: ids[start..].to_vec(), text })
    }
}

fn no_run() -> JsError {
    input_error("nothing has run yet: call run(text, mask) with some text first")
}

/// The page's controls as engine options: top-k 0 and top-p ≥ 1 switch the filter off.
fn sampling_options(temperature: f32, top_k: u32, top_p: f32, seed: u64) -> SamplingOptions {
    SamplingOptions {
        temperature,
        top_k: (top_k > 0).then_some(top_k as usize),
        top_p: (top_p < 1.0).then_some(top_p),
        greedy: false,
        seed,
    }
}

impl Playground {
    /// A token as the page labels it (a cut character shows as hex bytes, e.g. `<E5 96>`).
    fn token_text(&self, id: u32) -> String {
        self.tokenizer.token_text(id).unwrap_or_else(|_| format!("#{id}"))
    }

    /// Tokenize, keep the tokens that fit the context, and say what each one shows.
    fn tokens_of(&self, text: &str) -> Result<TokensView, JsError> {
        let context = self.config.n_positions;
        let (kept_text, cut_chars) = match text.char_indices().nth(MAX_TEXT_CHARS) {
            Some((byte, _)) => (&text[..byte], true),
            None => (text, false),
        };
        let encoded = self.tokenizer.encode(kept_text).map_err(js_error)?;
        let total = encoded.ids.len();
        let fit = total.min(context);
        let offsets = &encoded.offsets; // in chars
        // Tokens that cut a character share its char range with a neighbour.
        let partial: Vec<bool> = (0..fit)
            .map(|i| {
                (i > 0 && offsets[i - 1].1 > offsets[i].0) || (i + 1 < total && offsets[i + 1].0 < offsets[i].1)
            })
            .collect();
        // A cut character shows as itself with the token's part number: 小¹ 小² 小³.
        let mut part = 0;
        let display = (0..fit)
            .map(|i| {
                if !partial[i] {
                    part = 0;
                    return encoded.pieces[i].clone();
                }
                part = if i > 0 && partial[i - 1] && offsets[i - 1] == offsets[i] { part + 1 } else { 1 };
                let character = chars(kept_text, offsets[i].0, offsets[i].1 - offsets[i].0);
                format!("{character}{}", superscript(part))
            })
            .collect();
        let dropped = if total > context {
            chars(kept_text, offsets[context].0, MAX_DROPPED_CHARS)
        } else if cut_chars {
            chars(&text[kept_text.len()..], 0, MAX_DROPPED_CHARS)
        } else {
            String::new()
        };
        Ok(TokensView {
            ids: encoded.ids[..fit].to_vec(),
            display,
            partial,
            total,
            truncated: total > context || cut_chars,
            dropped,
            context,
            allowed: Vec::new(),
        })
    }
}

fn superscript(n: usize) -> String {
    n.to_string().chars().map(|d| ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d as usize - '0' as usize]).collect()
}

/// `count` characters of `text` from character `start`.
fn chars(text: &str, start: usize, count: usize) -> String {
    text.chars().skip(start).take(count).collect()
}

#[cfg(test)]
mod tests {
    //! The API as the worker calls it, on a tiny random model with a byte-level tokenizer (one
    //! token per byte, so token counts are known). Runs under Node: no WebGPU, so the CPU.

    use safetensors::tensor::{Dtype, TensorView};
    use serde_json::{json, Value};
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    const C: usize = 8;
    const NH: usize = 2;
    const L: usize = 2;
    const P: usize = 16;
    const V: usize = 256;

    /// GPT-2's byte alphabet: printable bytes are themselves, the rest move to chars 256...
    fn byte_char(b: u8) -> char {
        let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        if printable(b) {
            return char::from(b);
        }
        let moved = (0..b).filter(|&x| !printable(x)).count() as u32;
        char::from_u32(256 + moved).unwrap()
    }

    fn tokenizer_json() -> String {
        let vocab: serde_json::Map<String, Value> = (0..=255u8).map(|b| (byte_char(b).to_string(), json!(b))).collect();
        let byte_level = json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true});
        json!({
            "version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
            "pre_tokenizer": byte_level, "post_processor": null, "decoder": byte_level,
            "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                      "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                      "ignore_merges": false, "vocab": vocab, "merges": []}
        })
        .to_string()
    }

    fn config_json() -> String {
        json!({"n_embd": C, "n_head": NH, "n_layer": L, "n_positions": P, "vocab_size": V}).to_string()
    }

    /// Small deterministic pseudo-random weights in HF GPT-2 naming.
    fn safetensors_bytes() -> Vec<u8> {
        let mut state = 0x2545_f491_u32;
        let mut random = |n: usize, scale: f32| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    (state as f32 / u32::MAX as f32 - 0.5) * scale
                })
                .collect()
        };
        let mut tensors: Vec<(String, Vec<usize>, Vec<f32>)> = vec![
            ("transformer.wte.weight".into(), vec![V, C], random(V * C, 0.5)),
            ("transformer.wpe.weight".into(), vec![P, C], random(P * C, 0.2)),
            ("transformer.ln_f.weight".into(), vec![C], vec![1.0; C]),
            ("transformer.ln_f.bias".into(), vec![C], vec![0.0; C]),
        ];
        for l in 0..L {
            let p = format!("transformer.h.{l}");
            for (name, shape) in [
                ("ln_1.weight", vec![C]),
                ("ln_1.bias", vec![C]),
                ("attn.c_attn.weight", vec![C, 3 * C]),
                ("attn.c_attn.bias", vec![3 * C]),
                ("attn.c_proj.weight", vec![C, C]),
                ("attn.c_proj.bias", vec![C]),
                ("ln_2.weight", vec![C]),
                ("ln_2.bias", vec![C]),
                ("mlp.c_fc.weight", vec![C, 4 * C]),
                ("mlp.c_fc.bias", vec![4 * C]),
                ("mlp.c_proj.weight", vec![4 * C, C]),
                ("mlp.c_proj.bias", vec![C]),
            ] {
                let n = shape.iter().product();
                let data = if name.starts_with("ln_") && name.ends_with("weight") { vec![1.0; n] } else { random(n, 0.8) };
                tensors.push((format!("{p}.{name}"), shape, data));
            }
        }
        let bytes: Vec<(String, Vec<usize>, Vec<u8>)> =
            tensors.into_iter().map(|(n, s, d)| (n, s, bytemuck::cast_slice(&d).to_vec())).collect();
        let views: Vec<(String, TensorView)> = bytes
            .iter()
            .map(|(n, s, b)| (n.clone(), TensorView::new(Dtype::F32, s.clone(), b).unwrap()))
            .collect();
        safetensors::serialize(views, None).unwrap()
    }

    async fn playground() -> Playground {
        Playground::load(config_json(), safetensors_bytes(), tokenizer_json(), None).await.map_err(JsValue::from).unwrap()
    }

    fn value(js: Result<JsValue, JsError>) -> Value {
        serde_wasm_bindgen::from_value(js.map_err(JsValue::from).unwrap()).unwrap()
    }

    fn floats(v: &Value) -> Vec<f64> {
        v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap_or(f64::NEG_INFINITY)).collect()
    }

    #[wasm_bindgen_test]
    async fn runs_text_and_reports_tokens() {
        let pg = playground().await;
        assert_ne!(value(pg.status())["kind"], "gpu");
        let run = value(pg.run("ab 小".into(), "causal".into()).await);
        // One token per byte: a, b, space, and the three bytes of 小 (each only part of it).
        assert_eq!(run["ids"], json!([97, 98, 32, 0xE5, 0xB0, 0x8F]));
        assert_eq!(run["display"], json!(["a", "b", " ", "小¹", "小²", "小³"]));
        assert_eq!(run["partial"], json!([false, false, false, true, true, true]));
        assert_eq!(run["truncated"], json!(false));
        assert_eq!(run["allowed"].as_array().unwrap().len(), 36);
        assert_eq!(run["allowed"][1], json!(0)); // query 0 may not see key 1
        assert_eq!(pg.forwards(), 1);
    }

    #[wasm_bindgen_test]
    async fn head_steps_come_from_the_trace() {
        let pg = playground().await;
        value(pg.run("hello".into(), "causal".into()).await);
        let steps = value(pg.head_steps(1, 1, 2));
        let hs = C / NH;
        assert_eq!(floats(&steps["q"]).len(), hs);
        assert_eq!(floats(&steps["k"]).len(), 5 * hs);
        let masked = floats(&steps["masked"]);
        let weights = floats(&steps["weights"]);
        for j in 0..5 {
            assert_eq!(masked[j] == f64::NEG_INFINITY, j > 2, "key {j}");
            assert_eq!(weights[j] == 0.0, j > 2, "key {j}");
        }
        assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-5);
        let scores = floats(&steps["scores"]);
        let scaled = floats(&steps["scaled"]);
        let sqrt_hs = (hs as f64).sqrt();
        for j in 0..=2 {
            assert!((scaled[j] - scores[j] / sqrt_hs).abs() < 1e-5);
        }
        assert!(pg.head_steps(L, 0, 0).is_err());
        assert!(pg.head_steps(0, NH, 0).is_err());
        assert!(pg.head_steps(0, 0, 5).is_err());

        let all = pg.attention_weights().map_err(JsValue::from).unwrap();
        assert_eq!(all.length() as usize, L * NH * 5 * 5);
        let stack = value(pg.residual_stream(4));
        assert_eq!(stack["stages"].as_array().unwrap().len(), 2 + 2 * L);
        assert_eq!(floats(&stack["stages"][0]["values"]).len(), C);
    }

    #[wasm_bindgen_test]
    async fn probabilities_reuse_the_cached_logits() {
        let pg = playground().await;
        value(pg.run("the cat".into(), "causal".into()).await);
        let warm = value(pg.probabilities(1.0, 0, 1.0, 10));
        let cold = value(pg.probabilities(0.5, 0, 1.0, 10));
        assert_eq!(pg.forwards(), 1, "re-sampling must not run the model");
        let top = |v: &Value| v["rows"][0]["probability"].as_f64().unwrap();
        assert!(top(&cold) > top(&warm));
        let total = warm["shown"].as_f64().unwrap() + warm["others"].as_f64().unwrap();
        assert!((total - 1.0).abs() < 1e-4);
        let cut = value(pg.probabilities(1.0, 3, 1.0, 10));
        let kept: Vec<bool> = cut["rows"].as_array().unwrap().iter().map(|r| r["kept"].as_bool().unwrap()).collect();
        assert_eq!(kept, [true, true, true, false, false, false, false, false, false, false]);
        assert!(pg.probabilities(0.0, 0, 1.0, 10).is_err());
    }

    #[wasm_bindgen_test]
    async fn sampling_is_seeded_and_appends_to_the_text() {
        let pg = playground().await;
        value(pg.run("ab".into(), "causal".into()).await);
        let a = value(pg.sample(1.0, 0, 1.0, 7).await);
        let b = value(pg.sample(1.0, 0, 1.0, 7).await);
        assert_eq!(a, b);
        assert!(a["text"].as_str().unwrap().starts_with("ab"));
        assert!(!a["ids"].as_array().unwrap().is_empty());
    }

    #[wasm_bindgen_test]
    async fn bad_input_is_an_error_not_a_panic() {
        let pg = playground().await;
        assert!(pg.head_steps(0, 0, 0).is_err(), "nothing has run yet");
        assert!(pg.run("x".into(), "sideways".into()).await.is_err());
        let empty = value(pg.run(String::new(), "causal".into()).await);
        assert_eq!(empty["ids"], json!([]));
        assert!(pg.probabilities(1.0, 0, 1.0, 10).is_err());
        // Longer than the context: the first P tokens run, the rest is reported as dropped.
        let long = value(pg.run("x".repeat(3 * P), "bidirectional".into()).await);
        assert_eq!(long["ids"].as_array().unwrap().len(), P);
        assert_eq!(long["truncated"], json!(true));
        assert_eq!(long["dropped"].as_str().unwrap().len(), 2 * P);
        // Far longer than anything could fit is cut before tokenizing.
        let huge = value(pg.run("字".repeat(MAX_TEXT_CHARS + 5), "causal".into()).await);
        assert_eq!(huge["truncated"], json!(true));
        assert!(Playground::load("{}".into(), vec![], tokenizer_json(), None).await.is_err());
        assert!(Playground::load(config_json(), vec![1, 2, 3], tokenizer_json(), None).await.is_err());
        assert!(pg.set_backend(Some("quantum".into())).await.is_err());
        let status = value(pg.set_backend(Some("scalar".into())).await);
        assert_eq!(status["kind"], "scalar");
    }
}
