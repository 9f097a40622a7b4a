//! The page's views of a forward pass (`views`), natively: what the wasm API returns, checked
//! against the trace it is read from and against the shipped tokenizer.

use attention_playground::attention::Mask;
use attention_playground::backend::BackendKind;
use attention_playground::engine::Engine;
use attention_playground::sampling::probability_steps;
use attention_playground::tokenizer::TextTokenizer;
use attention_playground::trace::Trace;
use attention_playground::views::{self, sampling_options, MAX_TEXT_CHARS};
use attention_playground::weights::random_weights;
use attention_playground::{GptConfig, Tensor};
use pollster::block_on;

fn shipped_tokenizer() -> TextTokenizer {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/models/default/tokenizer.json");
    TextTokenizer::from_bytes(&std::fs::read(path).unwrap()).unwrap()
}

/// A random model over the shipped tokenizer's vocabulary, on the scalar reference.
fn random_engine(tokenizer: &TextTokenizer, n_positions: usize) -> Engine {
    let config = GptConfig {
        n_embd: 16,
        n_layer: 2,
        n_head: 2,
        n_positions,
        vocab_size: tokenizer.vocab_size(),
        layer_norm_epsilon: 1e-5,
    };
    let weights = random_weights(&config, 5);
    block_on(Engine::new(config, weights, Some(BackendKind::Scalar))).unwrap()
}

fn trace(engine: &mut Engine, ids: &[u32], mask: Mask) -> Trace<Tensor> {
    block_on(engine.forward(ids, mask, true)).unwrap().trace.unwrap()
}

#[test]
fn the_studys_sentence_is_whole_characters_and_an_unseen_one_is_numbered_by_its_bytes() {
    let tokenizer = shipped_tokenizer();
    // Every character of the training data is a token of its own or inside a longer one.
    let tokens = views::tokens_of(&tokenizer, 64, "小明 喜欢 苹果").unwrap();
    assert!(tokens.partial.iter().all(|&p| !p), "{:?}", tokens.display);
    assert_eq!(tokens.display.concat(), "小明 喜欢 苹果");
    assert_eq!((tokens.total, tokens.truncated, tokens.dropped.as_str()), (tokens.ids.len(), false, ""));
    assert_eq!(tokens.ids, tokenizer.encode("小明 喜欢 苹果").unwrap().ids);
    assert!(tokens.allowed.is_empty(), "no mask before a forward pass");
    // After a run, the mask as a (T, T) grid.
    let t = tokens.ids.len();
    let causal = tokens.clone().with_mask(Mask::Causal).allowed;
    assert_eq!(&causal[..2 * t], [[1].as_slice(), &vec![0; t - 1], &[1, 1], &vec![0; t - 2]].concat());
    assert!(tokens.with_mask(Mask::Bidirectional).allowed.iter().all(|&a| a == 1));
    // 鲸 (whale) is not in the data: byte fallback spells it in its three UTF-8 bytes, shown as
    // the character with each piece's number.
    let whale = views::tokens_of(&tokenizer, 64, "鲸").unwrap();
    assert_eq!(whale.display, ["鲸¹", "鲸²", "鲸³"]);
    assert_eq!(whale.partial, [true, true, true]);
    let pieces: Vec<String> = whale.ids.iter().map(|&id| tokenizer.token_text(id).unwrap()).collect();
    assert_eq!(pieces, ["<E9>", "<B2>", "<B8>"]);
    assert_eq!(tokenizer.decode(&whale.ids).unwrap(), "鲸");
}

#[test]
fn a_token_that_is_only_part_of_a_character_says_so() {
    let tokenizer = shipped_tokenizer();
    // Whole words and characters are not partial; the byte pieces of an unseen character are.
    let ids = tokenizer.encode("小明 喜欢 苹果 鲸").unwrap().ids;
    let partial: Vec<bool> = ids.iter().map(|&id| views::is_partial(&tokenizer, id)).collect();
    let n = partial.len();
    assert!(partial[..n - 3].iter().all(|&p| !p) && partial[n - 3..].iter().all(|&p| p), "{partial:?}");
}

#[test]
fn text_past_the_context_is_cut_and_the_rest_given_back_to_show() {
    let tokenizer = shipped_tokenizer();
    let text = "He likes apples. ".repeat(20);
    let tokens = views::tokens_of(&tokenizer, 8, &text).unwrap();
    assert_eq!(tokens.ids.len(), 8);
    assert!(tokens.truncated && tokens.total > 8);
    let all = tokenizer.encode(&text).unwrap();
    let start = all.offsets[8].0;
    assert_eq!(tokens.dropped, text.chars().skip(start).take(200).collect::<String>());
    // Beyond MAX_TEXT_CHARS the text is not even tokenized.
    let huge = "a".repeat(MAX_TEXT_CHARS + 10);
    let tokens = views::tokens_of(&tokenizer, 100_000, &huge).unwrap();
    assert!(tokens.truncated);
    assert_eq!(tokens.dropped, "a".repeat(10));
}

