//! The model card: `README.md` of a model folder, written from the files a training run left
//! there. What the model is, its data and licences, how it was trained, its loss against a
//! unigram baseline, then for a GPT what it writes and which attention head lines up English
//! words with the Chinese words they translate, for the encoder what it fills in
//! ([`crate::encoder_card`]).
//!
//! What only the people who chose the data know (its sources and licences, how the recipe was
//! chosen) comes from a notes file kept with the corpus script, `scripts/corpus-card.md`; see
//! [`Notes`].

use std::fmt::Write as _;
use std::path::Path;

use attention_playground::config::Objective;
use attention_playground::train::data::split_lines;
use attention_playground::engine::Engine;
use attention_playground::ops::attention::Mask;
use attention_playground::sampling;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::trace::Trace;
use attention_playground::train::model::parameter_count;
use attention_playground::views::{self, tokens_of};
use attention_playground::weights::load_safetensors;
use attention_playground::{Error, GptConfig, Result, Tensor};
use tokenizers::Tokenizer;

use crate::prompts::{self, continue_line};
use crate::training_log::{io_error, Evaluation, SourceSummary, TrainingLog};

/// Where a notes section goes in the card; a card without one says less (or something generic).
/// `fills`: what the encoder's fill-ins show and where it fails (an encoder's card only).
const SECTIONS: [&str; 9] = ["title", "intro", "data", "split", "tokenizer", "training", "recipe", "writes", "fills"];

/// The sections of a notes file: Markdown, each section opened by a line
/// `<!-- section: NAME -->` (one of [`SECTIONS`]) and running to the next; text before the
/// first is a comment for the file's readers.
pub struct Notes {
    sections: Vec<(String, String)>,
}

impl Notes {
    pub fn read(path: Option<&Path>) -> Result<Notes> {
        let Some(path) = path else { return Ok(Notes { sections: Vec::new() }) };
        let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
        let mut sections: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            let name = line.strip_prefix("<!-- section: ").and_then(|rest| rest.strip_suffix(" -->"));
            match (name, sections.last_mut()) {
                (Some(name), _) => {
                    if !SECTIONS.contains(&name.trim()) {
                        return Err(Error::Input(format!(
                            "{}: unknown section {name:?} (the card has {})",
                            path.display(),
                            SECTIONS.join(", ")
                        )));
                    }
                    sections.push((name.trim().to_string(), String::new()));
                }
                (None, Some((_, body))) => {
                    body.push_str(line);
                    body.push('\n');
                }
                (None, None) => {}
            }
        }
        for (_, body) in &mut sections {
            *body = body.trim_matches('\n').to_string();
        }
        Ok(Notes { sections })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.sections.iter().find(|(n, _)| n == name).map(|(_, body)| body.as_str())
    }
}

/// Prompts shown in the card, continued to the end of the line.
const PROMPTS: [&str; 8] = [
    "他 喜欢",
    "他 喜欢 户外 运动 |",
    "小明 喜欢 苹果 |",
    "我 想 喝 水 |",
    "He likes",
    "The space is",
    "I want to",
    "My lord,",
];

/// Sentence pairs with the words we expect to align: (English word, its Chinese counterpart).
const ALIGNMENT_PAIRS: [(&str, &[(&str, &str)]); 5] = [
    ("他 喜欢 户外 运动 | He likes outdoor sports.", &[("He", "他"), ("likes", "喜欢"), ("outdoor", "户外"), ("sports", "运动")]),
    ("我 喜欢 苹果 | I like apples.", &[("I", "我"), ("like", "喜欢"), ("apples", "苹果")]),
    ("小明 喜欢 苹果 | Xiao Ming likes apples.", &[("Xiao", "小明"), ("likes", "喜欢"), ("apples", "苹果")]),
    ("我 忘记 他 的 名字 了 | I forgot his name.", &[("I", "我"), ("forgot", "忘记"), ("his", "他"), ("name", "名字")]),
    ("老师 喜欢 看 书 | The teacher likes reading books.", &[("teacher", "老师"), ("likes", "喜欢"), ("reading", "看"), ("books", "书")]),
];

