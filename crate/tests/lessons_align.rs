//! The lessons' chapter 1 (alignment) and chapter 7 (prompt formats, induction) analyses,
//! natively: words grouped from the shipped tokenizer's tokens, the matrix and the scores
//! against the trace read directly, the held-out set's gold links, the repeated random tokens,
//! and what the shipped GPT does with them.

use std::collections::HashMap;

use attention_playground::attention::Mask;
use attention_playground::backend::BackendKind;
use attention_playground::engine::Engine;
use attention_playground::lessons::alignment::{self, AlignmentSet, GoldPair, Reading};
use attention_playground::lessons::induction::{self, Script};
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::trace::Trace;
use attention_playground::weights::load_safetensors;
use attention_playground::{GptConfig, Tensor};
use pollster::block_on;

const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/models/default");
const PAIRS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/lessons/data/alignment-pairs.json");
const PAIR: &str = "小明 喜欢 苹果 | Xiaoming likes apples.";

fn tokenizer() -> TextTokenizer {
    TextTokenizer::from_bytes(&std::fs::read(format!("{MODEL}/tokenizer.json")).unwrap()).unwrap()
}

/// The shipped default GPT on `backend`.
fn engine(backend: BackendKind) -> Engine {
    let config = GptConfig::from_json(&std::fs::read_to_string(format!("{MODEL}/config.json")).unwrap()).unwrap();
    let weights = load_safetensors(&std::fs::read(format!("{MODEL}/model.safetensors")).unwrap(), &config).unwrap();
    block_on(Engine::new(config, weights, Some(backend))).unwrap()
}

fn trace(engine: &mut Engine, ids: &[u32]) -> Trace<Tensor> {
    block_on(engine.forward(ids, Mask::Causal, true)).unwrap().trace.unwrap()
}

fn committed_set() -> AlignmentSet {
    serde_json::from_str(&std::fs::read_to_string(PAIRS).unwrap()).unwrap()
}

/// Weight of query `q` on key `k` in one head, read from the trace's (NH, T, T) tensor directly.
fn weight(trace: &Trace<Tensor>, layer: usize, head: usize, q: usize, k: usize) -> f32 {
    let w = &trace.layers[layer].attention.weights;
    let t = w.shape[1];
    w.data[(head * t + q) * t + k]
}

#[test]
fn a_pairs_tokens_group_back_into_its_words() {
    let tokenizer = tokenizer();
    let encoded = tokenizer.encode(PAIR).unwrap();
    // 小 明 ␣喜欢 ␣ 苹 果 ␣| ␣ X ia om ing ␣likes ␣app les .
    assert_eq!(encoded.pieces.len(), 16, "{:?}", encoded.pieces);
    let words = alignment::pair_words(PAIR, &encoded, encoded.ids.len()).unwrap();
    let texts = |ws: &[alignment::Word]| ws.iter().map(|w| w.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&words.chinese), ["小明", "喜欢", "苹果"]);
    assert_eq!(texts(&words.english), ["Xiaoming", "likes", "apples"]);
    let tokens: Vec<Vec<usize>> = words.chinese.iter().chain(&words.english).map(|w| w.tokens.clone()).collect();
    assert_eq!(tokens, [vec![0, 1], vec![2], vec![4, 5], vec![8, 9, 10, 11], vec![12], vec![13, 14]]);
    // Each word's tokens spell it (a token may carry the space before the word).
    for w in words.chinese.iter().chain(&words.english) {
        let spelled: String = w.tokens.iter().map(|&i| encoded.pieces[i].as_str()).collect();
        assert_eq!(spelled.trim_start(), w.text);
    }
    // Cut to the context: a word with no token left is dropped, one partly inside keeps what fits.
    let cut = alignment::pair_words(PAIR, &encoded, 10).unwrap();
    assert_eq!(texts(&cut.english), ["Xiaoming"]);
    assert_eq!(cut.english[0].tokens, [8, 9]);
    // Not a pair: a clear error.
    let error = alignment::pair_words("小明 喜欢 苹果", &tokenizer.encode("小明 喜欢 苹果").unwrap(), 64).unwrap_err();
    assert!(error.to_string().contains('|'), "{error}");
    assert!(alignment::pair_words("| apples", &tokenizer.encode("| apples").unwrap(), 64).is_err());
}

