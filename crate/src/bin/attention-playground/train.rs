//! `attention-playground train`: train the tokenizer and the model on text files, natively, with
//! threads and a progress bar, and write a model folder the engine loads
//! (`config.json`, `model.safetensors`, `tokenizer.json`) plus `training-log.json`.
//! `--objective masked-tokens` trains the BERT-style encoder instead of the GPT: the same
//! blocks, the bidirectional mask and BERT's fill-in-the-blank objective. `--arch gru` trains
//! the recurrent net of the lessons' chapter 3 instead, on the same data pipeline with a given
//! tokenizer (see `train_rnn.rs`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use attention_playground::parallel::set_threads;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::config::{ConfigFile, Objective};
use attention_playground::fill::{fill_in, mask_id};
use attention_playground::train::bpe::{train_tokenizer, MASK_TOKEN};
use attention_playground::train::data::{split_lines, Batch, Dataset, Source};
use attention_playground::train::model::parameter_count;
use attention_playground::train::{Train, TrainConfig, TrainObjective, Trainer};
use attention_playground::weights::{save_safetensors, SaveDtype};
use attention_playground::{Error, GptConfig, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use tokenizers::Tokenizer;

use crate::card::write_model_card;
use crate::prompts::{self, continue_line, newline_id};
use crate::training_log::{io_error, Evaluation, SourceSummary, TrainingLog, TrainingRun};

#[derive(clap::Args, Debug, Clone)]
#[command(args_override_self = true)]
pub struct Args {
    /// Training text, `PATH` or `PATH:WEIGHT` (WEIGHT = relative share of training sequences).
    /// Repeat for a mix. The last `--val-fraction` of each file's lines is held out.
    #[arg(long = "corpus", required_unless_present = "card_only", value_name = "PATH[:WEIGHT]")]
    pub corpus: Vec<String>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// What the model learns: the next token (a GPT) or masked tokens (a BERT-style encoder,
    /// bidirectional attention, BERT's 15 % / 80-10-10 masking, loss on the masked positions).
    #[arg(long, value_enum, default_value_t = ObjectiveArg::NextToken)]
    pub objective: ObjectiveArg,
    /// The model: a GPT-2 transformer, or a GRU (a recurrent net; next token only, needs
    /// `--tokenizer`, uses `--n-embd`, `--n-hidden` and `--n-positions` as its training length).
    #[arg(long, value_enum, default_value_t = ArchArg::Gpt)]
    pub arch: ArchArg,
    /// H: the GRU's hidden state width (`--arch gru` only).
    #[arg(long, default_value_t = 128)]
    pub n_hidden: usize,
    /// Do not train: only rewrite the model card (README.md) from the files already in `--out`.
    #[arg(long)]
    pub card_only: bool,
    /// Reuse this tokenizer.json instead of training a new one.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    #[arg(long, default_value_t = 4096)]
    pub vocab_size: usize,
    #[arg(long, default_value_t = 128)]
    pub n_embd: usize,
    #[arg(long, default_value_t = 4)]
    pub n_layer: usize,
    #[arg(long, default_value_t = 4)]
    pub n_head: usize,
    /// P: the model's context; training sequences use all of it.
    #[arg(long, default_value_t = 64)]
    pub n_positions: usize,
    #[arg(long, default_value_t = 16)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f32,
    /// Final learning rate, as a fraction of `--lr`.
    #[arg(long, default_value_t = 0.1)]
    pub min_lr_ratio: f32,
    #[arg(long, default_value_t = 100)]
    pub warmup: usize,
    #[arg(long, default_value_t = 1.0)]
    pub grad_clip: f32,
    #[arg(long, default_value_t = 0.1)]
    pub weight_decay: f32,
    /// Dropout probability on the embeddings and each sub-layer's output (training only).
    #[arg(long, default_value_t = 0.0)]
    pub dropout: f32,
    /// Measure validation loss, print samples and save a checkpoint every N steps.
    #[arg(long, default_value_t = 250)]
    pub eval_every: usize,
    /// Validation batches per source.
    #[arg(long, default_value_t = 8)]
    pub eval_batches: usize,
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f32,
    #[arg(long, default_value_t = 1337)]
    pub seed: u64,
    /// Threads for the kernels (the result does not depend on it).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Let training and validation windows begin anywhere, not only at the start of a line.
    #[arg(long)]
    pub windows_anywhere: bool,
    /// Prompts continued at each evaluation (GPT), or filled in (encoder; each prompt needs a
    /// `[MASK]`) [default: `他 喜欢`, `He likes`; for the encoder `小明 [MASK] 苹果`, `I [MASK] apples.`]
    #[arg(long = "prompt")]
    pub prompts: Vec<String>,
    /// What the model card says about the data and the recipe (Markdown sections, see
    /// `scripts/corpus-card.md`); without it the card reports the run only.
    #[arg(long, value_name = "PATH")]
    pub card_notes: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchArg {
    Gpt,
    Gru,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectiveArg {
    NextToken,
    MaskedTokens,
}

pub fn run(mut args: Args) -> Result<()> {
    let gru = args.arch == ArchArg::Gru;
    if args.card_only {
        if gru {
            return crate::train_rnn::write_card(&args.out);
        }
        return write_model_card(&args.out, args.card_notes.as_deref(), args.val_fraction);
    }
    if gru && (args.objective != ObjectiveArg::NextToken || args.tokenizer.is_none()) {
        return Err(Error::Input("--arch gru learns the next token with a given tokenizer: pass --tokenizer (e.g. the GPT's)".into()));
    }
    if args.prompts.is_empty() {
        args.prompts = match args.objective {
            ObjectiveArg::NextToken => vec!["他 喜欢".into(), "He likes".into()],
            ObjectiveArg::MaskedTokens => vec![format!("小明 {MASK_TOKEN} 苹果"), format!("I {MASK_TOKEN} apples.")],
        };
    }
    if args.objective == ObjectiveArg::MaskedTokens {
        if let Some(prompt) = args.prompts.iter().find(|p| !p.contains(MASK_TOKEN)) {
            return Err(Error::Input(format!("the encoder fills in {MASK_TOKEN}: the prompt {prompt:?} has none")));
        }
    }
    set_threads(args.threads);
    std::fs::create_dir_all(&args.out).map_err(|e| io_error(&args.out, e))?;

    // 1. Text, split into train and validation lines.
    let mut texts = Vec::new();
    for spec in &args.corpus {
        let (path, weight) = parse_corpus_spec(spec)?;
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(Path::new(&path), e))?;
        texts.push((path, weight, text));
    }

    // 2. Tokenizer: trained on the training lines only.
    let tokenizer = match &args.tokenizer {
        Some(path) => Tokenizer::from_file(path).map_err(|e| Error::Tokenizer(format!("{}: {e}", path.display())))?,
        None => {
            let train_parts: Vec<(f32, &str)> =
                texts.iter().map(|(_, weight, text)| (*weight, split_lines(text, args.val_fraction).0)).collect();
            // Every character of the training lines is in the alphabet, also those of lines
            // the mix leaves out: none of them is ever cut into bytes.
            let alphabet = train_parts.iter().flat_map(|(_, text)| text.chars()).collect();
            train_tokenizer(tokenizer_mix(&train_parts).into_iter().flat_map(str::lines), alphabet, args.vocab_size)?
        }
    };
    // The GRU reads the given tokenizer where it is (its config.json says where), no copy.
    let tokenizer_path = match (&args.tokenizer, gru) {
        (Some(given), true) => given.clone(),
        _ => {
            let path = args.out.join("tokenizer.json");
            tokenizer.save(&path, false).map_err(|e| Error::Tokenizer(format!("{}: {e}", path.display())))?;
            path
        }
    };
    let vocab_size = tokenizer.get_vocab_size(true);
    // The engine's view of the same tokenizer, for the samples and the newline.
    let text_tokenizer = TextTokenizer::from_bytes(&std::fs::read(&tokenizer_path).map_err(|e| io_error(&tokenizer_path, e))?)?;

    // 3. Token streams.
    let mut sources = Vec::new();
    for (path, weight, text) in &texts {
        let (train, val) = split_lines(text, args.val_fraction);
        sources.push(Source { name: path.clone(), weight: *weight, train: encode(&tokenizer, train)?, val: encode(&tokenizer, val)? });
    }
    let mut data = Dataset::new(sources, args.n_positions)?;
    if !args.windows_anywhere {
        let newline = newline_id(&text_tokenizer)?;
        data = data.at_line_starts(newline);
    }
    if gru {
        return crate::train_rnn::run(&args, &data, &text_tokenizer, &tokenizer_path);
    }

    let (objective, train_objective) = match args.objective {
        ObjectiveArg::NextToken => (Objective::default(), TrainObjective::NextToken),
        ObjectiveArg::MaskedTokens => {
            (Objective::masked_tokens(MASK_TOKEN), TrainObjective::MaskedTokens { mask_id: mask_id(&text_tokenizer, MASK_TOKEN)? })
        }
    };
    let model = GptConfig {
        n_embd: args.n_embd,
        n_layer: args.n_layer,
        n_head: args.n_head,
        n_positions: args.n_positions,
        vocab_size,
        layer_norm_epsilon: 1e-5,
    };
    let config = train_config(&args, train_objective);
    let mut trainer = Trainer::new(model.clone(), config.clone())?;
    let parameters = parameter_count(&trainer.weights);
    let summaries = source_summaries(&data, vocab_size);
    println!("model: {parameters} parameters, vocabulary {vocab_size}, {model:?}");
    for s in &summaries {
        println!(
            "{}: {} train / {} validation tokens, weight {}, unigram validation loss {:.3}",
            s.path, s.train_tokens, s.val_tokens, s.weight, s.unigram_val_loss
        );
    }
    // 4. The loop.
    let run = train_loop(
        &args,
        &data,
        &mut trainer,
        |trainer| sample_prompts(trainer, &objective, &text_tokenizer, &args.prompts, args.seed),
        |trainer| save_checkpoint(trainer, &objective, &args.out),
    )?;
    write_training_log(&args, TrainingLog::new(model, config, parameters, summaries, run, args.threads))?;
    write_model_card(&args.out, args.card_notes.as_deref(), args.val_fraction)
}

/// The optimiser's settings from the flags, the same for every model; `objective` is what it learns.
pub(crate) fn train_config(args: &Args, objective: TrainObjective) -> TrainConfig {
    TrainConfig {
        batch_size: args.batch_size,
        seq_len: args.n_positions,
        steps: args.steps,
        max_lr: args.lr,
        min_lr: args.lr * args.min_lr_ratio,
        warmup_steps: args.warmup,
        grad_clip: args.grad_clip,
        weight_decay: args.weight_decay,
        dropout: args.dropout,
        seed: args.seed,
        objective,
    }
}

/// What the log records of each source: its size, weight and the unigram baseline.
pub(crate) fn source_summaries(data: &Dataset, vocab_size: usize) -> Vec<SourceSummary> {
    data.sources
        .iter()
        .enumerate()
        .map(|(i, s)| SourceSummary {
            path: s.name.clone(),
            weight: s.weight,
            train_tokens: s.train.len(),
            val_tokens: s.val.len(),
            unigram_val_loss: data.unigram_loss(i, vocab_size),
        })
        .collect()
}

/// The loop, whichever the model: `--steps` steps under a progress bar, and every
/// `--eval-every` steps (and after the last) validation loss per source, the prompts'
/// `samples` printed, and a `checkpoint`.
pub(crate) fn train_loop<T: Train>(
    args: &Args,
    data: &Dataset,
    trainer: &mut T,
    samples: impl Fn(&T) -> Result<Vec<(String, String)>>,
    checkpoint: impl Fn(&T) -> Result<()>,
) -> Result<TrainingRun> {
    let val_sets: Vec<Vec<Batch>> = (0..data.sources.len()).map(|i| data.val_batches(i, args.batch_size, args.eval_batches)).collect();
    let bar = ProgressBar::new(args.steps as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}] {msg}")
            .map_err(|e| Error::Model(e.to_string()))?,
    );
    let started = Instant::now();
    let tokens_per_step = (args.batch_size * args.n_positions) as f32;
    let mut evaluations = Vec::new();
    let mut recent_losses = Vec::new();
    for step in 0..args.steps {
        let report = trainer.train_step(data)?;
        recent_losses.push(report.loss);
        let seconds = started.elapsed().as_secs_f32();
        bar.set_message(format!(
            "loss {:.3}  lr {:.2e}  |g| {:.2}  {:.0} tok/s",
            report.loss,
            report.lr,
            report.grad_norm,
            tokens_per_step * (step + 1) as f32 / seconds
        ));
        bar.inc(1);
        if (step + 1) % args.eval_every == 0 || step + 1 == args.steps {
            let val_loss = val_sets.iter().map(|set| trainer.evaluate(set)).collect::<Result<Vec<_>>>()?;
            let samples = samples(trainer)?;
            let train_loss = recent_losses.iter().sum::<f32>() / recent_losses.len() as f32;
            recent_losses.clear();
            bar.suspend(|| {
                println!("step {:5}  train {train_loss:.3}  val {}", step + 1, format_losses(&val_loss));
                for (prompt, completion) in &samples {
                    println!("    {prompt}▕{}", completion.replace('\n', "⏎"));
                }
            });
            evaluations.push(Evaluation { step: step + 1, train_loss, val_loss, elapsed_s: started.elapsed().as_secs_f32(), samples });
            checkpoint(trainer)?;
        }
    }
    bar.finish();
    let seconds = started.elapsed().as_secs_f32();
    Ok(TrainingRun { evaluations, seconds, tokens_per_second: tokens_per_step * args.steps as f32 / seconds })
}