/// Write `dir/README.md` and its figure from the run's files in `dir`, with the prose of the
/// `notes` file where it has any; `val_fraction` is the run's (which lines were held out).
pub fn write_model_card(dir: &Path, notes: Option<&Path>, val_fraction: f32) -> Result<()> {
    let notes = Notes::read(notes)?;
    let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| io_error(&dir.join(name), e));
    let config_json = String::from_utf8_lossy(&read("config.json")?).into_owned();
    let config = GptConfig::from_json(&config_json)?;
    let objective = Objective::from_json(&config_json)?;
    let weights_bytes = read("model.safetensors")?;
    let weights = load_safetensors(&weights_bytes, &config)?;
    let tokenizer_bytes = read("tokenizer.json")?;
    let text_tokenizer = TextTokenizer::from_bytes(&tokenizer_bytes)?;
    let tokenizer = Tokenizer::from_bytes(&tokenizer_bytes).map_err(|e| Error::Tokenizer(e.to_string()))?;
    let log: TrainingLog =
        serde_json::from_slice(&read("training-log.json")?).map_err(|e| Error::Model(format!("training-log.json: {e}")))?;
    let mut engine = prompts::engine(&config, &weights)?;

    let mut card = String::new();
    let w = &mut card;
    let t = &log.train;
    let _ = writeln!(w, "{}\n", notes.get("title").unwrap_or("# A tiny GPT-2"));
    let intro = "A GPT-2-architecture decoder trained from scratch by this repository's own Rust trainer \
                 (`crate/src/train/`, CPU, hand-written backward passes).";
    let _ = writeln!(w, "{}\n", notes.get("intro").unwrap_or(intro));
    let _ = writeln!(w, "| | |\n|---|---|");
    let _ = writeln!(w, "| layers × heads | {} × {} (head size {}) |", config.n_layer, config.n_head, config.head_size());
    let _ = writeln!(w, "| channels C | {} |", config.n_embd);
    let _ = writeln!(w, "| context P | {} tokens |", config.n_positions);
    let mask = if objective.is_encoder() {
        "bidirectional: every token sees every token (BERT-style encoder; BERT's objective and mask, GPT-2's pre-LayerNorm blocks)"
    } else {
        "causal: each token sees the tokens before it (GPT)"
    };
    let _ = writeln!(w, "| attention mask | {mask} |");
    let _ = writeln!(
        w,
        "| vocabulary V | {} (BPE over characters with byte fallback, trained on the same data; shared by the GPT and the encoder) |",
        config.vocab_size
    );
    let head = if weights.lm_head.is_some() { "an untied LM head, `lm_head`" } else { "LM head tied to `wte`" };
    let _ = writeln!(w, "| parameters | {} ({head}) |", parameter_count(&weights));
    let _ = writeln!(w, "| `model.safetensors` | {} bytes (f16, Hugging Face GPT-2 names) |", weights_bytes.len());
    let _ = writeln!(w, "| `tokenizer.json` | {} bytes |", tokenizer_bytes.len());

    let _ = writeln!(w, "\n## Data and licences\n");
    if let Some(data) = notes.get("data") {
        let _ = writeln!(w, "{data}\n");
    }
    let _ = writeln!(w, "| source | sampling weight | train tokens | validation tokens |\n|---|---|---|---|");
    for s in &log.sources {
        let _ = writeln!(w, "| `{}` | {} | {} | {} |", file_name(&s.path), s.weight, s.train_tokens, s.val_tokens);
    }
    let split = "The last 10 % of each file's lines is the validation split; the tokenizer saw only the training lines.";
    let _ = writeln!(w, "\n{}", notes.get("split").unwrap_or(split));

    write_tokenizer_examples(w, &text_tokenizer, &notes)?;

    let _ = writeln!(w, "\n## Training\n");
    let _ = writeln!(w, "{}\n", notes.get("training").unwrap_or("Trained with (recorded command):"));
    let _ = writeln!(w, "```sh\n{}\n```\n", log.command);
    let _ = writeln!(
        w,
        "AdamW (β = 0.9, 0.95; weight decay {} on matrices), learning rate {:.0e} with {} warm-up steps \
         and cosine decay to {:.0e}, gradient clipping at {}, dropout {} (embeddings and each \
         sub-layer's output), {} steps of {} × {} tokens, each sequence beginning at the start of a \
         line, seed {} (same seed, same loss curve). {:.0} s wall-clock including the evaluations, \
         on {} threads = {:.0} tokens/s on a 2-core machine.",
        t.weight_decay,
        t.max_lr,
        t.warmup_steps,
        t.min_lr,
        t.grad_clip,
        t.dropout,
        t.steps,
        t.batch_size,
        t.seq_len,
        t.seed,
        log.seconds,
        log.threads,
        log.tokens_per_second
    );

    let per = if objective.is_encoder() { "masked token (the 15 % BERT's recipe chose; validation masked with a fixed seed)" } else { "token" };
    let _ = writeln!(w, "\n### Loss (cross-entropy, nats per {per})\n");
    write_loss_table(w, &log.sources, &log.evaluations);
    if let Some(last) = log.evaluations.last() {
        let _ = writeln!(w, "\nValidation loss against a unigram baseline (each token predicted by its training frequency, ignoring context), and the model's per character of text (tokens per character of the validation lines × loss per token: comparable across tokenizers):\n");
        let _ = writeln!(w, "| source | unigram | model | perplexity unigram → model | model, nats per character |\n|---|---|---|---|---|");
        for (s, &model_loss) in log.sources.iter().zip(&last.val_loss) {
            let per_char = validation_chars(&s.path, val_fraction)
                .map_or("–".to_string(), |chars| format!("{:.3}", model_loss * s.val_tokens as f32 / chars as f32));
            let _ = writeln!(
                w,
                "| `{}` | {:.3} | {:.3} | {:.0} → {:.0} | {per_char} |",
                file_name(&s.path),
                s.unigram_val_loss,
                model_loss,
                s.unigram_val_loss.exp(),
                model_loss.exp()
            );
        }
    }

    if let Some(recipe) = notes.get("recipe") {
        let _ = writeln!(w, "\n{recipe}");
    }
    if let Some(mask_token) = &objective.mask_token {
        crate::encoder_card::write_fill_ins(w, &mut engine, &config, &text_tokenizer, mask_token, &log, val_fraction, &notes)?;
        let path = dir.join("README.md");
        return std::fs::write(&path, card).map_err(|e| io_error(&path, e));
    }
    let _ = writeln!(w, "\n## What it writes\n");
    let _ = writeln!(w, "Each prompt continued to the end of its line by the trained weights: the most likely token each time (greedy), and one sample at temperature 0.8 (seed 0).\n");
    let _ = writeln!(w, "| prompt | greedy | sampled |\n|---|---|---|");
    for prompt in PROMPTS {
        let greedy = continue_line(&mut engine, &text_tokenizer, prompt, 30, &prompts::options(0.0, 0))?;
        let sampled = continue_line(&mut engine, &text_tokenizer, prompt, 30, &prompts::options(0.8, 0))?;
        let _ = writeln!(w, "| {} | {} | {} |", cell(prompt), cell(&greedy), cell(&sampled));
    }
    if let Some(writes) = notes.get("writes") {
        let _ = writeln!(w, "\n{writes}");
    }

    let figure = write_alignment(w, &mut engine, &config, &tokenizer, &text_tokenizer)?;
    let figure_path = dir.join(FIGURE);
    std::fs::write(&figure_path, figure).map_err(|e| io_error(&figure_path, e))?;

    let path = dir.join("README.md");
    std::fs::write(&path, card).map_err(|e| io_error(&path, e))
}