#[test]
fn the_matrix_sums_each_chinese_words_token_weights_from_the_reading_token() {
    let tokenizer = tokenizer();
    let mut engine = engine(BackendKind::Scalar);
    let ids = tokenizer.encode(PAIR).unwrap().ids;
    let trace = trace(&mut engine, &ids);
    let chinese_tokens = [vec![0, 1], vec![2], vec![4, 5]];
    let english_first = [8, 12, 13];
    for (layer, head) in [(0, 0), (1, 1), (1, 3)] {
        for reading in Reading::ALL {
            let view = alignment::alignment(&trace, &tokenizer, 64, PAIR, layer, head, reading).unwrap();
            assert_eq!((view.layer, view.head, view.reading), (layer, head, reading));
            assert_eq!(view.chinese, ["小明", "喜欢", "苹果"]);
            for (e, &first) in english_first.iter().enumerate() {
                let q = if reading == Reading::Predicting { first - 1 } else { first };
                assert_eq!(view.from[e], q);
                let want: Vec<f32> = chinese_tokens.iter().map(|ks| ks.iter().map(|&k| weight(&trace, layer, head, q, k)).sum()).collect();
                for (got, want) in view.weights[e].iter().zip(&want) {
                    assert!((got - want).abs() < 1e-6, "{got} vs {want}");
                }
                let all: f32 = (0..ids.len()).map(|k| weight(&trace, layer, head, q, k)).sum();
                assert!((view.rest[e] - (all - want.iter().sum::<f32>())).abs() < 1e-5);
                let best = (0..3).max_by(|&a, &b| want[a].total_cmp(&want[b])).unwrap();
                assert_eq!(view.best[e], best);
            }
        }
    }
    // The predicting token of `Xiaoming` is the lone space before it, of `likes` the word's end.
    let view = alignment::alignment(&trace, &tokenizer, 64, PAIR, 1, 1, Reading::Predicting).unwrap();
    assert_eq!(view.from_labels, [" ", "ing", " likes"]);
    // A pass over another text is refused, and so is a head the model lacks.
    assert!(alignment::alignment(&trace, &tokenizer, 64, "我 喜欢 苹果 | I like apples.", 1, 1, Reading::Own).is_err());
    assert!(alignment::alignment(&trace, &tokenizer, 64, PAIR, 1, 4, Reading::Own).is_err());
}

#[test]
fn gold_links_come_from_the_gloss_and_skip_ambiguous_words() {
    let dictionary: HashMap<String, String> = [("我", "I"), ("喜欢", "to like"), ("苹果", "apple"), ("吃", "to eat"), ("的", "of"), ("东西", "thing"), ("物品", "thing")]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let links = alignment::gold_links("我 喜欢 吃 苹果 | I like eating apples.", &dictionary).unwrap();
    let pairs: Vec<(&str, &str)> = links.iter().map(|l| (l.en.as_str(), l.zh.as_str())).collect();
    assert_eq!(pairs, [("I", "我"), ("like", "喜欢"), ("eating", "吃"), ("apples", "苹果")]);
    assert_eq!((links[3].english, links[3].chinese), (3, 3));
    // `likes`, `studied`-style endings match; a filler gloss (`of`) links nothing; two Chinese
    // words glossed `thing` are ambiguous and left out.
    let links = alignment::gold_links("我 的 东西 物品 | My thing likes things.", &dictionary).unwrap();
    assert!(links.iter().all(|l| l.zh != "东西" && l.zh != "物品" && l.zh != "的"), "{links:?}");
    assert!(alignment::gold_links("no bar here", &dictionary).is_err());
}

#[test]
fn the_held_out_set_uses_only_the_validation_lines() {
    let pairs: String = (0..10).map(|i| format!("我 喜欢 苹果{i} | I like apples.\n")).collect();
    let dictionary = "我 | I\n喜欢 | to like\n";
    let set = alignment::held_out_set(&pairs, dictionary, 0.2, |_| Ok(true)).unwrap();
    let texts: Vec<&str> = set.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["我 喜欢 苹果8 | I like apples.", "我 喜欢 苹果9 | I like apples."]);
    assert_eq!(set[0].links.len(), 2);
    // A line that does not fit is left out.
    let fitting = alignment::held_out_set(&pairs, dictionary, 0.2, |line| Ok(!line.contains('9'))).unwrap();
    assert_eq!(fitting.len(), 1);
}

