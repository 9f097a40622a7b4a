//! Chapter 1, attention is alignment: in a `中文 | English` pair run through the GPT, the English
//! words look back at the Chinese words they translate. The mask is causal and the Chinese comes
//! first, so an English token can attend to every Chinese word.
//!
//! - [`pair_words`]: the pair's tokens grouped back into words (Chinese words are space-separated
//!   in the data, English words end at spaces and punctuation).
//! - [`alignment`]: one head's English-words × Chinese-words matrix, each cell the head's weights
//!   summed over that Chinese word's tokens.
//! - [`score_heads`]: every head scored on a held-out set with gold counterparts: the share of
//!   English words whose arg-max Chinese word is the gold one.
//! - [`held_out_set`]: that set, built from the corpus's validation pairs and the word list
//!   (`alignment-pairs` in the CLI; `scripts/build-alignment-pairs.sh` writes
//!   `www/lessons/data/alignment-pairs.json`).
//!
//! Which token of an English word "is" the word ([`Reading`]) is a choice: its own first token, or
//! the token just before it, whose output has to predict the word. Both are scored; the held-out
//! set decides (on the default model the token before wins by far: attention gathers what the
//! next word needs).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::ops::attention::Mask;
use crate::sampling;
use crate::tokenizer::{Encoded, TextTokenizer};
use crate::trace::Trace;
use crate::train::data::split_lines;
use crate::views::{head_weights, tokens_of};
use crate::{Error, Result, Tensor};

/// Which token's attention row stands for an English word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    /// The token just before the word's first token: its output predicts the word.
    Predicting,
    /// The word's own first token.
    Own,
}

impl Reading {
    pub const ALL: [Reading; 2] = [Reading::Predicting, Reading::Own];

    pub fn parse(name: &str) -> Result<Reading> {
        match name {
            "predicting" => Ok(Reading::Predicting),
            "own" => Ok(Reading::Own),
            other => Err(Error::Input(format!("unknown reading {other:?} (expected predicting or own)"))),
        }
    }

    /// The query position that stands for a word whose first token is at `first` (> 0).
    fn query(self, first: usize) -> usize {
        match self {
            Reading::Predicting => first - 1,
            Reading::Own => first,
        }
    }
}

/// A word of a pair and the positions of its tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Word {
    pub text: String,
    /// Token positions overlapping the word (a token's text may include the space before it).
    pub tokens: Vec<usize>,
}

/// The words on either side of the `|`, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PairWords {
    pub chinese: Vec<Word>,
    pub english: Vec<Word>,
}

