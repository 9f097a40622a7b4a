//! The JavaScript API: one opaque [`Playground`] handle that owns the engine, the tokenizer and
//! the last forward pass (with its trace). The page (from a Web Worker) asks it for small views
//! of that pass; the views themselves are computed natively in [`crate::views`] (and tested
//! there by `cargo test`). This module only converts arguments, keeps the cached pass, and turns
//! every failure into a `JsError` with a readable message; nothing panics across the boundary.

use std::cell::{Cell, RefCell};

use js_sys::Float32Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::backend::BackendKind;
use crate::config::Objective;
use crate::engine::Engine;
use crate::fill::{fill_from_logits, mask_id};
use crate::lessons::layers::layers_view;
use crate::lessons::alignment::{self, AlignmentSet, Reading};
use crate::lessons::induction;
use crate::ops::attention::Mask;
use crate::tokenizer::TextTokenizer;
use crate::trace::Trace;
use crate::views::{self, sampling_options, ModelView, StatusView, TokensView};
use crate::weights::load_safetensors;
use crate::{Error, GptConfig, Tensor};

pub(crate) fn js_error(error: Error) -> JsError {
    JsError::new(&error.to_string())
}

fn input_error(message: impl Into<String>) -> JsError {
    js_error(Error::Input(message.into()))
}

/// Plain JS objects (not `Map`s) for structs and maps.
pub(crate) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
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

fn busy() -> JsError {
    input_error("the engine is busy")
}

/// The cached forward pass every read method answers from.
struct Run {
    tokens: TokensView,
    trace: Trace<Tensor>,
}

