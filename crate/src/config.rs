//! Model hyper-parameters, read from a Hugging Face GPT-2 `config.json`, and what the model
//! was trained for (next token or fill-in-the-blank), read from the same file.

use serde::{Deserialize, Serialize};

use crate::ops::attention::Mask;
use crate::{Error, Result};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GptConfig {
    /// C: width of the residual stream.
    pub n_embd: usize,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// NH: attention heads per block; `n_embd` must divide evenly.
    pub n_head: usize,
    /// P: the longest sequence the position embedding covers. Old configs call it `n_ctx`;
    /// GPT-2's own config.json has both (see [`GptConfig::from_json`]).
    #[serde(default)]
    pub n_positions: usize,
    /// V: number of tokens.
    pub vocab_size: usize,
    /// Added to the variance in every LayerNorm.
    #[serde(default = "default_layer_norm_epsilon")]
    pub layer_norm_epsilon: f32,
}

fn default_layer_norm_epsilon() -> f32 {
    1e-5
}

/// Caps far above any GPT-2 (the largest, XL, is 1600 wide with 48 layers and 50 257 tokens).
/// They stop a typo in config.json from making the loader lay out more tensors than any file
/// could hold, and keep products such as 4·C from overflowing.
const MAX_DIMENSION: usize = 1 << 24;
const MAX_LAYERS: usize = 1 << 10;

/// serde's message names a line and column but not the field; say which field is wrong.
fn describe_bad_config(text: &str, error: serde_json::Error) -> Error {
    let fields = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(fields)) => fields,
        Ok(_) => return Error::Model("config.json must be a JSON object of named fields".into()),
        Err(e) => return Error::Model(format!("config.json is not valid JSON: {e}")),
    };
    for name in ["n_embd", "n_layer", "n_head", "n_positions", "vocab_size"] {
        match fields.get(name) {
            None if name == "n_positions" => {}
            None => return Error::Model(format!("config.json: {name} is missing")),
            Some(value) if value.as_u64().is_none() => {
                return Error::Model(format!("config.json: {name} must be a positive whole number, got {value}"))
            }
            Some(_) => {}
        }
    }
    Error::Model(format!("config.json: {error}"))
}

impl GptConfig {
    pub fn from_json(text: &str) -> Result<Self> {
        /// `n_ctx`, read only when `n_positions` is absent.
        #[derive(Deserialize)]
        struct Context {
            n_ctx: Option<usize>,
        }
        let bad = |e: serde_json::Error| Error::Model(format!("config.json: {e}"));
        let mut config: Self = serde_json::from_str(text).map_err(|e| describe_bad_config(text, e))?;
        if config.n_positions == 0 {
            config.n_positions = serde_json::from_str::<Context>(text).map_err(bad)?.n_ctx.unwrap_or(0);
        }
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<()> {
        let fields = [
            ("n_embd", self.n_embd),
            ("n_layer", self.n_layer),
            ("n_head", self.n_head),
            ("n_positions", self.n_positions),
            ("vocab_size", self.vocab_size),
        ];
        for (name, value) in fields {
            if value == 0 {
                return Err(Error::Model(format!("config.json: {name} must be positive")));
            }
            let most = if name == "n_layer" { MAX_LAYERS } else { MAX_DIMENSION };
            if value > most {
                return Err(Error::Model(format!("config.json: {name} is {value}, but at most {most} is supported")));
            }
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            return Err(Error::Model(format!(
                "config.json: n_embd ({}) is not divisible by n_head ({})",
                self.n_embd, self.n_head
            )));
        }
        if !(self.layer_norm_epsilon.is_finite() && self.layer_norm_epsilon > 0.0) {
            return Err(Error::Model("config.json: layer_norm_epsilon must be a positive number".into()));
        }
        Ok(())
    }

    /// HS: channels per head.
    pub fn head_size(&self) -> usize {
        self.n_embd / self.n_head
    }
}

/// What a model was trained to predict, beside its dimensions in `config.json`. Both kinds are
/// the same GPT-2 blocks; only the attention mask and the training objective differ. A config
/// without these fields (GPT-2's own) is a GPT.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objective {
    /// `causal`: a GPT, trained to predict each next token from the tokens before it.
    /// `bidirectional`: a BERT-style encoder, trained to fill in masked tokens from both sides.
    #[serde(default)]
    pub attention_mask: Mask,
    /// The token an encoder fills in (e.g. `[MASK]`); none for a GPT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_token: Option<String>,
}