/// Characters in the validation lines of a corpus file, if it is still there.
fn validation_chars(path: &str, val_fraction: f32) -> Option<usize> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(split_lines(&text, val_fraction).1.chars().count())
}

/// Sentences shown split into tokens in the card.
const TOKENIZER_EXAMPLES: [&str; 3] = ["小明 喜欢 苹果", "The space is a large area.", "他 喜欢 户外 运动 | He likes outdoor sports."];

/// How the example sentences split into tokens, pieces of a character numbered as the page
/// numbers them ([`views::tokens_of`]).
fn write_tokenizer_examples(w: &mut String, tokenizer: &TextTokenizer, notes: &Notes) -> Result<()> {
    let _ = writeln!(w, "\n## Tokenizer\n");
    let about = "BPE over characters: every character of the training text is a token, frequent words became \
                 single tokens; only a character the data never had is spelled as its UTF-8 bytes. `␣` marks a \
                 leading space.";
    let _ = writeln!(w, "{}\n", notes.get("tokenizer").unwrap_or(about));
    let _ = writeln!(w, "| text | tokens |\n|---|---|");
    for text in TOKENIZER_EXAMPLES {
        // The whole sentence, even past a tiny model's context.
        let tokens = tokens_of(tokenizer, usize::MAX, text)?;
        let shown: Vec<String> = tokens
            .display
            .iter()
            .zip(&tokens.ids)
            .map(|(label, &id)| {
                // A piece of a character is shown as that character; the token's own text says
                // whether it begins with a space.
                let space = if views::token_label(tokenizer, id).starts_with(' ') { "␣" } else { "" };
                format!("`{space}{}`", label.trim().replace('|', "\\|"))
            })
            .collect();
        let _ = writeln!(w, "| {} | {} ({} tokens) |", cell(text), shown.join(" "), shown.len());
    }
    Ok(())
}

