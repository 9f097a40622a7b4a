//! `training-log.json`: what `train` records about a run and the model card reports, and the
//! readable file errors both use.

use std::path::Path;

use attention_playground::train::TrainConfig;
use attention_playground::{Error, GptConfig};
use serde::{Deserialize, Serialize};

/// One validation measurement.
#[derive(Serialize, Deserialize)]
pub struct Evaluation {
    pub step: usize,
    /// Mean training loss over the steps since the previous evaluation.
    pub train_loss: f32,
    /// Validation loss per source, in `--corpus` order.
    pub val_loss: Vec<f32>,
    pub elapsed_s: f32,
    pub samples: Vec<(String, String)>,
}

/// Everything the model card reports about the run: `Model` is the model's config, the GPT's
/// (also the encoder's) or the GRU's.
#[derive(Serialize, Deserialize)]
pub struct TrainingLog<Model = GptConfig> {
    pub command: String,
    pub model: Model,
    pub train: TrainConfig,
    pub parameters: usize,
    pub sources: Vec<SourceSummary>,
    pub evaluations: Vec<Evaluation>,
    pub seconds: f32,
    pub tokens_per_second: f32,
    pub threads: usize,
}

/// What the training loop measured, for the log.
pub struct TrainingRun {
    pub evaluations: Vec<Evaluation>,
    pub seconds: f32,
    pub tokens_per_second: f32,
}

impl<Model> TrainingLog<Model> {
    /// The log of `run`, with the command as this process was called.
    pub fn new(model: Model, train: TrainConfig, parameters: usize, sources: Vec<SourceSummary>, run: TrainingRun, threads: usize) -> Self {
        // The command as one would type it: the program by its name, not its path.
        let command = std::iter::once("attention-playground".to_string()).chain(std::env::args().skip(1)).collect::<Vec<_>>().join(" ");
        let TrainingRun { evaluations, seconds, tokens_per_second } = run;
        Self { command, model, train, parameters, sources, evaluations, seconds, tokens_per_second, threads }
    }
}

#[derive(Serialize, Deserialize)]
pub struct SourceSummary {
    pub path: String,
    pub weight: f32,
    pub train_tokens: usize,
    pub val_tokens: usize,
    pub unigram_val_loss: f32,
}

/// An I/O error that names the file.
pub fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Io(std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}
