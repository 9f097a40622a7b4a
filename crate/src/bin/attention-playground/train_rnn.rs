//! `attention-playground train --arch gru`: the recurrent net of the lessons' chapter 3,
//! trained on the data pipeline `train` built (same corpora, same validation lines, same
//! tokenizer, given with `--tokenizer`) by [`RnnTrainer`], which uses the GPT's optimiser and
//! schedule. Writes `config.json` (pointing at the tokenizer instead of copying it),
//! `model.safetensors` (f16), `training-log.json` and the model card `README.md`, which sets
//! the GRU's validation loss beside the GPT's from the GPT's own training log.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use attention_playground::rnn::{Rnn, RnnConfig};
use attention_playground::sampling::argmax;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::train::data::Dataset;
use attention_playground::train::recurrent::RnnTrainer;
use attention_playground::train::TrainObjective;
use attention_playground::weights::SaveDtype;
use attention_playground::{Error, Result};

use crate::card::{file_name, write_loss_table};
use crate::prompts::newline_id;
use crate::train::{source_summaries, train_config, train_loop, write_training_log, Args};
use crate::training_log::{io_error, TrainingLog};

pub fn run(args: &Args, data: &Dataset, tokenizer: &TextTokenizer, tokenizer_path: &Path) -> Result<()> {
    let vocab_size = tokenizer.vocab_size();
    let mut model = RnnConfig::gru(vocab_size, args.n_embd, args.n_hidden);
    model.tokenizer = Some(relative_path(&args.out, tokenizer_path)?);
    let config = train_config(args, TrainObjective::NextToken);
    let mut trainer = RnnTrainer::new(model.clone(), config.clone())?;
    let parameters = trainer.weights.parameter_count();
    let summaries = source_summaries(data, vocab_size);
    println!("GRU: {parameters} parameters, {model:?}");
    let gru = |trainer: &RnnTrainer| Rnn::new(trainer.model.clone(), trainer.weights.clone());
    let run = train_loop(
        args,
        data,
        &mut trainer,
        |trainer| {
            let rnn = gru(trainer);
            args.prompts.iter().map(|p| Ok((p.clone(), continue_greedily(&rnn, tokenizer, p, 40)?))).collect()
        },
        |trainer| save_checkpoint(&gru(trainer), &args.out),
    )?;
    write_training_log(args, TrainingLog::<RnnConfig>::new(model, config, parameters, summaries, run, args.threads))?;
    write_card(&args.out)
}

/// `prompt` continued by the most likely token, up to `max_tokens` or a newline: the new text.
fn continue_greedily(rnn: &Rnn, tokenizer: &TextTokenizer, prompt: &str, max_tokens: usize) -> Result<String> {
    let mut ids = tokenizer.encode(prompt)?.ids;
    let start = ids.len();
    let newline = newline_id(tokenizer).ok();
    for _ in 0..max_tokens {
        let next = argmax(&rnn.next_token_logits(&ids)?).ok_or_else(|| Error::Model("no logits".into()))?;
        ids.push(next);
        if Some(next) == newline {
            break;
        }
    }
    tokenizer.decode(&ids[start..])
}

fn save_checkpoint(rnn: &Rnn, out: &Path) -> Result<()> {
    let config_path = out.join("config.json");
    let json = serde_json::to_string_pretty(&rnn.config).map_err(|e| Error::Model(e.to_string()))?;
    std::fs::write(&config_path, json + "\n").map_err(|e| io_error(&config_path, e))?;
    let weights_path = out.join("model.safetensors");
    std::fs::write(&weights_path, rnn.weights.save_safetensors(SaveDtype::F16)?).map_err(|e| io_error(&weights_path, e))
}

/// `target` as seen from the folder `from` (e.g. `../default/tokenizer.json`), so the model
/// folder keeps working wherever the site is served from.
fn relative_path(from: &Path, target: &Path) -> Result<String> {
    let absolute = |p: &Path| -> Result<PathBuf> { std::fs::canonicalize(p).map_err(|e| io_error(p, e)) };
    let (from, target) = (absolute(from)?, absolute(target)?);
    let common = from.components().zip(target.components()).take_while(|(a, b)| a == b).count();
    let ups = from.components().skip(common).map(|_| "..".to_string());
    let downs = target.components().skip(common).filter_map(|c| match c {
        Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
        _ => None,
    });
    Ok(ups.chain(downs).collect::<Vec<_>>().join("/"))
}