#[wasm_bindgen]
pub struct Playground {
    config: GptConfig,
    /// GPT (causal, next token) or BERT-style encoder (bidirectional, fills in `[MASK]`).
    objective: Objective,
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
        let objective = Objective::from_json(&config_json).map_err(js_error)?;
        let weights = load_safetensors(&safetensors, &config).map_err(js_error)?;
        let tokenizer = TextTokenizer::from_json(&tokenizer_json).map_err(js_error)?;
        tokenizer.check_vocab(&config).map_err(js_error)?;
        let engine = Engine::new(config.clone(), weights, prefer).await.map_err(js_error)?;
        if let Some(mask_token) = &objective.mask_token {
            mask_id(&tokenizer, mask_token).map_err(js_error)?;
        }
        Ok(Playground {
            config,
            objective,
            engine: RefCell::new(engine),
            tokenizer,
            last: RefCell::new(None),
            forwards: Cell::new(0),
        })
    }

    /// The model's dimensions, its attention mask ("causal" or "bidirectional") and, for an
    /// encoder, its mask token.
    pub fn model(&self) -> Result<JsValue, JsError> {
        to_js(&ModelView::new(&self.config, &self.objective))
    }

    /// Which backend runs, why, and on which adapter.
    pub fn status(&self) -> Result<JsValue, JsError> {
        let engine = self.engine.try_borrow().map_err(|_| busy())?;
        to_js(&StatusView::from(engine.status()))
    }

    /// Switch backends ("gpu", "simd", "scalar", or "auto"); the cached pass is dropped.
    #[wasm_bindgen(js_name = setBackend)]
    pub async fn set_backend(&self, prefer: Option<String>) -> Result<JsValue, JsError> {
        let prefer = parse_backend(prefer)?;
        {
            let mut engine = self.engine.try_borrow_mut().map_err(|_| busy())?;
            engine.set_backend(prefer).await.map_err(js_error)?;
        }
        self.last.replace(None);
        self.status()
    }

    /// Test hook: make the GPU fail as a lost device would; the next forward pass then moves
    /// to the CPU and `status()` says why.
    #[wasm_bindgen(js_name = simulateDeviceLoss)]
    pub fn simulate_device_loss(&self) -> Result<(), JsError> {
        let engine = self.engine.try_borrow().map_err(|_| busy())?;
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
        let tokens = self.tokens_of(&text)?;
        if tokens.ids.is_empty() {
            *self.last.try_borrow_mut().map_err(|_| busy())? = None;
            return to_js(&tokens);
        }
        let trace = {
            let mut engine = self.engine.try_borrow_mut().map_err(|_| busy())?;
            // The last pass's first positions are reused where the new tokens start the same way.
            // (Held while the pass runs: every writer of `last` borrows the engine first.)
            let last = self.last.borrow();
            let previous = last.as_ref().map(|run| &run.trace);
            let output = engine.forward_after(&tokens.ids, mask, previous).await.map_err(js_error)?;
            self.forwards.set(self.forwards.get() + 1);
            output.trace.ok_or_else(|| js_error(Error::Model("the engine returned no trace".into())))?
        };
        let tokens = tokens.with_mask(mask);
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
        to_js(&views::head_steps(&run.trace, &self.config, layer, head, focus).map_err(js_error)?)
    }

    /// Every attention weight of the cached pass: (L, NH, T, T), row-major.
    #[wasm_bindgen(js_name = attentionWeights)]
    pub fn attention_weights(&self) -> Result<Float32Array, JsError> {
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        Ok(Float32Array::from(views::attention_weights(&run.trace).as_slice()))
    }

    /// The residual stream of one token after each stage, with its length, and the most likely
    /// next token at that position.
    #[wasm_bindgen(js_name = residualStream)]
    pub fn residual_stream(&self, token: usize) -> Result<JsValue, JsError> {
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        to_js(&views::residual_stream(&run.trace, &self.tokenizer, token).map_err(js_error)?)
    }

    /// Next-token probabilities after the last token, from the cached logits (no forward
    /// pass): the `n` most probable tokens with every softmax step. `top_k` 0 and `top_p` ≥ 1
    /// mean "keep all".
    pub fn probabilities(&self, temperature: f32, top_k: u32, top_p: f32, n: usize) -> Result<JsValue, JsError> {
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        let opts = sampling_options(temperature, top_k, top_p, 0);
        to_js(&views::probabilities(&run.trace, &self.tokenizer, &opts, n).map_err(js_error)?)
    }

    /// The encoder's candidates for each `[MASK]` of the cached pass (no forward pass): the
    /// `top` most probable tokens per blank. A GPT, or a text without `[MASK]`, is an error.
    pub fn fill(&self, top: usize) -> Result<JsValue, JsError> {
        let Some(mask_token) = self.objective.mask_token.as_deref().filter(|_| self.objective.is_encoder()) else {
            return Err(input_error("this model is a GPT: only the BERT-style encoder fills in [MASK]"));
        };
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        let mask = mask_id(&self.tokenizer, mask_token).map_err(js_error)?;
        to_js(&fill_from_logits(&run.trace.logits, &run.tokens.ids, mask, &self.tokenizer, top).map_err(js_error)?)
    }

    /// Draw the next token from the cached logits with `seed`: `ids` drawn, `text` with them
    /// appended, and the `probabilities` they were drawn with. When the token is only part of a
    /// character, the model runs again to finish it.
    pub async fn sample(&self, temperature: f32, top_k: u32, top_p: f32, seed: u32) -> Result<JsValue, JsError> {
        let opts = sampling_options(temperature, top_k, top_p, u64::from(seed));
        let (ids, logits, mask) = {
            let last = self.last.borrow();
            let run = last.as_ref().ok_or_else(no_run)?;
            (run.tokens.ids.clone(), run.trace.logits.row(run.tokens.ids.len() - 1).to_vec(), run.trace.mask)
        };
        let mut engine = self.engine.try_borrow_mut().map_err(|_| busy())?;
        let sample = views::sample_whole_character(&mut engine, &self.tokenizer, ids, logits, mask, &opts).await;
        let sample = sample.map_err(js_error)?;
        self.forwards.set(self.forwards.get() + sample.forwards);
        to_js(&sample)
    }

    // Lesson chapters 4–6 (www/lessons/chapters/4-layers.js, 5-bert-gpt.js, 6-sampling.js).

    /// Chapter 4, of the cached pass: per block, what attention and the MLP add to the residual
    /// stream and how each head attends; the logit lens at `focus`, `top` tokens per stage.
    pub fn layers(&self, focus: usize, top: usize) -> Result<JsValue, JsError> {
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        let engine = self.engine.try_borrow().map_err(|_| busy())?;
        to_js(&layers_view(&run.trace, engine.weights(), &self.config, &self.tokenizer, focus, top).map_err(js_error)?)
    }

    /// Chapter 5: [`Playground::probabilities`] after the token at `position` of the cached pass
    /// instead of the last: what a GPT, seeing only the left side, puts in a blank after it.
    #[wasm_bindgen(js_name = probabilitiesAt)]
    pub fn probabilities_at(&self, position: usize, temperature: f32, top_k: u32, top_p: f32, n: usize) -> Result<JsValue, JsError> {
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        let opts = sampling_options(temperature, top_k, top_p, 0);
        to_js(&views::probabilities_at(&run.trace, &self.tokenizer, &opts, n, position).map_err(js_error)?)
    }

    /// Lesson chapter 1: every head scored on the held-out pairs `set_json` (the text of
    /// `lessons/data/alignment-pairs.json`), one forward pass per pair; the cached pass is kept.
    #[wasm_bindgen(js_name = alignmentScores)]
    pub async fn alignment_scores(&self, set_json: String) -> Result<JsValue, JsError> {
        let set: AlignmentSet = serde_json::from_str(&set_json).map_err(|e| input_error(format!("alignment-pairs.json: {e}")))?;
        let mut engine = self.engine.try_borrow_mut().map_err(|_| busy())?;
        to_js(&alignment::score_heads(&mut engine, &self.tokenizer, &set.pairs).await.map_err(js_error)?)
    }

    /// Lesson chapter 1: the alignment matrix of `layer`, `head` on the cached (causal) pass
    /// over the pair `text`; `reading` is "predicting" or "own".
    pub fn alignment(&self, text: &str, layer: usize, head: usize, reading: &str) -> Result<JsValue, JsError> {
        let reading = Reading::parse(reading).map_err(js_error)?;
        let last = self.last.borrow();
        let run = last.as_ref().ok_or_else(no_run)?;
        let view = alignment::alignment(&run.trace, &self.tokenizer, self.config.n_positions, text, layer, head, reading);
        to_js(&view.map_err(js_error)?)
    }

    /// Lesson chapter 7: `length` random tokens drawn with `seed`, repeated: each head's
    /// induction score and the in-context gain. The cached pass is kept.
    pub async fn induction(&self, seed: u32, length: usize) -> Result<JsValue, JsError> {
        let mut engine = self.engine.try_borrow_mut().map_err(|_| busy())?;
        to_js(&induction::induction(&mut engine, &self.tokenizer, u64::from(seed), length).await.map_err(js_error)?)
    }

    /// Lesson chapter 7: the sentence of `text` with `|`, without, and with `=`: where the
    /// next-token probability goes. The cached pass is kept.
    #[wasm_bindgen(js_name = promptFormats)]
    pub async fn prompt_formats(&self, text: String) -> Result<JsValue, JsError> {
        let prompts = induction::format_variants(&text).map_err(js_error)?;
        let mut engine = self.engine.try_borrow_mut().map_err(|_| busy())?;
        to_js(&induction::prompt_formats(&mut engine, &self.tokenizer, &prompts).await.map_err(js_error)?)
    }

    /// Lessons, chapter 3: how much each token of `text` sways the next-token prediction
    /// after the last one (each replaced by a space in turn; one forward pass per token, the
    /// cached pass untouched). The recurrent net's side is [`crate::wasm_rnn::RnnLesson`].
    pub async fn influence(&self, text: String) -> Result<JsValue, JsError> {
        let mut engine = self.engine.try_borrow_mut().map_err(|_| busy())?;
        to_js(&crate::lessons::influence::gpt_influence(&mut engine, &self.tokenizer, &text).await.map_err(js_error)?)
    }
}

fn no_run() -> JsError {
    input_error("nothing has run yet: call run(text, mask) with some text first")
}

impl Playground {
    fn tokens_of(&self, text: &str) -> Result<TokensView, JsError> {
        views::tokens_of(&self.tokenizer, self.config.n_positions, text).map_err(js_error)
    }
}
