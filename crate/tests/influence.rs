//! The lessons' chapter 3 measure (`lessons::influence`) on the shipped models: the GPT in
//! `www/models/default` and the GRU in `www/models/rnn`, which read the same tokens. Its
//! definition (replacing a token by itself changes nothing, it is a total variation in [0, 1]),
//! and what the chapter claims, measured here on held-out lines: the recurrent net's influence
//! falls steeply with distance, the GPT's far more gently.

use std::path::PathBuf;

use attention_playground::backend::BackendKind;
use attention_playground::engine::Engine;
use attention_playground::lessons::influence::{gpt_influence, influence, rnn_influence, total_variation, ModelInfluence, MAX_TOKENS};
use attention_playground::rnn::{Rnn, RnnConfig, RnnWeights};
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::weights::load_safetensors;
use attention_playground::GptConfig;

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../www/models")
}

fn read(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The GPT on the scalar reference backend, its tokenizer, and the GRU.
fn load() -> (Engine, TextTokenizer, Rnn) {
    let dir = models().join("default");
    let config = GptConfig::from_json(&String::from_utf8(read(dir.join("config.json"))).unwrap()).unwrap();
    let weights = load_safetensors(&read(dir.join("model.safetensors")), &config).unwrap();
    let engine = pollster::block_on(Engine::new(config, weights, Some(BackendKind::Scalar))).unwrap();
    let tokenizer = TextTokenizer::from_bytes(&read(dir.join("tokenizer.json"))).unwrap();
    let rnn_dir = models().join("rnn");
    let rnn = Rnn::from_files(&String::from_utf8(read(rnn_dir.join("config.json"))).unwrap(), &read(rnn_dir.join("model.safetensors"))).unwrap();
    assert_eq!(rnn.config.tokenizer.as_deref(), Some("../default/tokenizer.json"), "the GRU reads the GPT's tokenizer");
    (engine, tokenizer, rnn)
}

#[test]
fn total_variation_is_half_the_l1_distance() {
    assert_eq!(total_variation(&[0.5, 0.5, 0.0], &[0.5, 0.5, 0.0]), 0.0);
    assert_eq!(total_variation(&[1.0, 0.0], &[0.0, 1.0]), 1.0);
    assert!((total_variation(&[0.7, 0.2, 0.1], &[0.4, 0.4, 0.2]) - 0.3).abs() < 1e-6);
}

#[test]
fn both_models_answer_for_the_same_tokens_and_a_space_replaced_by_a_space_changes_nothing() {
    let (mut engine, tokenizer, rnn) = load();
    // `小明 喜欢 苹果`: 小 明 ␣喜欢 ␣ 苹 果 — the lone space is the neutral token itself.
    let view = pollster::block_on(influence(&mut engine, &rnn, &tokenizer, "小明 喜欢 苹果")).unwrap();
    for model in [&view.gpt, &view.rnn] {
        let texts: Vec<&str> = model.tokens.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["小", "明", " 喜欢", " ", "苹", "果"], "{}", model.model);
        assert_eq!(model.neutral_text, " ");
        let distances: Vec<usize> = model.tokens.iter().map(|t| t.distance).collect();
        assert_eq!(distances, [5, 4, 3, 2, 1, 0]);
        assert_eq!(model.tokens[3].influence, 0.0, "{}: the space replaced by a space", model.model);
        assert!(model.tokens.iter().all(|t| (0.0..=1.0).contains(&t.influence)), "{}: a total variation is in [0, 1]", model.model);
        assert!(model.tokens.iter().filter(|t| t.distance != 2).all(|t| t.influence > 0.0), "{}: every other token matters a little", model.model);
        assert_eq!(model.top.len(), 5);
        assert!(model.top.windows(2).all(|w| w[0].probability >= w[1].probability), "{}: most likely first", model.model);
    }
    assert_eq!(view.gpt.model, "gpt");
    assert_eq!(view.rnn.model, "rnn");
}

#[test]
fn bad_input_is_a_clear_error() {
    let (mut engine, tokenizer, rnn) = load();
    let empty = rnn_influence(&rnn, &tokenizer, "").unwrap_err().to_string();
    assert!(empty.contains("type a sentence"), "{empty}");
    assert!(pollster::block_on(gpt_influence(&mut engine, &tokenizer, "   ")).is_ok(), "spaces are tokens too");
    // A text longer than the context is measured on its first tokens, and says so.
    let long = "我 喜欢 苹果 ".repeat(40);
    let cut = rnn_influence(&rnn, &tokenizer, &long).unwrap();
    assert_eq!(cut.tokens.len(), MAX_TOKENS);
    assert!(cut.total_tokens > MAX_TOKENS);
    // A recurrent net of another vocabulary cannot read these tokens.
    let small = RnnConfig::gru(10, 4, 4);
    let stranger = Rnn::new(small.clone(), RnnWeights::random(&small, 1));
    let refused = rnn_influence(&stranger, &tokenizer, "a b").unwrap_err().to_string();
    assert!(refused.contains("tokenizer"), "{refused}");
}

