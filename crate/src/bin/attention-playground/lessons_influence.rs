//! `attention-playground influence`: the lessons' chapter 3 on the command line. For a text,
//! how much replacing each earlier token by a space moves the next-token distribution of the
//! GPT and of the recurrent net ([`attention_playground::lessons::influence`]), as JSON: the
//! numbers the page shows, which the browser test compares with these.

use std::path::{Path, PathBuf};

use attention_playground::backend::BackendKind;
use attention_playground::lessons::influence::influence;
use attention_playground::rnn::Rnn;
use attention_playground::{Error, Result};

use crate::cli::{model_dir, open_dir, read_bytes, read_text, BackendArg};

#[derive(clap::Args)]
pub struct Args {
    /// The GPT's folder [default: www/models/default]
    #[arg(long)]
    gpt: Option<PathBuf>,
    /// The recurrent net's folder (config.json, model.safetensors; its config names the tokenizer)
    /// [default: `rnn` beside the GPT's folder]
    #[arg(long)]
    rnn: Option<PathBuf>,
    /// The sentence; the models predict the token after its last one.
    #[arg(long)]
    text: String,
    /// The GPT's backend [default: the GPU if usable, else SIMD]
    #[arg(long, value_enum)]
    backend: Option<BackendArg>,
}

pub async fn run(args: Args) -> Result<String> {
    let gpt_dir = model_dir(args.gpt.as_deref())?;
    let rnn_dir = args.rnn.clone().unwrap_or_else(|| gpt_dir.join("../rnn"));
    let (mut engine, tokenizer, _) = open_dir(&gpt_dir, args.backend.map(BackendKind::from)).await?;
    let tokenizer = tokenizer.ok_or_else(|| Error::Tokenizer(format!("{} has no tokenizer.json", gpt_dir.display())))?;
    let rnn = open_rnn(&rnn_dir, &gpt_dir)?;
    let view = influence(&mut engine, &rnn, &tokenizer, &args.text).await?;
    serde_json::to_string(&view).map_err(|e| Error::Model(e.to_string()))
}

/// The recurrent net in `dir`, checked to read the same tokenizer file as the GPT in `gpt_dir`.
fn open_rnn(dir: &Path, gpt_dir: &Path) -> Result<Rnn> {
    if !dir.join("config.json").is_file() {
        return Err(Error::Model(format!("{} has no config.json of a recurrent net (train one with scripts/train-rnn-model.sh)", dir.display())));
    }
    let config_json = read_text(&dir.join("config.json"))?;
    let rnn = Rnn::from_files(&config_json, &read_bytes(&dir.join("model.safetensors"))?)?;
    let tokenizer_path = dir.join(rnn.config.tokenizer.as_deref().unwrap_or("tokenizer.json"));
    if read_bytes(&tokenizer_path)? != read_bytes(&gpt_dir.join("tokenizer.json"))? {
        return Err(Error::Model(format!("{} reads another tokenizer than the GPT: the two would not see the same tokens", dir.display())));
    }
    Ok(rnn)
}