#[test]
fn head_steps_are_the_traces_numbers_for_one_head_and_token() {
    let tokenizer = shipped_tokenizer();
    let mut engine = random_engine(&tokenizer, 16);
    let ids = tokenizer.encode("他 喜欢 户外 运动").unwrap().ids;
    let t = ids.len();
    let trace = trace(&mut engine, &ids, Mask::Causal);
    let config = engine.config().clone();
    let hs = config.head_size();
    let (layer, head, focus) = (1, 1, 2);
    let steps = views::head_steps(&trace, &config, layer, head, focus).unwrap();
    let a = &trace.layers[layer].attention;
    assert_eq!(steps.q, a.q.row(focus)[head * hs..(head + 1) * hs]);
    assert_eq!(steps.k.len(), t * hs);
    assert_eq!(steps.v[hs..2 * hs], a.v.row(1)[head * hs..(head + 1) * hs]);
    let row = (head * t + focus) * t..(head * t + focus + 1) * t;
    assert_eq!(steps.scores, a.scores.data[row.clone()]);
    assert_eq!(steps.weights, a.weights.data[row.clone()]);
    assert_eq!(steps.weights, views::head_weights(&trace, layer, head).unwrap()[focus * t..(focus + 1) * t]);
    // Causal: the keys after the focus token are masked out.
    assert!(steps.masked[focus + 1..].iter().all(|&m| m == f32::NEG_INFINITY));
    assert!((steps.weight_sum - 1.0).abs() < 1e-6);
    assert_eq!(steps.out, a.out.row(focus)[head * hs..(head + 1) * hs]);
    assert_eq!(steps.sqrt_head_size, (hs as f32).sqrt());

    let all = views::attention_weights(&trace);
    assert_eq!(all.len(), config.n_layer * config.n_head * t * t);
    for (bad_layer, bad_head, bad_focus) in [(2, 0, 0), (0, 2, 0), (0, 0, t)] {
        let error = views::head_steps(&trace, &config, bad_layer, bad_head, bad_focus).unwrap_err();
        assert!(error.to_string().contains("outside"), "{error}");
    }
    assert!(views::head_weights(&trace, 0, 2).is_err());
}

#[test]
fn the_residual_stream_has_every_stage_and_the_next_token() {
    let tokenizer = shipped_tokenizer();
    let mut engine = random_engine(&tokenizer, 16);
    let ids = tokenizer.encode("I want to").unwrap().ids;
    let trace = trace(&mut engine, &ids, Mask::Causal);
    let stack = views::residual_stream(&trace, &tokenizer, 1).unwrap();
    let kinds: Vec<&str> = stack.stages.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, ["embeddings", "attention", "mlp", "attention", "mlp", "final"]);
    assert_eq!(stack.stages[3].values, trace.layers[1].after_attention.row(1));
    let norm = stack.stages[0].values.iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((stack.stages[0].norm - norm).abs() < 1e-5);
    let best = trace.logits.row(1).iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    assert_eq!(trace.logits.row(1)[stack.top.id as usize], best);
    assert_eq!(stack.top.text, tokenizer.token_text(stack.top.id).unwrap());
    assert!(views::residual_stream(&trace, &tokenizer, ids.len()).is_err());
}

#[test]
fn probabilities_rank_by_scaled_logits_even_where_low_temperatures_round_to_zero() {
    let tokenizer = shipped_tokenizer();
    let mut engine = random_engine(&tokenizer, 16);
    let ids = tokenizer.encode("He likes").unwrap().ids;
    let trace = trace(&mut engine, &ids, Mask::Causal);
    let logits = trace.logits.row(ids.len() - 1);
    // The 10 largest logits, largest first: the order the rows must have at any temperature.
    let mut by_logit: Vec<u32> = (0..logits.len() as u32).collect();
    by_logit.sort_by(|&a, &b| logits[b as usize].total_cmp(&logits[a as usize]).then(a.cmp(&b)));
    for temperature in [1.0, 1e-4] {
        let next = views::probabilities(&trace, &tokenizer, &sampling_options(temperature, 0, 1.0, 0), 10).unwrap();
        let rows: Vec<u32> = next.rows.iter().map(|r| r.id).collect();
        assert_eq!(rows, by_logit[..10], "temperature {temperature}");
        assert!((next.shown + next.others - 1.0).abs() < 1e-5);
        assert_eq!((next.position, next.vocab), (ids.len() - 1, logits.len()));
    }
    // At 1e-4 every runner-up's probability underflows to 0, yet they are still the next-best.
    let cold = views::probabilities(&trace, &tokenizer, &sampling_options(1e-4, 0, 1.0, 0), 10).unwrap();
    assert!(cold.rows[1..].iter().all(|r| r.probability == 0.0), "{:?}", cold.rows);
    // top-k cuts tokens but keeps them visible.
    let cut = views::probabilities(&trace, &tokenizer, &sampling_options(1.0, 3, 1.0, 0), 10).unwrap();
    assert_eq!(cut.rows.iter().map(|r| r.kept).collect::<Vec<_>>(), [true, true, true, false, false, false, false, false, false, false]);
    assert!(views::probabilities(&trace, &tokenizer, &sampling_options(0.0, 0, 1.0, 0), 10).is_err());
}