/// Words of `chars[from..to]` as (text, char range): runs of letters, digits and apostrophes
/// (CJK characters count as letters; the Chinese side is split by its spaces).
fn word_spans(chars: &[char], from: usize, to: usize) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for i in from..=to {
        let in_word = i < to && (chars[i].is_alphanumeric() || chars[i] == '\'');
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((chars[s..i].iter().collect(), s, i));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The word texts of a pair: (Chinese words, English words). Errors without a `|`.
pub fn pair_word_texts(text: &str) -> Result<(Vec<String>, Vec<String>)> {
    let chars: Vec<char> = text.chars().collect();
    let bar = bar_of(&chars)?;
    let texts = |from, to| word_spans(&chars, from, to).into_iter().map(|(w, _, _)| w).collect();
    Ok((texts(0, bar), texts(bar + 1, chars.len())))
}

fn bar_of(chars: &[char]) -> Result<usize> {
    chars.iter().position(|&c| c == '|').ok_or_else(|| {
        Error::Input("a pair is Chinese words, then `|`, then their English, e.g. `小明 喜欢 苹果 | Xiaoming likes apples.`".into())
    })
}

/// Group the first `fit` tokens of `text` (encoded as `encoded`) into the words of either side
/// of its `|`. A word none of whose tokens fit is left out.
pub fn pair_words(text: &str, encoded: &Encoded, fit: usize) -> Result<PairWords> {
    let chars: Vec<char> = text.chars().collect();
    let bar = bar_of(&chars)?;
    let fit = fit.min(encoded.ids.len());
    let side = |from, to| -> Vec<Word> {
        word_spans(&chars, from, to)
            .into_iter()
            .map(|(text, start, end)| {
                let tokens = (0..fit).filter(|&i| encoded.offsets[i].0 < end && encoded.offsets[i].1 > start).collect();
                Word { text, tokens }
            })
            .filter(|w| !w.tokens.is_empty())
            .collect()
    };
    let chinese = side(0, bar);
    // An English word must start after the first token, so that a token before it can be read
    // (only a pair whose first token runs across the `|` has one that does not).
    let english: Vec<Word> = side(bar + 1, chars.len()).into_iter().filter(|w| w.tokens[0] > 0).collect();
    if chinese.is_empty() || english.is_empty() {
        return Err(Error::Input("a pair needs at least one Chinese word before the `|` and one English word after it".into()));
    }
    Ok(PairWords { chinese, english })
}

/// Query row `q` of one head's (T, T) weights, summed over each Chinese word's tokens.
fn on_chinese(weights: &[f32], t: usize, q: usize, chinese: &[Word]) -> Vec<f32> {
    let row = &weights[q * t..(q + 1) * t];
    chinese.iter().map(|w| w.tokens.iter().map(|&p| row[p]).sum()).collect()
}

/// One head's alignment matrix for a pair.
#[derive(Debug, Serialize)]
pub struct AlignmentView {
    pub layer: usize,
    pub head: usize,
    pub reading: Reading,
    pub chinese: Vec<String>,
    pub english: Vec<String>,
    /// Per English word, the token whose attention row stands for it (see [`Reading`]).
    pub from: Vec<usize>,
    /// Those tokens as the page shows them (pieces of a character numbered).
    pub from_labels: Vec<String>,
    /// (E, Z): per English word, the head's weight on each Chinese word (summed over its tokens).
    pub weights: Vec<Vec<f32>>,
    /// Per English word, the weight left for everything else (`|`, punctuation, English tokens).
    pub rest: Vec<f32>,
    /// Per English word, its arg-max Chinese word.
    pub best: Vec<usize>,
    /// True when the pair is longer than the context (the words past it are left out).
    pub truncated: bool,
}

/// The alignment matrix of `layer`, `head` on `text`, read from `trace` (the causal pass over
/// the tokens of `text` that fit `context`).
pub fn alignment(
    trace: &Trace<Tensor>,
    tokenizer: &TextTokenizer,
    context: usize,
    text: &str,
    layer: usize,
    head: usize,
    reading: Reading,
) -> Result<AlignmentView> {
    let tokens = tokens_of(tokenizer, context, text)?;
    if tokens.ids != trace.ids {
        return Err(Error::Input("the pass given is not of this text".into()));
    }
    let words = pair_words(text, &tokenizer.encode(text)?, tokens.ids.len())?;
    let weights_of_head = head_weights(trace, layer, head)?;
    let t = trace.ids.len();
    let from: Vec<usize> = words.english.iter().map(|w| reading.query(w.tokens[0])).collect();
    let weights: Vec<Vec<f32>> = from.iter().map(|&q| on_chinese(weights_of_head, t, q, &words.chinese)).collect();
    Ok(AlignmentView {
        layer,
        head,
        reading,
        chinese: words.chinese.into_iter().map(|w| w.text).collect(),
        english: words.english.into_iter().map(|w| w.text).collect(),
        from_labels: from.iter().map(|&q| tokens.display[q].clone()).collect(),
        rest: weights.iter().map(|row| (1.0 - row.iter().sum::<f32>()).max(0.0)).collect(),
        best: weights.iter().map(|row| argmax(row)).collect(),
        truncated: tokens.truncated,
        from,
        weights,
    })
}

fn argmax(x: &[f32]) -> usize {
    sampling::argmax(x).unwrap_or(0) as usize
}

/// The held-out pairs with their gold counterparts, as `alignment-pairs.json` stores them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlignmentSet {
    /// Where the pairs and the gold links come from, and their licence.
    pub source: String,
    pub licence: String,
    pub how: String,
    pub pairs: Vec<GoldPair>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoldPair {
    pub text: String,
    pub links: Vec<Link>,
}

/// An English word and the Chinese word it translates, by index among the pair's words (and
/// their texts, so a changed word splitter is caught instead of scoring the wrong words).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub english: usize,
    pub chinese: usize,
    pub en: String,
    pub zh: String,
}

/// Gloss words that say nothing about which English word translates a Chinese one.
const GLOSS_FILLERS: [&str; 14] = ["to", "a", "an", "the", "of", "be", "sb", "sth", "one's", "oneself", "sb's", "etc", "or", "and"];

