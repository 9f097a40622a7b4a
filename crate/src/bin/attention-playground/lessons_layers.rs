//! `attention-playground layers`: chapter 4's view of a text (see
//! [`attention_playground::lessons::layers`]): per block, what attention and the MLP add to
//! the residual stream and how each head attends; and the logit lens at the focus token, after
//! the embedding and after each block. The text is cut to the model's context as the page cuts it.

use attention_playground::lessons::layers::{layers_view, LayersView};
use attention_playground::views::{tokens_of, TokensView};
use attention_playground::{Error, Result};
use serde::Serialize;

use crate::cli::{open, to_json, ModelArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: ModelArgs,
    /// Text, tokenized with the model's tokenizer.json
    #[arg(long)]
    text: String,
    /// The token the lens follows (0-based) [default: the last]
    #[arg(long)]
    focus: Option<usize>,
    /// How many of the most probable tokens to list at each lens stage.
    #[arg(long, default_value_t = 5)]
    top: usize,
}

#[derive(Serialize)]
struct LayersJson {
    /// The tokens as the page shows them, with the mask they ran with.
    tokens: TokensView,
    #[serde(flatten)]
    view: LayersView,
}

pub async fn run(args: Args) -> Result<String> {
    let (mut engine, tokenizer, objective) = open(&args.model).await?;
    let tokenizer = tokenizer.ok_or_else(|| Error::Tokenizer("layers needs a tokenizer.json in the model directory".into()))?;
    let tokens = tokens_of(&tokenizer, engine.config().n_positions, &args.text)?;
    let t = tokens.ids.len();
    if t == 0 {
        return Err(Error::Input("the text has no tokens to run".into()));
    }
    let focus = args.focus.unwrap_or(t - 1);
    if focus >= t {
        return Err(Error::Input(format!("--focus {focus} is outside the text's {t} tokens (0..{t})")));
    }
    let mask = objective.attention_mask;
    let output = engine.forward(&tokens.ids, mask, true).await?;
    let trace = output.trace.ok_or_else(|| Error::Model("the engine returned no trace".into()))?;
    let view = layers_view(&trace, engine.weights(), engine.config(), &tokenizer, focus, args.top)?;
    Ok(to_json(&LayersJson { tokens: tokens.with_mask(mask), view }))
}
