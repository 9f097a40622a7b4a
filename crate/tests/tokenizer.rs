//! The tokenizer both models share (`train::bpe`): every character of its training data is a
//! whole token or part of a longer one, never cut into bytes; only characters the data never
//! had fall back to byte tokens; `[MASK]` is a special token that typing `[MASK]` yields.

use std::collections::HashSet;

use attention_playground::tokenizer::TextTokenizer;
use attention_playground::train::bpe::{train_tokenizer, MASK_TOKEN};
use attention_playground::views;

const LINES: [&str; 6] = [
    "小明 喜欢 苹果 | Xiao Ming likes apples.",
    "他 喜欢 户外 运动 | He likes outdoor sports.",
    "我 想 喝 水 | I want to drink water.",
    "老师 指出 了 我 的 错误 | The teacher pointed out my mistakes.",
    "蘋 only once, 鬱 too",
    "First Citizen: Before we proceed any further, hear me speak.",
];

fn trained(vocab_size: usize) -> TextTokenizer {
    let alphabet: HashSet<char> = LINES.iter().flat_map(|l| l.chars()).collect();
    let tokenizer = train_tokenizer(LINES.iter(), alphabet, vocab_size).unwrap();
    TextTokenizer::from_json(&tokenizer.to_string(false).unwrap()).unwrap()
}

#[test]
fn every_character_of_the_data_is_whole_and_only_unseen_ones_fall_back_to_bytes() {
    let tokenizer = trained(400);
    // The alphabet, the 256 bytes and [MASK], plus merges while pairs repeat (the data is tiny).
    let alphabet = LINES.iter().flat_map(|l| l.chars()).collect::<HashSet<char>>().len();
    assert!(tokenizer.vocab_size() > alphabet + 257 && tokenizer.vocab_size() <= 400, "{}", tokenizer.vocab_size());
    for ch in LINES.iter().flat_map(|l| l.chars()) {
        // Each character on its own is one token, whose text is the character.
        let encoded = tokenizer.encode(&ch.to_string()).unwrap();
        assert_eq!(encoded.pieces, [ch.to_string()], "{ch:?} is split");
    }
    for line in LINES {
        let tokens = views::tokens_of(&tokenizer, 64, line).unwrap();
        assert!(tokens.partial.iter().all(|&p| !p), "{line}: {:?}", tokens.display);
        assert_eq!(tokens.display.concat(), line);
        assert_eq!(tokenizer.decode(&tokens.ids).unwrap(), line);
    }
    // Merges still make frequent words single tokens.
    assert!(tokenizer.encode("小明 喜欢 苹果").unwrap().pieces.contains(&" 喜欢".to_string()));
    // A character the data never had: its UTF-8 bytes, numbered on the page, decoded back whole.
    let unseen = views::tokens_of(&tokenizer, 64, "鲸 🙂").unwrap();
    assert_eq!(unseen.display, ["鲸¹", "鲸²", "鲸³", " ", "🙂¹", "🙂²", "🙂³", "🙂⁴"]);
    assert_eq!(tokenizer.decode(&unseen.ids).unwrap(), "鲸 🙂");
    // An ASCII character the data lacks is one byte token, shown as itself.
    let markup = tokenizer.encode("<b>").unwrap();
    assert_eq!(markup.pieces, ["<", "b", ">"]);
    assert_eq!(tokenizer.decode(&markup.ids).unwrap(), "<b>");
}

#[test]
fn typing_mask_yields_the_special_token_with_the_space_before_it() {
    let tokenizer = trained(400);
    let mask = tokenizer.token_id(MASK_TOKEN).expect("a [MASK] token");
    let with_mask = tokenizer.encode("小明 [MASK] 苹果").unwrap();
    let without = tokenizer.encode("小明 喜欢 苹果").unwrap();
    // `[MASK]` takes the place of ` 喜欢`, space included: the same number of tokens.
    assert_eq!(with_mask.ids.iter().filter(|&&id| id == mask).count(), 1);
    assert_eq!(with_mask.ids.len(), without.ids.len());
    let like = without.pieces.iter().position(|p| p == " 喜欢").unwrap();
    assert_eq!(with_mask.ids[like], mask);
    assert_eq!(with_mask.pieces[like], " [MASK]");
    // Filling the blank with the word it hid gives the sentence back.
    let mut filled = with_mask.ids.clone();
    filled[like] = without.ids[like];
    assert_eq!(tokenizer.decode(&filled).unwrap(), "小明 喜欢 苹果");
    // Two blanks, one at the start; `[MASK` alone is plain text.
    let two = tokenizer.encode("[MASK] 喜欢 [MASK]").unwrap();
    assert_eq!(two.ids.iter().filter(|&&id| id == mask).count(), 2);
    assert!(!tokenizer.encode("[MASK").unwrap().ids.contains(&mask));
}

#[test]
fn a_vocabulary_too_small_for_the_alphabet_is_refused() {
    let alphabet: HashSet<char> = LINES.iter().flat_map(|l| l.chars()).collect();
    let error = train_tokenizer(LINES.iter(), alphabet.clone(), alphabet.len() + 256).unwrap_err().to_string();
    assert!(error.contains("distinct characters"), "{error}");
}

/// The shipped models share one tokenizer, which keeps the study's characters whole.
#[test]
fn the_shipped_models_share_one_tokenizer_with_a_mask_token() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/models");
    let default = std::fs::read(format!("{root}/default/tokenizer.json")).unwrap();
    let tokenizer = TextTokenizer::from_bytes(&default).unwrap();
    assert!(tokenizer.token_id(MASK_TOKEN).is_some());
    for text in ["小明 喜欢 苹果", "他 喜欢 户外 运动 | He likes outdoor sports.", "我 想 喝 水"] {
        let tokens = views::tokens_of(&tokenizer, 64, text).unwrap();
        assert!(tokens.partial.iter().all(|&p| !p), "{text}: {:?}", tokens.display);
    }
    match std::fs::read(format!("{root}/encoder/tokenizer.json")) {
        Ok(encoder) => assert!(encoder == default, "the encoder's tokenizer differs from the GPT's"),
        Err(_) => eprintln!("skipped: www/models/encoder not trained yet"),
    }
}