/// `training-log.json` in `--out`, and the closing line.
pub(crate) fn write_training_log<Model: Serialize>(args: &Args, log: TrainingLog<Model>) -> Result<()> {
    let log_path = args.out.join("training-log.json");
    let json = serde_json::to_string_pretty(&log).map_err(|e| Error::Model(e.to_string()))?;
    std::fs::write(&log_path, json).map_err(|e| io_error(&log_path, e))?;
    println!("trained {} steps in {:.0} s ({:.0} tokens/s) → {}", args.steps, log.seconds, log.tokens_per_second, args.out.display());
    Ok(())
}

/// The text the tokenizer learns from, with the sources in the proportions of the training mix
/// (by bytes), so that a large source with a small weight does not claim most merges: the source
/// with the least text per unit of weight is used whole, the others cut to their share.
fn tokenizer_mix<'a>(parts: &[(f32, &'a str)]) -> Vec<&'a str> {
    let bytes_per_weight = parts.iter().map(|(w, text)| text.len() as f32 / w).fold(f32::INFINITY, f32::min);
    parts
        .iter()
        .map(|(w, text)| {
            let share = ((w * bytes_per_weight) as usize).min(text.len());
            // Cut after a newline (a byte search: `share` may fall inside a multi-byte character).
            let cut = text.as_bytes()[share..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| share + i + 1);
            &text[..cut]
        })
        .collect()
}