/// Rebuilt from the corpus (when scripts/download-corpus.sh has fetched it), the committed set
/// comes out the same: it is the corpus's validation pairs, not a hand-picked list.
#[test]
fn the_committed_set_is_what_the_corpus_gives() {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/corpus");
    let (Ok(pairs), Ok(words)) = (std::fs::read_to_string(format!("{corpus}/hsk.txt")), std::fs::read_to_string(format!("{corpus}/hsk-words.txt"))) else {
        eprintln!("data/corpus is not there (scripts/download-corpus.sh): only the committed set's shape is checked");
        let set = committed_set();
        assert!(set.pairs.len() > 100 && set.licence == "CC-BY-SA-4.0");
        return;
    };
    let tokenizer = tokenizer();
    let rebuilt = alignment::held_out_set(&pairs, &words, 0.1, |line| Ok(tokenizer.encode(line)?.ids.len() <= 64)).unwrap();
    assert_eq!(rebuilt, committed_set().pairs);
}

#[test]
fn head_scores_count_the_matrix_arg_max_on_the_gold_word() {
    let tokenizer = tokenizer();
    let mut engine = engine(BackendKind::Simd);
    let set: Vec<GoldPair> = committed_set().pairs.into_iter().take(25).collect();
    let scores = block_on(alignment::score_heads(&mut engine, &tokenizer, &set)).unwrap();
    let words: usize = set.iter().map(|p| p.links.len()).sum();
    assert_eq!((scores.pairs, scores.skipped, scores.words, scores.heads.len()), (25, 0, words, 8));
    // The same count through the matrix view, pair by pair.
    let mut hits = vec![[0usize; 2]; 8];
    let (mut chance, mut by_position) = (0.0, 0);
    for pair in &set {
        let ids = tokenizer.encode(&pair.text).unwrap().ids;
        let trace = trace(&mut engine, &ids);
        for (i, hit) in hits.iter_mut().enumerate() {
            for (r, reading) in Reading::ALL.into_iter().enumerate() {
                let view = alignment::alignment(&trace, &tokenizer, 64, &pair.text, i / 4, i % 4, reading).unwrap();
                hit[r] += pair.links.iter().filter(|l| view.best[l.english] == l.chinese).count();
                if i == 0 && r == 0 {
                    chance += pair.links.len() as f64 / view.chinese.len() as f64;
                    // Word order alone: the same fraction of the way through each half.
                    let (e_words, z_words) = (view.english.len() as f64, view.chinese.len() as f64);
                    by_position += pair.links.iter().filter(|l| ((l.english as f64 / (e_words - 1.0)) * (z_words - 1.0)).round() as usize == l.chinese).count();
                }
            }
        }
    }
    for (h, hit) in scores.heads.iter().zip(&hits) {
        assert_eq!((h.predicting, h.own), (hit[0] as f32 / words as f32, hit[1] as f32 / words as f32), "layer {} head {}", h.layer, h.head);
    }
    assert!((f64::from(scores.chance) - chance / words as f64).abs() < 1e-6);
    assert_eq!(scores.position, by_position as f32 / words as f32);
    assert_eq!((alignment::position_guess(0, 1, 5), alignment::position_guess(2, 3, 5), alignment::position_guess(1, 4, 3)), (0, 4, 1));
    let best = scores.heads.iter().map(|h| h.predicting.max(h.own)).fold(0.0, f32::max);
    assert_eq!(scores.best_score, best);
    // A stale set (the words moved) is an error, not a wrong score.
    let mut stale = set.clone();
    stale[0].links[0].english += 1;
    assert!(block_on(alignment::score_heads(&mut engine, &tokenizer, &stale)).is_err());
}

/// What chapter 1 tells the learner, checked on the shipped model and the whole held-out set.
#[test]
fn the_shipped_gpt_has_a_head_that_aligns_far_above_chance() {
    let scores = block_on(alignment::score_heads(&mut engine(BackendKind::Simd), &tokenizer(), &committed_set().pairs)).unwrap();
    assert!(scores.best_score > 2.0 * scores.chance, "best {} vs chance {}", scores.best_score, scores.chance);
    // Word order alone comes close (the chapter says so); the best head still does better.
    assert!(scores.position > scores.chance && scores.best_score > scores.position, "best {} vs position {}", scores.best_score, scores.position);
    assert_eq!(scores.best_reading, Reading::Predicting, "the token before a word aligns best");
}

