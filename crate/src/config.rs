//! Model hyper-parameters, read from a Hugging Face GPT-2 `config.json`.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GptConfig {
    /// C: width of the residual stream.
    pub n_embd: usize,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// NH: attention heads per block; `n_embd` must divide evenly.
    pub n_head: usize,
    /// P: the longest sequence the position embedding covers (old configs call it `n_ctx`).
    #[serde(alias = "n_ctx")]
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

impl GptConfig {
    pub fn from_json(text: &str) -> Result<Self> {
        let config: Self = serde_json::from_str(text)
            .map_err(|e| Error::Model(format!("config.json: {e}")))?;
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
        }
        if self.n_embd % self.n_head != 0 {
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
