//! The lessons' chapters 1 and 7 from the command line, as JSON (the browser tests compare the
//! page's numbers with these): `align` (a pair's alignment matrix and every head's held-out
//! score), `alignment-pairs` (writes that held-out set), `induction` (the repeated random
//! tokens) and `prompt-formats` (the same sentence with and without `|`). The analyses are the
//! library's [`attention_playground::lessons`]; this only reads files and prints.

use std::path::PathBuf;

use attention_playground::engine::Engine;
use attention_playground::lessons::alignment::{self, AlignmentSet, AlignmentView, Reading, ScoresView};
use attention_playground::lessons::induction::{self, InductionView, PromptView};
use attention_playground::ops::attention::Mask;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::{Error, Result};
use clap::Args;
use serde::Serialize;

use crate::training_log::io_error;

/// Where `alignment-pairs` writes the held-out set and `align` reads it.
const PAIRS: &str = "www/lessons/data/alignment-pairs.json";

#[derive(Args)]
pub struct AlignArgs {
    /// A pair, Chinese words then `|` then English, e.g. "小明 喜欢 苹果 | Xiaoming likes apples."
    #[arg(long)]
    text: String,
    /// The head's layer (0-based) [default: the best aligning head's on the held-out set]
    #[arg(long, requires = "head")]
    layer: Option<usize>,
    /// The head (0-based) [default: the best aligning head]
    #[arg(long, requires = "layer")]
    head: Option<usize>,
    /// Which token stands for an English word: `predicting` (the token before it) or `own` (its
    /// first token) [default: the best head's]
    #[arg(long)]
    reading: Option<String>,
    /// The held-out set the heads are scored on.
    #[arg(long, default_value = PAIRS)]
    pairs: PathBuf,
}

#[derive(Args)]
pub struct AlignmentPairsArgs {
    /// Folder with hsk.txt (`中文 | English` pairs) and hsk-words.txt (`word | gloss`), as
    /// scripts/download-corpus.sh writes it.
    #[arg(long, default_value = "data/corpus")]
    corpus: PathBuf,
    /// Share of hsk.txt's last lines the trainer held out for validation.
    #[arg(long, default_value_t = 0.1)]
    val_fraction: f32,
    #[arg(long, default_value = PAIRS)]
    out: PathBuf,
}

#[derive(Args)]
pub struct InductionArgs {
    /// Seed of the random tokens.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// N: random tokens in the sequence, which is then repeated (2N ≤ the model's context).
    #[arg(long, default_value_t = 24)]
    length: usize,
}

#[derive(Args)]
pub struct PromptFormatsArgs {
    /// A Chinese sentence (anything from a `|` on is dropped), e.g. "小明 喜欢 苹果"
    #[arg(long)]
    text: String,
}

#[derive(Serialize)]
struct AlignJson {
    scores: ScoresView,
    alignment: AlignmentView,
}

pub fn need_tokenizer(tokenizer: Option<TextTokenizer>) -> Result<TextTokenizer> {
    tokenizer.ok_or_else(|| Error::Tokenizer("this command needs a tokenizer.json in the model directory".into()))
}

fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("outputs have string keys only")
}

fn read_set(path: &std::path::Path) -> Result<AlignmentSet> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Input(format!("{}: {e}", path.display())))
}

pub async fn align(engine: &mut Engine, tokenizer: &TextTokenizer, args: AlignArgs) -> Result<String> {
    let set = read_set(&args.pairs)?;
    let scores = alignment::score_heads(engine, tokenizer, &set.pairs).await?;
    let (layer, head) = match (args.layer, args.head) {
        (Some(l), Some(h)) => (l, h),
        _ => (scores.best_layer, scores.best_head),
    };
    let reading = args.reading.as_deref().map_or(Ok(scores.best_reading), Reading::parse)?;
    let context = engine.config().n_positions;
    let ids = attention_playground::views::tokens_of(tokenizer, context, &args.text)?.ids;
    let output = engine.forward(&ids, Mask::Causal, true).await?;
    let trace = output.trace.ok_or_else(|| Error::Model("the engine returned no trace".into()))?;
    let alignment = alignment::alignment(&trace, tokenizer, context, &args.text, layer, head, reading)?;
    Ok(to_json(&AlignJson { scores, alignment }))
}

/// Write the held-out set: hsk.txt's validation pairs that fit the model's context, with their
/// gold links from hsk-words.txt.
pub fn alignment_pairs(engine: &Engine, tokenizer: &TextTokenizer, args: AlignmentPairsArgs) -> Result<String> {
    let read = |name: &str| {
        let path = args.corpus.join(name);
        std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))
    };
    let context = engine.config().n_positions;
    let fits = |line: &str| Ok(tokenizer.encode(line)?.ids.len() <= context);
    let pairs = alignment::held_out_set(&read("hsk.txt")?, &read("hsk-words.txt")?, args.val_fraction, fits)?;
    let set = AlignmentSet {
        source: "hsk-sentences-audio 1.0.0 (PyPI; https://github.com/no7z/hsk-sentences-audio), \
                 by the hsk-sentences-audio contributors, as scripts/download-corpus.sh prepares it"
            .into(),
        licence: "CC-BY-SA-4.0".into(),
        how: format!(
            "The last {} % of data/corpus/hsk.txt's lines (the pairs the default model was not trained on) \
             that fit its {context}-token context; gold links from data/corpus/hsk-words.txt (each word's first \
             English gloss): an English word is linked to a Chinese word when a content word of the gloss \
             spells it (likes, liked, apples, … count) and neither word has another such match in the pair. \
             Written by `attention-playground alignment-pairs` (scripts/build-alignment-pairs.sh).",
            args.val_fraction * 100.0
        ),
        pairs,
    };
    let json = serde_json::to_string_pretty(&set).expect("string keys only") + "\n";
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    }
    std::fs::write(&args.out, json).map_err(|e| io_error(&args.out, e))?;
    let links: usize = set.pairs.iter().map(|p| p.links.len()).sum();
    Ok(to_json(&serde_json::json!({ "out": args.out, "pairs": set.pairs.len(), "links": links })))
}

pub async fn induction(engine: &mut Engine, tokenizer: &TextTokenizer, args: InductionArgs) -> Result<String> {
    let view: InductionView = induction::induction(engine, tokenizer, args.seed, args.length).await?;
    Ok(to_json(&view))
}

pub async fn prompt_formats(engine: &mut Engine, tokenizer: &TextTokenizer, args: PromptFormatsArgs) -> Result<String> {
    let prompts = induction::format_variants(&args.text)?;
    let views: Vec<PromptView> = induction::prompt_formats(engine, tokenizer, &prompts).await?;
    Ok(to_json(&serde_json::json!({ "prompts": views })))
}