#[test]
fn probabilities_after_any_position_carry_the_softmax_max_and_denominator() {
    let tokenizer = shipped_tokenizer();
    let mut engine = random_engine(&tokenizer, 16);
    let ids = tokenizer.encode("He likes apples").unwrap().ids;
    let trace = trace(&mut engine, &ids, Mask::Causal);
    let opts = sampling_options(0.7, 0, 0.9, 0);
    for position in 0..ids.len() {
        let next = views::probabilities_at(&trace, &tokenizer, &opts, 5, position).unwrap();
        let steps = probability_steps(trace.logits.row(position), &opts).unwrap();
        assert_eq!((next.position, next.max_scaled, next.exp_sum), (position, steps.max_scaled, steps.exp_sum));
        assert_eq!(next.kept, steps.kept.iter().filter(|&&k| k).count());
        assert!(next.kept >= 1 && next.kept < next.vocab, "top-p 0.9 keeps some, never all, of a random model's tokens");
        for row in &next.rows {
            // The arithmetic a page writes out: e^(z/T − max) / Σ.
            assert_eq!(row.scaled, row.logit / 0.7);
            assert!((row.exp - (row.scaled - next.max_scaled).exp()).abs() < 1e-6);
            if row.kept {
                assert!((row.probability - row.exp / next.exp_sum).abs() < 1e-6);
            }
        }
    }
    let last = views::probabilities(&trace, &tokenizer, &opts, 5).unwrap();
    let at_last = views::probabilities_at(&trace, &tokenizer, &opts, 5, ids.len() - 1).unwrap();
    assert_eq!(last.rows.iter().map(|r| r.id).collect::<Vec<_>>(), at_last.rows.iter().map(|r| r.id).collect::<Vec<_>>());
    assert!(views::probabilities_at(&trace, &tokenizer, &opts, 5, ids.len()).is_err());
}

#[test]
fn a_sample_finishes_a_cut_character_and_reports_each_tokens_probability() {
    let tokenizer = shipped_tokenizer();
    let mut engine = random_engine(&tokenizer, 16);
    let ids = tokenizer.encode("我 想").unwrap().ids;
    let trace = trace(&mut engine, &ids, Mask::Causal);
    let logits = trace.logits.row(ids.len() - 1).to_vec();
    let opts = sampling_options(1.0, 0, 1.0, 7);
    let sample = |seed| {
        let opts = sampling_options(1.0, 0, 1.0, seed);
        block_on(views::sample_whole_character(&mut random_engine(&tokenizer, 16), &tokenizer, ids.clone(), logits.clone(), Mask::Causal, &opts)).unwrap()
    };
    let mut whole_after_more = false;
    for seed in 0..40 {
        let s = sample(seed);
        assert!(!s.ids.is_empty() && s.ids.len() <= 4);
        assert_eq!(s.probabilities.len(), s.ids.len());
        assert!(s.probabilities.iter().all(|&p| p > 0.0 && p <= 1.0), "{:?}", s.probabilities);
        assert_eq!(s.forwards as usize, s.ids.len() - 1, "one forward pass per extra token");
        let all: Vec<u32> = ids.iter().chain(&s.ids).copied().collect();
        assert_eq!(s.text, tokenizer.decode(&all).unwrap());
        if s.ids.len() < 4 {
            assert!(!s.text.ends_with(char::REPLACEMENT_CHARACTER), "seed {seed}: {:?}", s.text);
        }
        whole_after_more |= s.ids.len() > 1 && !s.text.ends_with(char::REPLACEMENT_CHARACTER);
    }
    // A random model over a byte-level vocabulary draws byte pieces often enough.
    assert!(whole_after_more, "no sample needed a second token to finish a character");
    // The first token's probability is the one the distribution gave it.
    let first = block_on(views::sample_whole_character(&mut engine, &tokenizer, ids.clone(), logits.clone(), Mask::Causal, &opts)).unwrap();
    let steps = probability_steps(&logits, &opts).unwrap();
    assert_eq!(first.probabilities[0], steps.probabilities[first.ids[0] as usize]);
    // Greedy-like: top-k 1 leaves one token, drawn with probability 1.
    let only = block_on(views::sample_whole_character(&mut engine, &tokenizer, ids.clone(), logits, Mask::Causal, &sampling_options(1.0, 1, 1.0, 3))).unwrap();
    assert_eq!(only.probabilities[0], 1.0);
}

#[test]
fn a_top_p_that_is_not_a_number_is_refused_not_taken_for_off() {
    let logits = [1.0, 2.0, 3.0];
    assert!(probability_steps(&logits, &sampling_options(1.0, 0, f32::NAN, 0)).is_err());
    assert!(probability_steps(&logits, &sampling_options(1.0, 0, 1.0, 0)).unwrap().kept.iter().all(|&k| k));
}
