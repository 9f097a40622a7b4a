//! The training loop's pieces, free of files, threads and terminals so that it also runs in the
//! browser: one optimisation step and validation loss. To see what the model learned, run its
//! weights in the [`crate::engine::Engine`], which samples with [`crate::sampling`].

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::adamw::{learning_rate, AdamW, AdamWConfig};
use super::data::{Batch, Dataset};
use super::masking::mask_tokens;
use crate::ops::attention::Mask;
use crate::ops::dropout::check_dropout;
use super::model::{zeros_like, Activations};
use crate::weights::{random_weights, HostWeights};
use crate::{Error, GptConfig, Result};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainConfig {
    /// B: sequences per step.
    pub batch_size: usize,
    /// T: tokens per sequence (at most the model's context P).
    pub seq_len: usize,
    pub steps: usize,
    pub max_lr: f32,
    pub min_lr: f32,
    pub warmup_steps: usize,
    /// Largest global gradient norm; larger gradients are scaled down.
    pub grad_clip: f32,
    pub weight_decay: f32,
    /// Probability of zeroing each activation where GPT-2 applies dropout (0 = none).
    #[serde(default)]
    pub dropout: f32,
    /// Seeds the initial weights and the order of the training batches.
    pub seed: u64,
    /// Next token (GPT) or masked tokens (BERT-style encoder).
    #[serde(default)]
    pub objective: TrainObjective,
}

/// What the model learns to predict. The blocks are the same; the objective decides the
/// attention mask and which positions are scored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainObjective {
    /// GPT: every position predicts the token after it, seeing only the tokens before it.
    #[default]
    NextToken,
    /// BERT-style encoder: the positions BERT's recipe chose ([`super::masking`]) predict
    /// their own original token, seeing the whole corrupted sequence; `mask_id` is `[MASK]`.
    MaskedTokens { mask_id: u32 },
}

impl TrainObjective {
    pub fn mask(self) -> Mask {
        match self {
            TrainObjective::NextToken => Mask::Causal,
            TrainObjective::MaskedTokens { .. } => Mask::Bidirectional,
        }
    }
}

/// What one step did.
#[derive(Clone, Copy, Debug)]
pub struct StepReport {
    pub step: usize,
    pub loss: f32,
    pub lr: f32,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
}

/// What a training loop needs of a trainer, whichever the model (the GPT and the encoder's
/// [`Trainer`], the GRU's [`super::recurrent::RnnTrainer`]): one step, and validation loss.
pub trait Train {
    /// Forward, backward and one AdamW update on a fresh random batch.
    fn train_step(&mut self, data: &Dataset) -> Result<StepReport>;
    /// Mean loss per predicted token over `batches` (e.g. [`Dataset::val_batches`]).
    fn evaluate(&self, batches: &[Batch]) -> Result<f32>;
}

/// Step `step`'s training batch, drawn from `rng`, and its learning rate: the same draw for
/// every model, so models trained with one seed see the same sequences.
pub(super) fn next_batch(data: &Dataset, config: &TrainConfig, step: usize, rng: &mut ChaCha8Rng) -> Result<(Batch, f32)> {
    if data.seq_len != config.seq_len {
        return Err(Error::Input(format!(
            "the data is cut into sequences of {} tokens, the trainer expects {}",
            data.seq_len, config.seq_len
        )));
    }
    let batch = data.train_batch(rng, config.batch_size);
    Ok((batch, learning_rate(step, config.warmup_steps, config.steps, config.max_lr, config.min_lr)))
}

/// The mean over `batches` of each one's loss per scored token, weighted by how many tokens it
/// scored: `loss_of` gives `(mean loss, tokens scored)`. NaN when none was scored.
pub(super) fn mean_loss(batches: &[Batch], mut loss_of: impl FnMut(&Batch) -> Result<(f32, usize)>) -> Result<f32> {
    let (mut total, mut count) = (0.0f64, 0usize);
    for batch in batches {
        let (loss, scored) = loss_of(batch)?;
        total += loss as f64 * scored as f64;
        count += scored;
    }
    Ok(if count == 0 { f32::NAN } else { (total / count as f64) as f32 })
}

pub struct Trainer {
    pub model: GptConfig,
    pub config: TrainConfig,
    pub weights: HostWeights,
    grads: HostWeights,
    optimizer: AdamW,
    activations: Activations,
    rng: ChaCha8Rng,
    /// Steps done so far.
    pub step: usize,
}