/// `PATH` or `PATH:WEIGHT`.
fn parse_corpus_spec(spec: &str) -> Result<(String, f32)> {
    match spec.rsplit_once(':') {
        Some((path, weight)) if weight.parse::<f32>().is_ok() => Ok((path.to_string(), weight.parse().unwrap())),
        _ => Ok((spec.to_string(), 1.0)),
    }
}

/// The corpus as token ids (the raw tokenizer: no readable pieces needed).
fn encode(tokenizer: &Tokenizer, text: &str) -> Result<Vec<u32>> {
    Ok(tokenizer.encode(text, false).map_err(|e| Error::Tokenizer(e.to_string()))?.get_ids().to_vec())
}

/// Each prompt continued to the end of its line, sampled at temperature 0.8 with a fixed seed
/// (GPT), or with each `[MASK]` replaced by its most likely token (encoder).
fn sample_prompts(trainer: &Trainer, objective: &Objective, tokenizer: &TextTokenizer, prompts: &[String], seed: u64) -> Result<Vec<(String, String)>> {
    let mut engine = prompts::engine(&trainer.model, &trainer.weights)?;
    let opts = prompts::options(0.8, seed);
    prompts
        .iter()
        .map(|prompt| {
            let answer = match &objective.mask_token {
                None => continue_line(&mut engine, tokenizer, prompt, 40, &opts)?,
                Some(mask_token) => {
                    let mask = mask_id(tokenizer, mask_token)?;
                    let ids = tokenizer.encode(prompt)?.ids;
                    let fill = pollster::block_on(fill_in(&mut engine, &ids, mask, tokenizer, 1))?;
                    let mut filled = ids.clone();
                    for m in &fill.masks {
                        filled[m.position] = m.candidates[0].id;
                    }
                    tokenizer.decode(&filled)?
                }
            };
            Ok((prompt.clone(), answer))
        })
        .collect()
}