/// A word of a sentence pair: its text and byte range in the pair.
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

/// Words of `text[from..to]`: runs of letters, digits and apostrophes (CJK characters count as
/// letters, and the Chinese side is already split by spaces).
fn words(text: &str, from: usize, to: usize) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, ch) in text[from..to].char_indices().map(|(i, c)| (from + i, c)).chain([(to, ' ')]) {
        let in_word = ch.is_alphanumeric() || ch == '\'';
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Word { text: &text[s..i], start: s, end: i });
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The figure written next to the card: the best aligning head's weights on the first pair.
const FIGURE: &str = "attention-alignment.svg";

/// For every head, how often the attention from an English word lands most on the Chinese word
/// it translates; then the best head's weights for each pair, as tables. Returns the best head's
/// whole attention pattern on the first pair as an SVG figure.
fn write_alignment(w: &mut String, engine: &mut Engine, config: &GptConfig, tokenizer: &Tokenizer, text_tokenizer: &TextTokenizer) -> Result<String> {
    let nh = config.n_head;
    // hits[layer][head][variant]: variant 0 = the English word's own first token attends,
    // variant 1 = the token just before it (the one that has to predict the word) attends.
    let mut hits = vec![vec![[0usize; 2]; nh]; config.n_layer];
    let mut total = 0;
    let mut tables = Vec::new();
    for (pair, expected) in ALIGNMENT_PAIRS {
        let encoding = tokenizer.encode(pair, false).map_err(|e| Error::Tokenizer(e.to_string()))?;
        let ids = encoding.get_ids();
        if ids.len() > config.n_positions {
            continue; // longer than the model's context (only with a tiny test model)
        }
        let offsets = encoding.get_offsets();
        let bar = pair.find('|').unwrap_or(pair.len());
        let (chinese, english) = (words(pair, 0, bar), words(pair, bar, pair.len()));
        // Token positions of each word: the tokens whose text overlaps it (a token's offsets
        // include the space before a word).
        let positions = |word: &Word| -> Vec<usize> {
            (0..ids.len()).filter(|&i| offsets[i].0 < word.end && offsets[i].1 > word.start).collect()
        };
        let chinese_positions: Vec<Vec<usize>> = chinese.iter().map(positions).collect();
        let trace = traced(engine, ids)?;
        let len = ids.len();
        // Attention of query `q` on each Chinese word (summed over its tokens), per layer and head.
        let on_chinese = |layer: usize, head: usize, q: usize| -> Vec<f32> {
            let row = &views::head_weights(&trace, layer, head).expect("layer and head of the model")[q * len..][..len];
            chinese_positions.iter().map(|ps| ps.iter().map(|&p| row[p]).sum()).collect()
        };
        let mut rows = Vec::new();
        for &(en, zh) in expected {
            let (Some(en_word), Some(zh_index)) = (english.iter().find(|x| x.text == en), chinese.iter().position(|x| x.text == zh)) else {
                continue;
            };
            let Some(&first) = positions(en_word).first() else { continue };
            total += 1;
            for (layer, layer_hits) in hits.iter_mut().enumerate() {
                for (head, head_hits) in layer_hits.iter_mut().enumerate() {
                    for (variant, q) in [first, first.saturating_sub(1)].into_iter().enumerate() {
                        if argmax(&on_chinese(layer, head, q)) == zh_index {
                            head_hits[variant] += 1;
                        }
                    }
                }
            }
            rows.push((en_word.text.to_string(), first));
        }
        let columns: Vec<String> = chinese.iter().map(|x| x.text.to_string()).collect();
        let attention: Vec<Vec<Vec<Vec<f32>>>> = (0..config.n_layer)
            .map(|l| (0..nh).map(|h| rows.iter().map(|(_, q)| [on_chinese(l, h, *q), on_chinese(l, h, q.saturating_sub(1))].concat()).collect()).collect())
            .collect();
        tables.push((pair, ids.to_vec(), columns, rows, attention));
    }
    let (mut best, mut best_hits) = ((0, 0, 0), 0);
    for (l, layer_hits) in hits.iter().enumerate() {
        for (h, head_hits) in layer_hits.iter().enumerate() {
            for (v, &n) in head_hits.iter().enumerate() {
                if n > best_hits {
                    (best, best_hits) = ((l, h, v), n);
                }
            }
        }
    }

    let _ = writeln!(w, "\n## Attention: English words looking back at their Chinese counterparts\n");
    let _ = writeln!(
        w,
        "The mask is causal and the Chinese sentence comes first, so alignment shows up as English \
         tokens attending back to the Chinese words they translate. For {} English words of {} \
         hand-made pairs with a known counterpart, the count of heads' arg-max Chinese word being \
         that counterpart (\"own token\": the word's first token attends; \"token before\": the \
         token that has to predict the word attends):\n",
        total,
        ALIGNMENT_PAIRS.len()
    );
    let _ = writeln!(w, "| layer | head | own token | token before |\n|---|---|---|---|");
    for (l, layer_hits) in hits.iter().enumerate() {
        for (h, head_hits) in layer_hits.iter().enumerate() {
            let _ = writeln!(w, "| {} | {} | {}/{total} | {}/{total} |", l + 1, h + 1, head_hits[0], head_hits[1]);
        }
    }
    let (layer, head, bv) = best;
    // Layers and heads are written counting from 1, as on the page and in its links.
    let (bl, bh) = (layer + 1, head + 1);
    let variant = ["its own first token", "the token before it"][bv];
    let _ = writeln!(
        w,
        "\nBest: **layer {bl}, head {bh}** ({best_hits}/{total}, attending from {variant}). Its weights \
         (%, summed over each Chinese word's tokens; the rest goes to `|`, punctuation and earlier \
         English tokens), as the page's trace shows them:\n"
    );
    let (figure_pair, _) = ALIGNMENT_PAIRS[0];
    let _ = writeln!(
        w,
        "![Layer {bl}, head {bh}: the attention weights of every token of `{figure_pair}` on the \
         tokens before it]({FIGURE})\n\n*Layer {bl}, head {bh} on the first pair: row = the token \
         attending, column = the token attended to, darker = more weight (each row sums to 100 %). \
         [Open this sentence in the page](../../index.html?text={}&layer={bl}&head={bh}).*\n",
        url_encode(figure_pair),
    );
    let row_header = ["English word (its first token attends)", "token attending → the English word it predicts"][bv];
    for (pair, ids, columns, rows, attention) in &tables {
        let _ = writeln!(w, "`{pair}`\n");
        let _ = writeln!(w, "| {row_header} | {} |\n|---|{}", columns.join(" | "), "---|".repeat(columns.len()));
        for ((word, first), weights) in rows.iter().zip(&attention[layer][head]) {
            let label = if bv == 0 {
                word.clone()
            } else {
                format!("{} → {word}", cell(&text_tokenizer.decode(&[ids[first.saturating_sub(1)]])?))
            };
            let part = &weights[bv * columns.len()..(bv + 1) * columns.len()];
            let best_column = argmax(part);
            let cells: Vec<String> = part
                .iter()
                .enumerate()
                .map(|(i, x)| if i == best_column { format!("**{:.0}**", 100.0 * x) } else { format!("{:.0}", 100.0 * x) })
                .collect();
            let _ = writeln!(w, "| {label} | {} |", cells.join(" | "));
        }
        let _ = writeln!(w);
    }
    attention_figure(engine, config, text_tokenizer, figure_pair, layer, head)
}