#[test]
fn random_tokens_are_distinct_ordinary_words_repeated_once() {
    let tokenizer = tokenizer();
    let ids = induction::repeated_tokens(&tokenizer, 4000, 64, 7, 20).unwrap();
    assert_eq!(ids.len(), 40);
    assert_eq!(ids[..20], ids[20..]);
    let mut first = ids[..20].to_vec();
    first.sort();
    first.dedup();
    assert_eq!(first.len(), 20, "no token twice in the first pass");
    let ordinary = induction::ordinary_tokens(&tokenizer, 4000);
    assert!(ordinary.len() > 1000);
    for &id in &ids {
        let text = tokenizer.token_text(id).unwrap();
        assert!(ordinary.contains(&id));
        assert!(!text.contains('|') && !text.contains('\n') && !text.starts_with('<') && text != "[MASK]", "{text:?}");
    }
    // Same seed, same tokens; another seed, others.
    assert_eq!(induction::repeated_tokens(&tokenizer, 4000, 64, 7, 20).unwrap(), ids);
    assert_ne!(induction::repeated_tokens(&tokenizer, 4000, 64, 8, 20).unwrap(), ids);
    assert!(induction::repeated_tokens(&tokenizer, 4000, 64, 7, 33).is_err(), "66 tokens do not fit 64");
    assert!(induction::repeated_tokens(&tokenizer, 4000, 64, 7, 1).is_err());
}

#[test]
fn induction_scores_and_pass_probabilities_read_the_trace() {
    let tokenizer = tokenizer();
    let mut engine = engine(BackendKind::Scalar);
    let n = 12;
    let view = block_on(induction::induction(&mut engine, &tokenizer, 3, n)).unwrap();
    assert_eq!(view.ids, induction::repeated_tokens(&tokenizer, 4000, 64, 3, n).unwrap());
    let trace = self::trace(&mut engine, &view.ids);
    let t = 2 * n;
    for h in &view.heads {
        let mean = |pairs: Vec<(usize, usize)>| pairs.iter().map(|&(q, k)| f64::from(weight(&trace, h.layer, h.head, q, k))).sum::<f64>() / pairs.len() as f64;
        let close = |got: f32, want: f64| (f64::from(got) - want).abs() < 1e-6;
        assert!(close(h.induction, mean((n..t).map(|i| (i, i - n + 1)).collect())));
        assert!(close(h.duplicate, mean((n..t).map(|i| (i, i - n)).collect())));
        assert!(close(h.previous_token, mean((1..t).map(|i| (i, i - 1)).collect())));
        assert!(close(h.itself, mean((1..t).map(|i| (i, i)).collect())));
        assert!(close(h.first, mean((1..t).map(|i| (i, 0)).collect())));
    }
    let best = view.heads.iter().map(|h| h.induction).fold(0.0, f32::max);
    assert_eq!(view.best_score, best);
    assert_eq!(view.has_induction_head, best >= induction::INDUCTION_THRESHOLD);
    // The right next token's probability, by a float64 softmax of the logits.
    let probability = |p: usize| {
        let row = trace.logits.row(p);
        let max = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let sum: f64 = row.iter().map(|&x| f64::from(x - max).exp()).sum();
        f64::from(row[view.ids[p + 1] as usize] - max).exp() / sum
    };
    assert_eq!(view.first_pass.len(), n - 1);
    for k in 1..n {
        assert!((f64::from(view.first_pass[k - 1]) - probability(k - 1)).abs() < 1e-6);
        assert!((f64::from(view.second_pass[k - 1]) - probability(n + k - 1)).abs() < 1e-6);
    }
    assert_eq!(view.weights.len(), 2 * 4 * t * t);
    // An even spread over the i + 1 visible tokens: the "no pattern" level.
    let even: f64 = (n..t).map(|i| 1.0 / (i + 1) as f64).sum::<f64>() / n as f64;
    assert!((f64::from(view.even_induction) - even).abs() < 1e-6);
    // A pass that is not a repeat is refused.
    let other = self::trace(&mut engine, &tokenizer.encode(PAIR).unwrap().ids);
    assert!(induction::induction_of(&other, &tokenizer, 3, 8).is_err());
}

