//! The recurrent net for JavaScript (the lessons' chapter 3): one opaque [`RnnLesson`] handle
//! holding the GRU and the tokenizer it shares with the GPT. Loaded only when that chapter asks
//! for it; the GPT's side of the comparison is `Playground::influence`. Thin, like `wasm`:
//! the numbers are [`crate::lessons::influence`]'s.

use wasm_bindgen::prelude::*;

use crate::lessons::influence::rnn_influence;
use crate::rnn::Rnn;
use crate::tokenizer::TextTokenizer;
use crate::wasm::{js_error, to_js};

#[wasm_bindgen]
pub struct RnnLesson {
    rnn: Rnn,
    tokenizer: TextTokenizer,
}

#[wasm_bindgen]
impl RnnLesson {
    /// From the recurrent net's `config.json` and `model.safetensors` and the tokenizer its
    /// config names (the GPT's `tokenizer.json`).
    pub fn load(config_json: String, safetensors: Vec<u8>, tokenizer_json: String) -> Result<RnnLesson, JsError> {
        console_error_panic_hook::set_once();
        let rnn = Rnn::from_files(&config_json, &safetensors).map_err(js_error)?;
        let tokenizer = TextTokenizer::from_json(&tokenizer_json).map_err(js_error)?;
        if tokenizer.vocab_size() != rnn.config.vocab_size {
            return Err(JsError::new(&format!(
                "the tokenizer has {} tokens, the recurrent net {}",
                tokenizer.vocab_size(),
                rnn.config.vocab_size
            )));
        }
        Ok(RnnLesson { rnn, tokenizer })
    }

    /// The net's dimensions: its `config.json`.
    pub fn model(&self) -> Result<JsValue, JsError> {
        to_js(&self.rnn.config)
    }

    /// How much each token of `text` sways the next-token prediction after the last one.
    pub fn influence(&self, text: &str) -> Result<JsValue, JsError> {
        to_js(&rnn_influence(&self.rnn, &self.tokenizer, text).map_err(js_error)?)
    }
}
