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
use crate::engine::{Engine, Why};
use crate::sampling::{self, probability_steps, Sampler, SamplingOptions};
use crate::tokenizer::TextTokenizer;
use crate::trace::Trace;
use crate::weights::load_safetensors;
use crate::{Error, GptConfig, Tensor};

/// Text beyond this many characters is not even tokenized (it could never fit the context).
pub const MAX_TEXT_CHARS: usize = 20_000;
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
    /// A code the page words in the reader's language, e.g. "software_gpu".
    why: Why,
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
    /// True when the token is only part of a character.
    partial: bool,
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
    /// True when the token is only part of a character (a lone UTF-8 byte or a few).
    partial: bool,
}

#[derive(Serialize)]
struct NextView {
    /// The position whose logits these are (the last token).
    position: usize,
    vocab: usize,
    /// The tokens with the highest scaled logits before filtering, highest first: the most
    /// probable ones, in the right order even where a tiny temperature rounds probabilities to 0.
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
    /// Each sampled token's probability (after temperature, top-k and top-p) when it was drawn.
    probabilities: Vec<f32>,
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
        to_js(&StatusView {
            kind: status.kind.name(),
            why: status.why,
            reason: status.reason.clone(),
            adapter: status.adapter.clone(),
        })
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
            top: TokenView { id, text: self.token_label(id), partial: self.is_partial(id) },
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
        // Ranked by the scaled logits (the order of the unfiltered distribution), so tokens cut
        // by top-k/top-p stay visible and runners-up whose probability underflows keep their rank.
        let rows: Vec<NextRow> = sampling::top_n(&steps.scaled, n)
            .into_iter()
            .map(|(id, _)| {
                let i = id as usize;
                NextRow {
                    id,
                    text: self.token_label(id),
                    logit: steps.logits[i],
                    scaled: steps.scaled[i],
                    exp: steps.exp[i],
                    probability: steps.probabilities[i],
                    kept: steps.kept[i],
                    partial: self.is_partial(id),
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
        let mut probabilities = Vec::new();
        for _ in 0..MAX_CHARACTER_TOKENS {
            if ids.len() >= self.config.n_positions {
                break;
            }
            let steps = probability_steps(&logits, sampler.options()).map_err(js_error)?;
            let id = sampler.choose(&steps.probabilities);
            ids.push(id);
            probabilities.push(steps.probabilities[id as usize]);
            let text = self.tokenizer.decode(&ids).map_err(js_error)?;
            if !text.ends_with(char::REPLACEMENT_CHARACTER) || ids.len() >= self.config.n_positions {
                return to_js(&SampleView { ids: ids[start..].to_vec(), probabilities, text });
            }
            let mut engine = self.engine.try_borrow_mut().map_err(|_| input_error("the engine is busy"))?;
            let output = engine.forward(&ids, mask, false).await.map_err(js_error)?;
            self.forwards.set(self.forwards.get() + 1);
            logits = output.logits.row(ids.len() - 1).to_vec();
        }
        let text = self.tokenizer.decode(&ids).map_err(js_error)?;
        to_js(&SampleView { ids: ids[start..].to_vec(), probabilities, text })
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
    /// A token's readable text; an id the tokenizer lacks (the model may have more) shows as
    /// `<id N>`, as the tokenizer's `decode` writes it.
    fn token_label(&self, id: u32) -> String {
        self.tokenizer.token_text(id).unwrap_or_else(|_| format!("<id {id}>"))
    }

    /// Whether a token alone is not whole characters: its bytes do not decode (as in `sample`).
    fn is_partial(&self, id: u32) -> bool {
        self.tokenizer.decode(&[id]).is_ok_and(|text| text.contains(char::REPLACEMENT_CHARACTER))
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