impl Trainer {
    /// A freshly initialised model; the same seed gives the same weights and batches.
    pub fn new(model: GptConfig, config: TrainConfig) -> Result<Self> {
        model.validate()?;
        if config.batch_size == 0 || config.steps == 0 {
            return Err(Error::Input("batch size and number of steps must be positive".into()));
        }
        check_dropout(config.dropout)?;
        if let TrainObjective::MaskedTokens { mask_id } = config.objective {
            if mask_id as usize >= model.vocab_size {
                return Err(Error::Input(format!("mask token {mask_id} is outside the vocabulary of {}", model.vocab_size)));
            }
        }
        let weights = random_weights(&model, config.seed);
        // A stream of its own for the batches, independent of the one the weights came from.
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        rng.set_stream(1);
        Self::from_weights(model, config, weights, rng)
    }

    /// Continue from given weights (with fresh optimiser state).
    pub fn from_weights(model: GptConfig, config: TrainConfig, mut weights: HostWeights, rng: ChaCha8Rng) -> Result<Self> {
        let mut activations = Activations::new(&model, config.batch_size, config.seq_len)?;
        activations.mask = config.objective.mask();
        let optimizer = AdamW::new(AdamWConfig { weight_decay: config.weight_decay, ..AdamWConfig::default() }, &mut weights);
        let grads = zeros_like(&weights);
        Ok(Self { model, config, weights, grads, optimizer, activations, rng, step: 0 })
    }
}

impl Train for Trainer {
    /// Forward, backward and one AdamW update on a fresh random batch.
    fn train_step(&mut self, data: &Dataset) -> Result<StepReport> {
        let (batch, lr) = next_batch(data, &self.config, self.step, &mut self.rng)?;
        let batch = objective_batch(batch, self.config.objective, self.model.vocab_size, &mut self.rng)?;
        let cfg = &self.config;

        self.activations.draw_dropout(cfg.dropout, &mut self.rng)?;
        self.activations.predict_only(batch.predicted)?;
        self.activations.forward(&self.weights, &self.model, &batch.ids)?;
        let loss = self.activations.cross_entropy(&batch.targets, self.model.vocab_size)?;
        let (activations, model) = (&self.activations, &self.model);
        let backward = |weights: &HostWeights, grads: &mut HostWeights| activations.backward(weights, model, &batch.ids, &batch.targets, grads);
        let grad_norm = self.optimizer.backward_and_step(&mut self.weights, &mut self.grads, backward, cfg.grad_clip, lr);

        let report = StepReport { step: self.step, loss, lr, grad_norm };
        self.step += 1;
        Ok(report)
    }

    /// Mean loss per predicted token over `batches` (e.g. [`Dataset::val_batches`]). For the
    /// encoder the batches are masked by a generator seeded afresh on every call, so each
    /// evaluation scores the same masked positions.
    fn evaluate(&self, batches: &[Batch]) -> Result<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.config.seed);
        rng.set_stream(2);
        mean_loss(batches, |batch| {
            let sequences = batch.ids.len() / self.config.seq_len;
            let batch = objective_batch(batch.clone(), self.config.objective, self.model.vocab_size, &mut rng)?;
            let mut activations = Activations::new(&self.model, sequences, self.config.seq_len)?;
            activations.mask = self.config.objective.mask();
            activations.predict_only(batch.predicted)?;
            activations.forward(&self.weights, &self.model, &batch.ids)?;
            Ok((activations.cross_entropy(&batch.targets, self.model.vocab_size)?, batch.targets.len()))
        })
    }
}

/// A batch as the objective uses it: input ids, the rows that are scored, their targets.
struct ObjectiveBatch {
    ids: Vec<u32>,
    /// `None`: every row (next token).
    predicted: Option<Vec<usize>>,
    targets: Vec<u32>,
}

fn objective_batch(batch: Batch, objective: TrainObjective, vocab_size: usize, rng: &mut ChaCha8Rng) -> Result<ObjectiveBatch> {
    Ok(match objective {
        TrainObjective::NextToken => ObjectiveBatch { ids: batch.ids, predicted: None, targets: batch.targets },
        TrainObjective::MaskedTokens { mask_id } => {
            let masked = mask_tokens(&batch.ids, mask_id, vocab_size, rng)?;
            ObjectiveBatch { ids: masked.ids, predicted: Some(masked.positions), targets: masked.targets }
        }
    })
}
