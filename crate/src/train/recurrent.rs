//! Training the recurrent net ([`crate::rnn`]) with the GPT's recipe: the same batches
//! ([`super::data`]), the same AdamW, learning-rate schedule and gradient clipping
//! ([`super::adamw`]), the same next-token loss. Only the model differs.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::adamw::{AdamW, AdamWConfig};
use super::data::{Batch, Dataset};
use super::trainer::{mean_loss, next_batch};
use super::{StepReport, Train, TrainConfig, TrainObjective};
use crate::rnn::{RnnActivations, RnnConfig, RnnWeights};
use crate::{Error, Result};

pub struct RnnTrainer {
    pub model: RnnConfig,
    pub config: TrainConfig,
    pub weights: RnnWeights,
    grads: RnnWeights,
    optimizer: AdamW,
    activations: RnnActivations,
    rng: ChaCha8Rng,
    /// Steps done so far.
    pub step: usize,
}

impl RnnTrainer {
    /// A freshly initialised GRU; the same seed gives the same weights and batches.
    pub fn new(model: RnnConfig, config: TrainConfig) -> Result<Self> {
        model.validate()?;
        if config.batch_size == 0 || config.steps == 0 || config.seq_len == 0 {
            return Err(Error::Input("batch size, sequence length and number of steps must be positive".into()));
        }
        if config.objective != TrainObjective::NextToken {
            return Err(Error::Input("the recurrent net reads left to right: it learns the next token only".into()));
        }
        if config.dropout != 0.0 {
            return Err(Error::Input("the recurrent net is trained without dropout".into()));
        }
        let mut weights = RnnWeights::random(&model, config.seed);
        // The batches' own stream, as the GPT trainer draws them.
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        rng.set_stream(1);
        let optimizer = AdamW::new(AdamWConfig { weight_decay: config.weight_decay, ..AdamWConfig::default() }, &mut weights);
        let grads = RnnWeights::zeros(&model);
        let activations = RnnActivations::new(&model, config.batch_size, config.seq_len)?;
        Ok(Self { model, config, weights, grads, optimizer, activations, rng, step: 0 })
    }
}

impl Train for RnnTrainer {
    /// Forward, backward through time and one AdamW update on a fresh random batch.
    fn train_step(&mut self, data: &Dataset) -> Result<StepReport> {
        let (batch, lr) = next_batch(data, &self.config, self.step, &mut self.rng)?;
        let cfg = &self.config;
        self.activations.forward(&self.weights, &self.model, &batch.ids)?;
        let loss = self.activations.cross_entropy(&batch.targets, &self.model)?;
        let (activations, model) = (&self.activations, &self.model);
        let backward = |weights: &RnnWeights, grads: &mut RnnWeights| activations.backward(weights, model, &batch.targets, grads);
        let grad_norm = self.optimizer.backward_and_step(&mut self.weights, &mut self.grads, backward, cfg.grad_clip, lr);
        let report = StepReport { step: self.step, loss, lr, grad_norm };
        self.step += 1;
        Ok(report)
    }

    /// Mean loss per token over `batches` (e.g. [`Dataset::val_batches`]).
    fn evaluate(&self, batches: &[Batch]) -> Result<f32> {
        mean_loss(batches, |batch| {
            let sequences = batch.ids.len() / self.config.seq_len;
            let mut activations = RnnActivations::new(&self.model, sequences, self.config.seq_len)?;
            activations.forward(&self.weights, &self.model, &batch.ids)?;
            Ok((activations.cross_entropy(&batch.targets, &self.model)?, batch.targets.len()))
        })
    }
}