pub(crate) fn format_losses(losses: &[f32]) -> String {
    losses.iter().map(|l| format!("{l:.3}")).collect::<Vec<_>>().join(" / ")
}

fn save_checkpoint(trainer: &Trainer, objective: &Objective, out: &Path) -> Result<()> {
    let config_path = out.join("config.json");
    let file = ConfigFile { model: &trainer.model, objective };
    let json = serde_json::to_string_pretty(&file).map_err(|e| Error::Model(e.to_string()))?;
    std::fs::write(&config_path, json).map_err(|e| io_error(&config_path, e))?;
    let weights_path = out.join("model.safetensors");
    let bytes = save_safetensors(&trainer.weights, SaveDtype::F16)?;
    std::fs::write(&weights_path, bytes).map_err(|e| io_error(&weights_path, e))
}

#[cfg(test)]
mod tests {
    use super::tokenizer_mix;

    #[test]
    fn tokenizer_mix_cuts_whole_lines_even_inside_multibyte_text() {
        let chinese = "喜欢 | to like\n苹果 | apple\n户外 | outdoor\n";
        let english = "a\n".repeat(100);
        // 49 bytes of Chinese, 200 of English. Equal weights: Chinese whole, English cut after
        // the newline that follows its 49th byte.
        let mix = tokenizer_mix(&[(1.0, chinese), (1.0, &english)]);
        assert_eq!(mix, [chinese, &english[..50]]);
        // Chinese at 0.11 of English's weight: its share, 22 bytes, ends inside `果`.
        let mix = tokenizer_mix(&[(0.11, chinese), (1.0, &english)]);
        assert_eq!(mix, ["喜欢 | to like\n苹果 | apple\n", english.as_str()]);
        assert!(mix.iter().all(|part| part.ends_with('\n')));
    }
}