impl Objective {
    pub fn from_json(text: &str) -> Result<Self> {
        let objective: Self = serde_json::from_str(text).map_err(|e| Error::Model(format!("config.json: {e}")))?;
        if objective.attention_mask == Mask::Bidirectional && objective.mask_token.is_none() {
            return Err(Error::Model("config.json: a bidirectional model needs its mask_token".into()));
        }
        Ok(objective)
    }

    /// A BERT-style encoder that fills in `mask_token`.
    pub fn masked_tokens(mask_token: &str) -> Self {
        Self { attention_mask: Mask::Bidirectional, mask_token: Some(mask_token.to_string()) }
    }

    pub fn is_encoder(&self) -> bool {
        self.attention_mask == Mask::Bidirectional
    }
}

/// What `config.json` holds: the dimensions and the objective, side by side at the top level.
#[derive(Serialize)]
pub struct ConfigFile<'a> {
    #[serde(flatten)]
    pub model: &'a GptConfig,
    #[serde(flatten)]
    pub objective: &'a Objective,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gpt2s_config_with_both_context_fields() {
        let text = r#"{"n_embd": 768, "n_layer": 12, "n_head": 12, "n_ctx": 1024, "n_positions": 1024,
                       "vocab_size": 50257, "layer_norm_epsilon": 1e-05, "model_type": "gpt2"}"#;
        let config = GptConfig::from_json(text).unwrap();
        assert_eq!((config.n_positions, config.head_size()), (1024, 64));
    }

    #[test]
    fn falls_back_to_n_ctx_and_rejects_a_missing_context() {
        let old = r#"{"n_embd": 8, "n_layer": 1, "n_head": 2, "n_ctx": 32, "vocab_size": 10}"#;
        assert_eq!(GptConfig::from_json(old).unwrap().n_positions, 32);
        let none = r#"{"n_embd": 8, "n_layer": 1, "n_head": 2, "vocab_size": 10}"#;
        let error = GptConfig::from_json(none).unwrap_err().to_string();
        assert!(error.contains("n_positions"), "{error}");
    }

    #[test]
    fn a_config_without_an_objective_is_a_gpt_and_an_encoder_names_its_mask_token() {
        let gpt = r#"{"n_embd": 8, "n_layer": 1, "n_head": 2, "n_positions": 8, "vocab_size": 10}"#;
        assert_eq!(Objective::from_json(gpt).unwrap(), Objective::default());
        let model = GptConfig::from_json(gpt).unwrap();
        let encoder = Objective::masked_tokens("[MASK]");
        let json = serde_json::to_string(&ConfigFile { model: &model, objective: &encoder }).unwrap();
        assert!(json.contains(r#""attention_mask":"bidirectional""#) && json.contains(r#""mask_token":"[MASK]""#), "{json}");
        assert_eq!((GptConfig::from_json(&json).unwrap(), Objective::from_json(&json).unwrap()), (model, encoder));
        let nameless = r#"{"attention_mask": "bidirectional"}"#;
        assert!(Objective::from_json(nameless).unwrap_err().to_string().contains("mask_token"));
    }

    #[test]
    fn rejects_heads_that_do_not_divide_the_width() {
        let text = r#"{"n_embd": 10, "n_layer": 1, "n_head": 3, "n_positions": 8, "vocab_size": 10}"#;
        assert!(GptConfig::from_json(text).unwrap_err().to_string().contains("divisible"));
    }
}