/// The model card, from the files in `dir`, the GPT's card and log (the folder the tokenizer is
/// in), and `dir/NOTES.md` if present (what the run showed: prose written by a person).
pub fn write_card(dir: &Path) -> Result<()> {
    let read = |path: &Path| std::fs::read_to_string(path).map_err(|e| io_error(path, e));
    let config = RnnConfig::from_json(&read(&dir.join("config.json"))?)?;
    let weights_bytes = std::fs::read(dir.join("model.safetensors")).map_err(|e| io_error(&dir.join("model.safetensors"), e))?;
    let rnn = Rnn::from_files(&read(&dir.join("config.json"))?, &weights_bytes)?;
    let log: TrainingLog<RnnConfig> =
        serde_json::from_str(&read(&dir.join("training-log.json"))?).map_err(|e| Error::Model(format!("training-log.json: {e}")))?;
    let tokenizer_rel = config.tokenizer.clone().ok_or_else(|| Error::Model("config.json names no tokenizer".into()))?;
    let gpt_dir = dir.join(&tokenizer_rel).parent().map(Path::to_path_buf).unwrap_or_default();
    let gpt_log: TrainingLog = serde_json::from_str(&read(&gpt_dir.join("training-log.json"))?)
        .map_err(|e| Error::Model(format!("the GPT's training-log.json: {e}")))?;
    let gpt_card = read(&gpt_dir.join("README.md"))?;
    let notes = std::fs::read_to_string(dir.join("NOTES.md")).unwrap_or_default();

    let (h, e) = (config.n_hidden, config.n_embd);
    let mut card = String::new();
    let w = &mut card;
    let _ = writeln!(w, "# Recurrent model: a tiny GRU beside the GPT\n");
    let _ = writeln!(
        w,
        "A GRU language model (Cho et al., 2014) trained from scratch by this repository's own Rust trainer (`crate/src/rnn.rs`, \
         `crate/src/train/recurrent.rs`: hand-written backward pass through time, the GPT's AdamW, schedule and batches) on the \
         same data and with the same tokenizer as the default GPT (`{tokenizer_rel}`), so both models read identical tokens. \
         It exists for the lessons' chapter 3, *RNN vs attention*: it must carry everything it read in one hidden state of {h} numbers.\n"
    );
    let _ = writeln!(w, "| | |\n|---|---|");
    let _ = writeln!(w, "| cell | GRU: update gate z, reset gate r, candidate n; `h_t = (1 − z) ⊙ n + z ⊙ h_(t−1)` |");
    let _ = writeln!(w, "| hidden state H | {h} |");
    let _ = writeln!(w, "| embedding E | {e} (tied: the same `wte` scores the next token after a {h} → {e} projection) |");
    let _ = writeln!(w, "| vocabulary V | {} (the default GPT's tokenizer, `{tokenizer_rel}`, not copied) |", config.vocab_size);
    let _ = writeln!(w, "| parameters | {} (GPT: {}) |", rnn.weights.parameter_count(), gpt_log.parameters);
    let _ = writeln!(w, "| `model.safetensors` | {} bytes (f16) |", weights_bytes.len());
    let _ = writeln!(w, "| trained on sequences of | {} tokens (it can read longer ones; it has no position limit) |\n", log.train.seq_len);

    if let Some(data) = section(&gpt_card, "## Data and licences") {
        let _ = writeln!(w, "## Data and licences (as the default GPT's card records them)\n\n{data}\n");
    }

    let t = &log.train;
    let _ = writeln!(w, "## Training\n\n```sh\nscripts/train-rnn-model.sh\n```\n\nruns (recorded command):\n\n```sh\n{}\n```\n", log.command);
    let _ = writeln!(
        w,
        "AdamW (β = 0.9, 0.95; weight decay {} on matrices), learning rate {:.0e} with {} warm-up steps and cosine decay to {:.0e}, \
         gradient clipping at {}, no dropout, {} steps of {} × {} tokens, each sequence beginning at the start of a line, seed {}. \
         {:.0} s wall-clock including the evaluations, on {} {} = {:.0} tokens/s. Every evaluation is in `training-log.json`.\n",
        t.weight_decay, t.max_lr, t.warmup_steps, t.min_lr, t.grad_clip, t.steps, t.batch_size, t.seq_len, t.seed, log.seconds, log.threads, if log.threads == 1 { "thread" } else { "threads" }, log.tokens_per_second
    );
    let _ = writeln!(w, "### Loss (cross-entropy, nats per token)\n");
    write_loss_table(w, &log.sources, &log.evaluations);
    let _ = writeln!(w, "\nAgainst the unigram baseline and the default GPT on the same validation lines (the GPT's own log, its last evaluation):\n");
    let _ = writeln!(w, "| source | unigram | GRU | GPT |\n|---|---|---|---|");
    let last = log.evaluations.last();
    let gpt_last = gpt_log.evaluations.last();
    for (i, s) in log.sources.iter().enumerate() {
        let gru = last.and_then(|e| e.val_loss.get(i)).map_or("—".into(), |l| format!("{l:.3}"));
        let gpt = gpt_log
            .sources
            .iter()
            .position(|g| g.path == s.path)
            .and_then(|j| gpt_last.and_then(|e| e.val_loss.get(j)))
            .map_or("—".into(), |l| format!("{l:.3}"));
        let _ = writeln!(w, "| `{}` | {:.3} | {gru} | {gpt} |", file_name(&s.path), s.unigram_val_loss);
    }
    if let Some(ev) = last {
        let _ = writeln!(w, "\nGreedy continuations at the last evaluation:\n");
        for (prompt, completion) in &ev.samples {
            let _ = writeln!(w, "- `{prompt}` → `{}`", completion.replace('\n', "⏎").replace('`', "'"));
        }
    }
    if !notes.trim().is_empty() {
        let _ = writeln!(w, "\n{}", notes.trim_end());
    }
    let path = dir.join("README.md");
    std::fs::write(&path, card).map_err(|e| io_error(&path, e))
}

/// The body of a `## ` section of a Markdown text, up to the next `## ` heading.
fn section<'a>(markdown: &'a str, heading: &str) -> Option<&'a str> {
    let start = markdown.find(heading)? + heading.len();
    let body = &markdown[start..];
    let end = body.find("\n## ").map_or(body.len(), |i| i + 1);
    Some(body[..end].trim_matches('\n'))
}