/// The engine's recorded forward pass over `ids`, causal.
fn traced(engine: &mut Engine, ids: &[u32]) -> Result<Trace<Tensor>> {
    traced_with(engine, ids, Mask::Causal)
}

pub fn traced_with(engine: &mut Engine, ids: &[u32], mask: Mask) -> Result<Trace<Tensor>> {
    let output = pollster::block_on(engine.forward(ids, mask, true))?;
    output.trace.ok_or_else(|| Error::Model("the engine returned no trace".into()))
}

/// An SVG heat map of one head's attention weights (T × T, causal) on `text`, tokens labelled.
fn attention_figure(engine: &mut Engine, config: &GptConfig, tokenizer: &TextTokenizer, text: &str, layer: usize, head: usize) -> Result<String> {
    // At most the model's context (a tiny test model may not hold the whole pair).
    let tokens = tokens_of(tokenizer, config.n_positions, text)?;
    let n = tokens.ids.len();
    let labels: Vec<String> = tokens.display.iter().map(|l| l.trim().to_string()).collect();
    let trace = traced(engine, &tokens.ids)?;
    let att = views::head_weights(&trace, layer, head)?;

    const CELL: usize = 30;
    const LEFT: usize = 90; // room for the row labels
    const TOP: usize = 110; // room for the caption and the column labels
    let (width, height) = ((LEFT + n * CELL + 40).max(480), TOP + n * CELL + 10);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="'Noto Sans', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif" font-size="13">"#
    );
    let _ = writeln!(svg, r#"<rect width="{width}" height="{height}" fill="white"/>"#);
    let _ = writeln!(svg, r#"<text x="10" y="20" font-size="15" font-weight="bold">Layer {}, head {}: attention weights (%)</text>"#, layer + 1, head + 1);
    let _ = writeln!(svg, r##"<text x="10" y="38" fill="#555">row: the token attending · column: the token it attends to</text>"##);
    for (i, label) in labels.iter().enumerate() {
        let y = TOP + i * CELL + CELL / 2 + 5;
        let x = LEFT + i * CELL + CELL / 2;
        let label = xml_escape(label);
        let _ = writeln!(svg, r#"<text x="{}" y="{y}" text-anchor="end">{label}</text>"#, LEFT - 6);
        let _ = writeln!(svg, r#"<text transform="translate({x} {}) rotate(-60)" text-anchor="start">{label}</text>"#, TOP - 6);
    }
    for q in 0..n {
        for k in 0..=q {
            let weight = att[q * n + k];
            let (x, y) = (LEFT + k * CELL, TOP + q * CELL);
            // White to a deep blue, by weight.
            let mix = |full: f32| (255.0 - (255.0 - full) * weight.clamp(0.0, 1.0)).round() as u8;
            let _ = writeln!(
                svg,
                r##"<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="#{:02x}{:02x}{:02x}" stroke="#ddd"><title>{} → {}: {:.1} %</title></rect>"##,
                mix(24.0),
                mix(72.0),
                mix(160.0),
                xml_escape(&labels[q]),
                xml_escape(&labels[k]),
                100.0 * weight
            );
            if weight >= 0.1 {
                let color = if weight > 0.5 { "white" } else { "#123" };
                let _ = writeln!(
                    svg,
                    r#"<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="{color}">{:.0}</text>"#,
                    x + CELL / 2,
                    y + CELL / 2 + 4,
                    100.0 * weight
                );
            }
        }
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Percent-encoding for a URL query value.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The index of the largest value (the first on a tie).
fn argmax(x: &[f32]) -> usize {
    sampling::argmax(x).unwrap_or(0) as usize
}

/// The loss table of a card: one row per evaluation, with the validation loss of each source.
pub fn write_loss_table(w: &mut String, sources: &[SourceSummary], evaluations: &[Evaluation]) {
    let names: Vec<String> = sources.iter().map(|s| format!("val `{}`", file_name(&s.path))).collect();
    let _ = writeln!(w, "| step | train (mean since last row) | {} | elapsed |", names.join(" | "));
    let _ = writeln!(w, "|---|---|{}---|", "---|".repeat(names.len()));
    for e in evaluations {
        let val: Vec<String> = e.val_loss.iter().map(|l| format!("{l:.3}")).collect();
        let _ = writeln!(w, "| {} | {:.3} | {} | {:.0} s |", e.step, e.train_loss, val.join(" | "), e.elapsed_s);
    }
}

/// Text safe inside a Markdown table cell.
pub fn cell(text: &str) -> String {
    format!("`{}`", text.trim_end_matches('\n').replace('|', "\\|").replace('`', "'"))
}

pub fn file_name(path: &str) -> String {
    Path::new(path).file_name().map_or(path.to_string(), |n| n.to_string_lossy().into_owned())
}
