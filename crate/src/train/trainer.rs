//! The training loop's pieces, free of files, threads and terminals so that it also runs in the
//! browser: one optimisation step and validation loss. To see what the model learned, run its
//! weights in the [`crate::engine::Engine`], which samples with [`crate::sampling`].

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::adamw::{clip_grad_norm, learning_rate, AdamW, AdamWConfig};
use super::data::{Batch, Dataset};
use crate::ops::dropout::check_dropout;
use super::model::{parameters_mut, zeros_like, Activations};
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
        let weights = random_weights(&model, config.seed);
        // A stream of its own for the batches, independent of the one the weights came from.
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        rng.set_stream(1);
        Self::from_weights(model, config, weights, rng)
    }

    /// Continue from given weights (with fresh optimiser state).
    pub fn from_weights(model: GptConfig, config: TrainConfig, weights: HostWeights, rng: ChaCha8Rng) -> Result<Self> {
        let activations = Activations::new(&model, config.batch_size, config.seq_len)?;
        let optimizer = AdamW::new(AdamWConfig { weight_decay: config.weight_decay, ..AdamWConfig::default() }, &weights);
        let grads = zeros_like(&weights);
        Ok(Self { model, config, weights, grads, optimizer, activations, rng, step: 0 })
    }

    /// Forward, backward and one AdamW update on a fresh random batch.
    pub fn train_step(&mut self, data: &Dataset) -> Result<StepReport> {
        if data.seq_len != self.config.seq_len {
            return Err(Error::Input(format!(
                "the data is cut into sequences of {} tokens, the trainer expects {}",
                data.seq_len, self.config.seq_len
            )));
        }
        let batch = data.train_batch(&mut self.rng, self.config.batch_size);
        let cfg = &self.config;
        let lr = learning_rate(self.step, cfg.warmup_steps, cfg.steps, cfg.max_lr, cfg.min_lr);

        self.activations.draw_dropout(cfg.dropout, &mut self.rng)?;
        self.activations.forward(&self.weights, &self.model, &batch.ids)?;
        let loss = self.activations.cross_entropy(&batch.targets, self.model.vocab_size)?;
        parameters_mut(&mut self.grads).into_iter().for_each(|g| g.data.fill(0.0));
        self.activations.backward(&self.weights, &self.model, &batch.ids, &batch.targets, &mut self.grads);
        let grad_norm = clip_grad_norm(&mut self.grads, cfg.grad_clip);
        self.optimizer.step(&mut self.weights, &mut self.grads, lr);

        let report = StepReport { step: self.step, loss, lr, grad_norm };
        self.step += 1;
        Ok(report)
    }

    /// Mean loss over `batches` (e.g. [`Dataset::val_batches`]), weighted by their sizes.
    pub fn evaluate(&self, batches: &[Batch]) -> Result<f32> {
        let (mut total, mut count) = (0.0f64, 0usize);
        for batch in batches {
            let sequences = batch.ids.len() / self.config.seq_len;
            let mut activations = Activations::new(&self.model, sequences, self.config.seq_len)?;
            activations.forward(&self.weights, &self.model, &batch.ids)?;
            let loss = activations.cross_entropy(&batch.targets, self.model.vocab_size)?;
            total += loss as f64 * batch.ids.len() as f64;
            count += batch.ids.len();
        }
        Ok(if count == 0 { f32::NAN } else { (total / count as f64) as f32 })
    }
}
