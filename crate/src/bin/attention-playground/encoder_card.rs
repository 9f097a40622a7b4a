//! The encoder's part of the model card: what it fills in, how often its first guesses are
//! right on held-out lines against a unigram baseline, and the study's example, where `喜欢`
//! looks in `小明 喜欢 苹果` now that it may look ahead.

use std::fmt::Write as _;

use attention_playground::engine::Engine;
use attention_playground::fill::{fill_in, mask_id};
use attention_playground::ops::attention::Mask;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::train::data::split_lines;
use attention_playground::train::masking::CHOSEN;
use attention_playground::views;
use attention_playground::{GptConfig, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::card::{cell, file_name, traced_with, url_encode, Notes};
use crate::training_log::{io_error, TrainingLog};

/// Fill-ins shown in the card: Chinese, English and a pair. `{}` is the mask token.
const EXAMPLES: [&str; 10] = [
    "小明 {} 苹果",
    "我 想 {} 水",
    "他 喜欢 户外 {}",
    "老师 {} 我 的 错误",
    "我 忘记 他 的 {} 了",
    "I {} apples.",
    "The teacher pointed out my {}.",
    "He likes outdoor {}.",
    "我 喜欢 苹果 | I {} apples.",
    "他 喜欢 {} 运动 | He likes outdoor sports.",
];

/// Held-out lines scored per source (the first ones of the validation split).
const ACCURACY_LINES: usize = 400;

/// The study's sentence and the two words it is about.
const STUDY: (&str, &str, &str) = ("小明 喜欢 苹果", "喜欢", "苹果");

#[allow(clippy::too_many_arguments)] // the card's pieces, read once by its writer
pub fn write_fill_ins(
    w: &mut String,
    engine: &mut Engine,
    config: &GptConfig,
    tokenizer: &TextTokenizer,
    mask_token: &str,
    log: &TrainingLog,
    val_fraction: f32,
    notes: &Notes,
) -> Result<()> {
    let mask = mask_id(tokenizer, mask_token)?;
    let _ = writeln!(w, "\n## What it fills in\n");
    let _ = writeln!(
        w,
        "Each `{mask_token}` with the encoder's five most likely tokens and their probabilities \
         (softmax of its logits at that position, temperature 1). Try them in the page, or with \
         `attention-playground fill --model www/models/encoder --text \"小明 {mask_token} 苹果\"`.\n"
    );
    let _ = writeln!(w, "| text | candidates |\n|---|---|");
    for example in EXAMPLES {
        let text = example.replace("{}", mask_token);
        let ids = tokenizer.encode(&text)?.ids;
        if ids.len() > config.n_positions {
            continue; // longer than the model's context (only with a tiny test model)
        }
        let fill = pollster::block_on(fill_in(engine, &ids, mask, tokenizer, 5))?;
        let blanks: Vec<String> = fill
            .masks
            .iter()
            .map(|m| m.candidates.iter().map(|c| format!("{} {:.0} %", cell(&shown(&c.text)), 100.0 * c.probability)).collect::<Vec<_>>().join(", "))
            .collect();
        let _ = writeln!(w, "| {} | {} |", cell(&text), blanks.join(" · "));
    }
    if let Some(fills) = notes.get("fills") {
        let _ = writeln!(w, "\n{fills}");
    }

    write_accuracy(w, engine, config, tokenizer, mask, log, val_fraction)?;
    write_study_example(w, engine, config, tokenizer)
}

/// Top-1 and top-5 accuracy on held-out lines, each line on its own (as a learner types one),
/// 15 % of its tokens (at least one) replaced by the mask token, against the unigram guess
/// (the most frequent training tokens, whatever the context).
fn write_accuracy(
    w: &mut String,
    engine: &mut Engine,
    config: &GptConfig,
    tokenizer: &TextTokenizer,
    mask: u32,
    log: &TrainingLog,
    val_fraction: f32,
) -> Result<()> {
    let mut texts = Vec::new();
    for source in &log.sources {
        let path = std::path::Path::new(&source.path);
        texts.push(std::fs::read_to_string(path).map_err(|e| io_error(path, e))?);
    }
    // Unigram: token frequencies over every source's training lines.
    let mut counts = vec![0usize; config.vocab_size];
    for text in &texts {
        for line in split_lines(text, val_fraction).0.lines() {
            tokenizer.encode(line)?.ids.iter().for_each(|&id| counts[id as usize] += 1);
        }
    }
    let mut by_frequency: Vec<u32> = (0..config.vocab_size as u32).collect();
    by_frequency.sort_by(|&a, &b| counts[b as usize].cmp(&counts[a as usize]).then(a.cmp(&b)));
    let unigram_top5 = &by_frequency[..5];

    let _ = writeln!(w, "\n## Masked-token accuracy on held-out lines\n");
    let _ = writeln!(
        w,
        "The first {ACCURACY_LINES} validation lines of each source, each run on its own (as a learner \
         types one sentence), {:.0} % of its tokens (at least one, chosen with seed 0) replaced by the mask \
         token; a guess is right when it is the token that was there. The unigram baseline always \
         guesses the most frequent training tokens ({}).\n",
        100.0 * CHOSEN,
        unigram_top5.iter().map(|&id| cell(&shown(&views::token_label(tokenizer, id)))).collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(w, "| source | masked tokens | top-1 | top-5 | unigram top-1 | unigram top-5 |\n|---|---|---|---|---|---|");
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for (source, text) in log.sources.iter().zip(&texts) {
        let (mut total, mut top1, mut top5, mut uni1, mut uni5) = (0usize, 0usize, 0usize, 0usize, 0usize);
        for line in split_lines(text, val_fraction).1.lines().filter(|l| !l.trim().is_empty()).take(ACCURACY_LINES) {
            let mut ids = tokenizer.encode(line)?.ids;
            ids.truncate(config.n_positions);
            let mut chosen: Vec<usize> = (0..ids.len()).filter(|_| rng.random::<f32>() < CHOSEN).collect();
            if chosen.is_empty() {
                chosen.push(rng.random_range(0..ids.len()));
            }
            let targets: Vec<u32> = chosen.iter().map(|&p| ids[p]).collect();
            chosen.iter().for_each(|&p| ids[p] = mask);
            let fill = pollster::block_on(fill_in(engine, &ids, mask, tokenizer, 5))?;
            for (m, &target) in fill.masks.iter().zip(&targets) {
                total += 1;
                top1 += usize::from(m.candidates[0].id == target);
                top5 += usize::from(m.candidates.iter().any(|c| c.id == target));
                uni1 += usize::from(unigram_top5[0] == target);
                uni5 += usize::from(unigram_top5.contains(&target));
            }
        }
        let pct = |n: usize| format!("{:.1} %", 100.0 * n as f32 / total.max(1) as f32);
        let _ = writeln!(
            w,
            "| `{}` | {total} | **{}** | **{}** | {} | {} |",
            file_name(&source.path),
            pct(top1),
            pct(top5),
            pct(uni1),
            pct(uni5)
        );
    }
    Ok(())
}

/// Every head's weight from `喜欢` on `苹果` (and on the other words) in `小明 喜欢 苹果`.
fn write_study_example(w: &mut String, engine: &mut Engine, config: &GptConfig, tokenizer: &TextTokenizer) -> Result<()> {
    let (sentence, focus_word, object_word) = STUDY;
    let encoded = tokenizer.encode(sentence)?;
    let chars: Vec<char> = sentence.chars().collect();
    let words: Vec<&str> = sentence.split(' ').collect();
    // Token positions of each word (a token belongs to the words its characters overlap).
    let mut start = 0;
    let word_tokens: Vec<Vec<usize>> = words
        .iter()
        .map(|word| {
            let at = (start..chars.len()).find(|&i| chars[i..].starts_with(&word.chars().collect::<Vec<_>>()[..])).unwrap_or(start);
            let end = at + word.chars().count();
            start = end;
            (0..encoded.ids.len()).filter(|&t| encoded.offsets[t].0 < end && encoded.offsets[t].1 > at).collect()
        })
        .collect();
    let index = |word: &str| words.iter().position(|w| *w == word).unwrap_or(0);
    let (focus, object) = (index(focus_word), index(object_word));
    let trace = traced_with(engine, &encoded.ids, Mask::Bidirectional)?;
    let t = encoded.ids.len();

    let _ = writeln!(w, "\n## The study's example: where `{focus_word}` looks in `{sentence}`\n");
    let _ = writeln!(
        w,
        "The study compares `{focus_word}`'s query with every word's key and expects `{object_word}` to \
         get a high weight, because \"like\" is about the apple. A GPT's causal mask hides `{object_word}` \
         from `{focus_word}`; the encoder sees it. Each head's weights (%) from `{focus_word}` (its \
         last token) on each word (summed over the word's tokens) and on the tokens of no word \
         (the spaces that are tokens of their own):\n"
    );
    let _ = writeln!(w, "| layer | head | {} | spaces |\n|---|---|{}---|", words.join(" | "), "---|".repeat(words.len()));
    let query = *word_tokens[focus].last().unwrap_or(&0);
    let mut best = (0, 0, -1.0f32);
    for layer in 0..config.n_layer {
        for head in 0..config.n_head {
            let row = &views::head_weights(&trace, layer, head)?[query * t..][..t];
            let on: Vec<f32> = word_tokens.iter().map(|ps| ps.iter().map(|&p| row[p]).sum()).collect();
            if on[object] > best.2 {
                best = (layer, head, on[object]);
            }
            let rest = 1.0 - on.iter().sum::<f32>();
            let cells: Vec<String> = on.iter().chain([&rest]).map(|x| format!("{:.0}", 100.0 * x)).collect();
            let _ = writeln!(w, "| {} | {} | {} |", layer + 1, head + 1, cells.join(" | "));
        }
    }
    // Layers and heads count from 1 here, as on the page and in its links.
    let (bl, bh, weight) = (best.0 + 1, best.1 + 1, best.2);
    let _ = writeln!(
        w,
        "\nMost on `{object_word}`: **layer {bl}, head {bh}**, {:.0} %: [open this sentence in the \
         page](../../index.html?model=encoder&text={}&focus={}&layer={bl}&head={bh}).",
        100.0 * weight,
        url_encode(sentence),
        url_encode(focus_word),
    );
    Ok(())
}

/// A token as a table shows it: a newline as ⏎, a token that is only a space as ␣.
fn shown(text: &str) -> String {
    if text.trim().is_empty() && !text.contains('\n') {
        return text.replace(' ', "␣");
    }
    text.replace('\n', "⏎")
}
