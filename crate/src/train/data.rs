//! Training data: token streams from several sources (e.g. bilingual sentence pairs, a play),
//! each split into train and validation parts, mixed by sampling weight.

use rand::Rng;

use crate::{Error, Result};

/// One corpus, already tokenized.
pub struct Source {
    pub name: String,
    /// Share of training sequences drawn from this source (relative to the other sources).
    pub weight: f32,
    pub train: Vec<u32>,
    pub val: Vec<u32>,
}

/// Split text into a training part and the last `val_fraction` of its lines (whole lines, so a
/// sentence pair never straddles the two).
pub fn split_lines(text: &str, val_fraction: f32) -> (&str, &str) {
    let lines = text.lines().count();
    let val_lines = (lines as f32 * val_fraction).round() as usize;
    if val_lines == 0 {
        return (text, "");
    }
    if val_lines >= lines {
        return ("", text);
    }
    let cut = text.match_indices('\n').nth(lines - val_lines - 1).map_or(text.len(), |(i, _)| i + 1);
    text.split_at(cut)
}

/// Inputs and next-token targets for B sequences of T tokens, back to back: both (B·T).
#[derive(Clone)]
pub struct Batch {
    pub ids: Vec<u32>,
    pub targets: Vec<u32>,
}

pub struct Dataset {
    pub sources: Vec<Source>,
    pub seq_len: usize,
    /// Per source, where a training window may begin: `None` = anywhere, otherwise the first
    /// token of each line (see [`Dataset::at_line_starts`]).
    train_starts: Vec<Option<Vec<usize>>>,
    val_starts: Vec<Option<Vec<usize>>>,
}

impl Dataset {
    pub fn new(sources: Vec<Source>, seq_len: usize) -> Result<Self> {
        if sources.is_empty() {
            return Err(Error::Input("no training data".into()));
        }
        for s in &sources {
            if s.train.len() <= seq_len || s.val.len() <= seq_len {
                return Err(Error::Input(format!(
                    "{}: {} train and {} validation tokens; both need more than the sequence length {seq_len}",
                    s.name,
                    s.train.len(),
                    s.val.len()
                )));
            }
            if !(s.weight.is_finite() && s.weight > 0.0) {
                return Err(Error::Input(format!("{}: the sampling weight must be positive", s.name)));
            }
        }
        let none = vec![None; sources.len()];
        Ok(Self { train_starts: none.clone(), val_starts: none, sources, seq_len })
    }

    /// Begin every window at the start of a line (the token after `newline`, or the stream's
    /// first token), as a learner's text begins at position 0 in the playground: the model then
    /// learns what the start of a sentence looks like instead of seeing lines cut mid-word.
    /// Every part has more than T tokens (checked by [`Dataset::new`]), so position 0 always
    /// qualifies.
    pub fn at_line_starts(mut self, newline: u32) -> Self {
        let t = self.seq_len;
        let starts_of = |tokens: &[u32]| -> Vec<usize> {
            let after_newline = tokens.iter().enumerate().filter(|&(_, &id)| id == newline).map(|(i, _)| i + 1);
            std::iter::once(0).chain(after_newline).filter(|&s| s + t < tokens.len()).collect()
        };
        for (i, source) in self.sources.iter().enumerate() {
            self.train_starts[i] = Some(starts_of(&source.train));
            self.val_starts[i] = Some(starts_of(&source.val));
        }
        self
    }

    /// `batch` random windows of the training parts, each from a source drawn by weight.
    pub fn train_batch(&self, rng: &mut impl Rng, batch: usize) -> Batch {
        let total: f32 = self.sources.iter().map(|s| s.weight).sum();
        let t = self.seq_len;
        let mut out = Batch { ids: Vec::with_capacity(batch * t), targets: Vec::with_capacity(batch * t) };
        for _ in 0..batch {
            let mut pick = rng.random::<f32>() * total;
            let index = self
                .sources
                .iter()
                .position(|s| {
                    pick -= s.weight;
                    pick < 0.0
                })
                .unwrap_or(self.sources.len() - 1);
            let tokens = &self.sources[index].train;
            let start = match &self.train_starts[index] {
                None => rng.random_range(0..tokens.len() - t),
                Some(starts) => starts[rng.random_range(0..starts.len())],
            };
            out.ids.extend_from_slice(&tokens[start..start + t]);
            out.targets.extend_from_slice(&tokens[start + 1..start + t + 1]);
        }
        out
    }

    /// A fixed validation set of one source: consecutive non-overlapping windows of its
    /// validation part (each at a line start after [`Dataset::at_line_starts`]), at most
    /// `max_batches` batches of up to `batch` windows (evenly spread when the part is longer).
    pub fn val_batches(&self, source: usize, batch: usize, max_batches: usize) -> Vec<Batch> {
        let (t, tokens) = (self.seq_len, &self.sources[source].val);
        // Non-overlapping windows: every T tokens, or the first line start at least T after the last.
        let windows: Vec<usize> = match &self.val_starts[source] {
            None => (0..(tokens.len() - 1) / t).map(|i| i * t).collect(),
            Some(starts) => {
                let mut windows = Vec::new();
                for &s in starts {
                    if windows.last().is_none_or(|&last| s >= last + t) {
                        windows.push(s);
                    }
                }
                windows
            }
        };
        let n = windows.len().min(batch * max_batches);
        let starts: Vec<usize> = (0..n).map(|i| windows[i * windows.len() / n]).collect();
        starts
            .chunks(batch)
            .map(|chunk| Batch {
                ids: chunk.iter().flat_map(|&s| tokens[s..s + t].iter().copied()).collect(),
                targets: chunk.iter().flat_map(|&s| tokens[s + 1..s + t + 1].iter().copied()).collect(),
            })
            .collect()
    }

    /// Cross-entropy of a model that ignores context and predicts each token by its training
    /// frequency (add-one smoothed): the baseline the transformer must beat.
    pub fn unigram_loss(&self, source: usize, vocab_size: usize) -> f32 {
        let mut counts = vec![1.0f64; vocab_size];
        for s in &self.sources {
            s.train.iter().for_each(|&id| counts[id as usize] += 1.0);
        }
        let total: f64 = counts.iter().sum();
        let val = &self.sources[source].val[1..];
        (val.iter().map(|&id| -(counts[id as usize] / total).ln()).sum::<f64>() / val.len() as f64) as f32
    }
}