/// Held-out lines (the validation split of `hsk.txt` and of tiny Shakespeare, CC-BY-SA-4.0 and
/// public domain, see `www/models/default/README.md`), each cut before its last word: the
/// models predict it.
const HELD_OUT: [&str; 18] = [
    "投资 有 风险 收益 不 保证 | Investment has risks; returns aren't",
    "桃 梨 葡萄 都 是 水果 | Peaches, pears, grapes are all",
    "这 是 大家 共同 的 愿望 | This is everyone's shared",
    "这 个 课程 的 教材 有点儿 难 | The textbook for this course is a bit",
    "连续 三 天 都 在 下雨 | It has rained three days",
    "下个月 是 学校 二 十 周年 | Next month is the school's 20th",
    "后 年 我 打算 去 留学 | I plan to study abroad the year after",
    "他 点 了 一 份 盒饭 和 一 瓶 饮料 | He ordered a boxed meal and a",
    "这 引起 了 大家 的 注意 | This drew everyone's",
    "新 方法 产生 了 好 的 效果 | The new method produced good",
    "他 一生 追求 理想 | He pursued his ideals all his",
    "这 孩子 有点儿 调皮 但 很 天真 | The kid is naughty but",
    "Than words can witness, or your thoughts can",
    "Content you, gentlemen: I will compound this",
    "A child shall get a sire, if I fail not of my",
    "Simois,' I know you not, 'hic est Sigeia tellus,'",
    "he hear us not, 'regia,' presume not, 'celsa",
    "Make feasts, invite friends, and proclaim the",
];

/// Mean influence of the earlier tokens 1–2 back and of those 6 or more back, over all lines
/// (the neutral token itself, whose influence is 0 by definition, left out).
fn near_and_far(answers: &[ModelInfluence]) -> (f64, f64) {
    let (mut near, mut far) = (Vec::new(), Vec::new());
    for answer in answers {
        for t in answer.tokens.iter().filter(|t| t.id != answer.neutral_id) {
            match t.distance {
                1..=2 => near.push(t.influence as f64),
                d if d >= 6 => far.push(t.influence as f64),
                _ => {}
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    (mean(&near), mean(&far))
}

#[test]
fn the_rnns_influence_falls_steeply_with_distance_and_the_gpts_gently() {
    let (mut engine, tokenizer, rnn) = load();
    let (mut gpt, mut gru) = (Vec::new(), Vec::new());
    for text in HELD_OUT {
        let view = pollster::block_on(influence(&mut engine, &rnn, &tokenizer, text)).unwrap();
        gpt.push(view.gpt);
        gru.push(view.rnn);
    }
    let (gpt_near, gpt_far) = near_and_far(&gpt);
    let (rnn_near, rnn_far) = near_and_far(&gru);
    println!("mean influence 1–2 back / 6+ back: GPT {gpt_near:.3} / {gpt_far:.3}, RNN {rnn_near:.3} / {rnn_far:.3}");
    // Measured with the shipped models (GPT 0.199 / 0.081, RNN 0.442 / 0.094): the GRU's nearest
    // tokens weigh about 4.7× its far ones, the GPT's about 2.5×. Both fall — neither tiny model
    // uses far context well, and in absolute terms their far tokens matter about equally; the
    // claim is about the shape.
    assert!(rnn_near > 3.0 * rnn_far, "RNN: near {rnn_near:.3}, far {rnn_far:.3}");
    assert!(rnn_near / rnn_far > 1.5 * (gpt_near / gpt_far), "near/far: RNN {:.2}, GPT {:.2}", rnn_near / rnn_far, gpt_near / gpt_far);
    assert!(rnn_near > gpt_near, "the RNN leans on the last few tokens more than the GPT");
}

#[test]
fn the_chapters_first_sentence_shows_what_its_prose_says() {
    // The chapter's text: the GPT looks back at 医生 and guesses "doctor"; the RNN's 医生 has faded.
    let (mut engine, tokenizer, rnn) = load();
    let view = pollster::block_on(influence(&mut engine, &rnn, &tokenizer, "医生 看 了 看 我 的 嘴 | The")).unwrap();
    let strongest_earlier = |m: &ModelInfluence| m.tokens.iter().filter(|t| t.distance > 0).max_by(|a, b| a.influence.total_cmp(&b.influence)).unwrap().clone();
    let gpt = strongest_earlier(&view.gpt);
    assert_eq!((gpt.text.as_str(), gpt.distance), ("医生", 9));
    assert_eq!(view.gpt.top[0].text, " doctor");
    assert_ne!(strongest_earlier(&view.rnn).text, "医生");
    assert!(view.rnn.tokens[0].influence < 0.5 * view.gpt.tokens[0].influence);
}