/// Does the English word `word` (lower case) spell the gloss word `gloss` (lower case), allowing
/// the endings English adds (likes, liked, liking, studies, apples, …)?
fn same_english_word(word: &str, gloss: &str) -> bool {
    let word = word.trim_end_matches("'s").trim_end_matches('\'');
    if word == gloss {
        return true;
    }
    let stem_y = gloss.strip_suffix('y').map(|s| [format!("{s}ies"), format!("{s}ied")]);
    let stem_e = gloss.strip_suffix('e').map(|s| format!("{s}ing"));
    ["s", "es", "d", "ed", "ing"].iter().any(|end| word == format!("{gloss}{end}"))
        || stem_y.is_some_and(|forms| forms.iter().any(|f| f == word))
        || stem_e.is_some_and(|form| form == word)
}

/// The gold links of a pair: an English word and a Chinese word are linked when a content word
/// of the Chinese word's gloss spells that English word, and neither has another such match in
/// the pair (ambiguous words are left out rather than guessed).
pub fn gold_links(pair: &str, dictionary: &HashMap<String, String>) -> Result<Vec<Link>> {
    let (chinese, english) = pair_word_texts(pair)?;
    let english_lower: Vec<String> = english.iter().map(|w| w.to_lowercase()).collect();
    // matches[z] = the English words spelled by Chinese word z's gloss.
    let matches: Vec<Vec<usize>> = chinese
        .iter()
        .map(|zh| {
            let gloss = dictionary.get(zh).map(|g| g.to_lowercase()).unwrap_or_default();
            let content: Vec<&str> = gloss.split(|c: char| !(c.is_alphanumeric() || c == '\'')).filter(|w| !w.is_empty() && !GLOSS_FILLERS.contains(w)).collect();
            (0..english.len()).filter(|&e| content.iter().any(|g| same_english_word(&english_lower[e], g))).collect()
        })
        .collect();
    let mut links = Vec::new();
    for (z, es) in matches.iter().enumerate() {
        let [e] = es[..] else { continue };
        if matches.iter().filter(|other| other.contains(&e)).count() == 1 {
            links.push(Link { english: e, chinese: z, en: english[e].clone(), zh: chinese[z].clone() });
        }
    }
    links.sort_by_key(|l| l.english);
    Ok(links)
}

/// The `word | gloss` lines of the word list, as a map (the first gloss of a word wins).
pub fn read_dictionary(text: &str) -> HashMap<String, String> {
    let mut dictionary = HashMap::new();
    for line in text.lines() {
        if let Some((word, gloss)) = line.split_once(" | ") {
            dictionary.entry(word.trim().to_string()).or_insert_with(|| gloss.trim().to_string());
        }
    }
    dictionary
}

/// The validation lines (the last `val_fraction`, as the trainer holds them out) of the
/// `中文 | English` corpus `pairs_text` that `fits` accepts and that have at least one gold link
/// from `dictionary_text` (`word | gloss` lines).
pub fn held_out_set(pairs_text: &str, dictionary_text: &str, val_fraction: f32, fits: impl Fn(&str) -> Result<bool>) -> Result<Vec<GoldPair>> {
    let dictionary = read_dictionary(dictionary_text);
    let mut pairs = Vec::new();
    for line in split_lines(pairs_text, val_fraction).1.lines().map(str::trim).filter(|l| l.contains(" | ")) {
        if !fits(line)? {
            continue;
        }
        let links = gold_links(line, &dictionary)?;
        if !links.is_empty() {
            pairs.push(GoldPair { text: line.to_string(), links });
        }
    }
    Ok(pairs)
}

/// The Chinese word at the same place in its half as English word `e` of `english` in its:
/// round(e · (Z − 1) / (E − 1)).
pub fn position_guess(e: usize, english: usize, chinese: usize) -> usize {
    if english < 2 {
        return 0;
    }
    (e as f64 * (chinese - 1) as f64 / (english - 1) as f64).round() as usize
}

/// One head's score on the held-out set, per reading.
#[derive(Clone, Debug, Serialize)]
pub struct HeadScore {
    pub layer: usize,
    pub head: usize,
    /// Share of gold English words whose arg-max Chinese word is the gold one, reading from
    /// the token before each word.
    pub predicting: f32,
    /// The same, reading from each word's own first token.
    pub own: f32,
}

impl HeadScore {
    pub fn score(&self, reading: Reading) -> f32 {
        match reading {
            Reading::Predicting => self.predicting,
            Reading::Own => self.own,
        }
    }
}