#[test]
fn next_tokens_are_sorted_by_the_script_they_start() {
    let tokenizer = tokenizer();
    let id = |text: &str| tokenizer.token_id(text).unwrap_or_else(|| panic!("no token {text:?}"));
    assert_eq!(induction::script_of(&tokenizer, id(" The")), Script::English);
    assert_eq!(induction::script_of(&tokenizer, id(" 喜欢")), Script::Chinese);
    assert_eq!(induction::script_of(&tokenizer, id(" |")), Script::Other);
    assert_eq!(induction::script_of(&tokenizer, id("<0xE9>")), Script::Chinese, "the lead byte of a CJK character");
    assert_eq!(induction::script_of(&tokenizer, id(".")), Script::Other);
    let variants = induction::format_variants("小明 喜欢 苹果 | Xiao").unwrap();
    assert_eq!(variants, ["小明 喜欢 苹果 |", "小明 喜欢 苹果", "小明 喜欢 苹果 ="]);
    assert!(induction::format_variants(" | apples").is_err());
}

/// What chapter 7 tells the learner, on the shipped model: after `|` the model starts English;
/// without it, it does not (it writes the `|` itself first).
#[test]
fn the_bar_steers_the_shipped_gpt_into_english() {
    let tokenizer = tokenizer();
    let mut engine = engine(BackendKind::Scalar);
    let prompts = induction::format_variants("小明 喜欢 苹果").unwrap();
    let views = block_on(induction::prompt_formats(&mut engine, &tokenizer, &prompts)).unwrap();
    for v in &views {
        assert!((v.english + v.chinese + v.other - 1.0).abs() < 1e-4);
        assert!(v.top.windows(2).all(|w| w[0].probability >= w[1].probability));
        assert!(!v.continuation.contains('\n'));
    }
    let (bar, plain) = (&views[0], &views[1]);
    assert!(bar.english > 0.5 && plain.english < 0.1, "{} vs {}", bar.english, plain.english);
    assert_eq!(bar.top[0].script, Script::English);
    assert_eq!(plain.top[0].text, " |");
    assert!(block_on(induction::prompt_formats(&mut engine, &tokenizer, &["".to_string()])).is_err());
}

/// The CLI's lesson commands, run as a user would: JSON on success, one `error:` line otherwise.
#[test]
fn the_lesson_commands_print_json_and_refuse_bad_input() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_attention-playground"))
            .args(args)
            .args(["--model", MODEL, "--backend", "scalar"])
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let fails = |args: &[&str], says: &str| {
        let (ok, stdout, stderr) = run(args);
        assert!(!ok && stdout.is_empty(), "{args:?} should fail");
        assert!(stderr.starts_with("error:") && !stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr:?} does not say {says:?}");
    };
    // A small held-out set keeps the command quick.
    let mut set = committed_set();
    set.pairs.truncate(3);
    let dir = std::env::temp_dir().join(format!("lessons-align-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pairs = dir.join("pairs.json");
    std::fs::write(&pairs, serde_json::to_string(&set).unwrap()).unwrap();
    let pairs = pairs.to_str().unwrap();

    let (ok, stdout, stderr) = run(&["align", "--text", PAIR, "--pairs", pairs, "--layer", "0", "--head", "2", "--reading", "own"]);
    assert!(ok, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["scores"]["heads"].as_array().unwrap().len(), 8);
    assert_eq!(json["scores"]["pairs"], 3);
    assert_eq!((json["alignment"]["layer"].as_u64(), json["alignment"]["head"].as_u64()), (Some(0), Some(2)));
    assert_eq!(json["alignment"]["reading"], "own");
    assert_eq!(json["alignment"]["english"], serde_json::json!(["Xiaoming", "likes", "apples"]));
    let (ok, stdout, _) = run(&["induction", "--seed", "4", "--length", "8"]);
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["ids"].as_array().unwrap().len(), 16);
    let (ok, stdout, _) = run(&["prompt-formats", "--text", "我 想 喝 水"]);
    assert!(ok);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["prompts"].as_array().unwrap().len(), 3);

    fails(&["align", "--text", "小明 喜欢 苹果", "--pairs", pairs], "|");
    fails(&["align", "--text", PAIR, "--pairs", pairs, "--layer", "5", "--head", "0"], "layer 5");
    fails(&["align", "--text", PAIR, "--pairs", pairs, "--reading", "sideways"], "sideways");
    fails(&["align", "--text", PAIR, "--pairs", "/nonexistent/pairs.json"], "/nonexistent/pairs.json");
    fails(&["induction", "--length", "40"], "2 to 32");
    fails(&["prompt-formats", "--text", " | apples"], "Chinese sentence");
    fails(&["alignment-pairs", "--corpus", "/nonexistent", "--out", dir.join("out.json").to_str().unwrap()], "hsk.txt");
    std::fs::remove_dir_all(&dir).unwrap();
}