/// Every head scored on a held-out set.
#[derive(Clone, Debug, Serialize)]
pub struct ScoresView {
    /// Pairs scored, and those left out for not fitting the model's context.
    pub pairs: usize,
    pub skipped: usize,
    /// Gold English words scored.
    pub words: usize,
    /// What picking a Chinese word at random would score (mean of 1 / Chinese words per pair).
    pub chance: f32,
    /// What guessing from word order alone scores: English word e of E goes with the Chinese
    /// word at the same place, [`position_guess`]. Chinese and English order their words much
    /// alike, so this is the bar a head has to clear to show it reads the words themselves.
    pub position: f32,
    /// Layer by layer, head by head.
    pub heads: Vec<HeadScore>,
    /// The best head and reading (the first on a tie).
    pub best_layer: usize,
    pub best_head: usize,
    pub best_reading: Reading,
    pub best_score: f32,
}

/// Score every head of `engine`'s model on `set`: for each gold link, does the head's attention
/// from the English word (per [`Reading`]) land most on the gold Chinese word?
pub async fn score_heads(engine: &mut Engine, tokenizer: &TextTokenizer, set: &[GoldPair]) -> Result<ScoresView> {
    let config = engine.config().clone();
    let (n_layer, n_head) = (config.n_layer, config.n_head);
    // hits[layer * NH + head][reading]
    let mut hits = vec![[0usize; 2]; n_layer * n_head];
    let (mut pairs, mut skipped, mut words, mut chance, mut by_position) = (0, 0, 0, 0.0f64, 0);
    for pair in set {
        let encoded = tokenizer.encode(&pair.text)?;
        if encoded.ids.len() > config.n_positions {
            skipped += 1;
            continue;
        }
        let pair_words = pair_words(&pair.text, &encoded, encoded.ids.len())?;
        let (chinese_texts, english_texts) = pair_word_texts(&pair.text)?;
        if pair_words.chinese.len() != chinese_texts.len() || pair_words.english.len() != english_texts.len() {
            return Err(Error::Input(format!("{:?}: some of its words have no token of their own; it cannot be scored", pair.text)));
        }
        for link in &pair.links {
            if chinese_texts.get(link.chinese) != Some(&link.zh) || english_texts.get(link.english) != Some(&link.en) {
                return Err(Error::Input(format!(
                    "the held-out set is out of date: {:?} has no word {:?} at {} or {:?} at {} (rebuild it with scripts/build-alignment-pairs.sh)",
                    pair.text, link.en, link.english, link.zh, link.chinese
                )));
            }
        }
        let output = engine.forward(&encoded.ids, Mask::Causal, true).await?;
        let trace = output.trace.ok_or_else(|| Error::Model("the engine returned no trace".into()))?;
        let t = encoded.ids.len();
        pairs += 1;
        for link in &pair.links {
            words += 1;
            chance += 1.0 / pair_words.chinese.len() as f64;
            if position_guess(link.english, pair_words.english.len(), pair_words.chinese.len()) == link.chinese {
                by_position += 1;
            }
            let first = pair_words.english[link.english].tokens[0];
            for layer in 0..n_layer {
                for head in 0..n_head {
                    let weights = head_weights(&trace, layer, head)?;
                    for (r, reading) in Reading::ALL.iter().enumerate() {
                        if argmax(&on_chinese(weights, t, reading.query(first), &pair_words.chinese)) == link.chinese {
                            hits[layer * n_head + head][r] += 1;
                        }
                    }
                }
            }
        }
    }
    if words == 0 {
        return Err(Error::Input("the held-out set has no pair that fits the model's context".into()));
    }
    let share = |n: usize| n as f32 / words as f32;
    let heads: Vec<HeadScore> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| HeadScore { layer: i / n_head, head: i % n_head, predicting: share(h[0]), own: share(h[1]) })
        .collect();
    let mut best = (0, Reading::Predicting, f32::NEG_INFINITY);
    for (i, h) in heads.iter().enumerate() {
        for reading in Reading::ALL {
            if h.score(reading) > best.2 {
                best = (i, reading, h.score(reading));
            }
        }
    }
    Ok(ScoresView {
        pairs,
        skipped,
        words,
        chance: (chance / words as f64) as f32,
        position: share(by_position),
        best_layer: best.0 / n_head,
        best_head: best.0 % n_head,
        best_reading: best.1,
        best_score: best.2,
        heads,
    })
}
