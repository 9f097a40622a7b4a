//! Loading and saving checkpoints: round trips, dtypes, the `transformer.` prefix, tied and
//! untied heads, and every way a file can be broken giving an `Error::Model` that names the
//! tensor (never a panic).

mod common;

use attention_playground::weights::{load_safetensors, random_weights, save_safetensors, HostWeights, SaveDtype};
use attention_playground::{Error, GptConfig};
use common::{fixture_bytes, fixture_config, fixture_weights};
use half::f16;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

fn small_config() -> GptConfig {
    GptConfig { n_embd: 8, n_layer: 2, n_head: 2, n_positions: 6, vocab_size: 11, layer_norm_epsilon: 1e-5 }
}

fn assert_same_weights(a: &HostWeights, b: &HostWeights) {
    let (a, b) = (a.named_tensors(), b.named_tensors());
    assert_eq!(a.len(), b.len());
    for ((name_a, ta), (name_b, tb)) in a.iter().zip(&b) {
        assert_eq!(name_a, name_b);
        assert_eq!(ta, tb, "{name_a}");
    }
}

/// The message of the `Error::Model` that loading `bytes` must give.
fn load_error(bytes: &[u8], config: &GptConfig) -> String {
    match load_safetensors(bytes, config) {
        Err(Error::Model(message)) => message,
        Err(other) => panic!("expected a model error, got {other}"),
        Ok(_) => panic!("a broken checkpoint loaded"),
    }
}

/// A named tensor as raw little-endian bytes, to build checkpoints by hand.
struct Raw {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// Every tensor of a safetensors file.
fn raw_tensors(file: &[u8]) -> Vec<Raw> {
    let st = SafeTensors::deserialize(file).unwrap();
    let mut all: Vec<Raw> = st
        .tensors()
        .into_iter()
        .map(|(name, t)| Raw { name, dtype: t.dtype(), shape: t.shape().to_vec(), bytes: t.data().to_vec() })
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

fn serialize(tensors: &[Raw]) -> Vec<u8> {
    let views = tensors.iter().map(|t| (t.name.clone(), TensorView::new(t.dtype, t.shape.clone(), &t.bytes).unwrap()));
    safetensors::serialize(views, None).unwrap()
}

/// The fixture checkpoint, edited.
fn edited_fixture(edit: impl FnOnce(&mut Vec<Raw>)) -> Vec<u8> {
    let mut tensors = raw_tensors(&fixture_bytes("model.safetensors"));
    edit(&mut tensors);
    serialize(&tensors)
}

fn find<'a>(tensors: &'a mut [Raw], name: &str) -> &'a mut Raw {
    tensors.iter_mut().find(|t| t.name == name).unwrap()
}

#[test]
fn f32_round_trip_is_exact() {
    let config = small_config();
    let weights = random_weights(&config, 7);
    let loaded = load_safetensors(&save_safetensors(&weights, SaveDtype::F32).unwrap(), &config).unwrap();
    assert_same_weights(&weights, &loaded);
    assert!(loaded.lm_head.is_none());
}

#[test]
fn f16_save_rounds_each_value_to_nearest_half() {
    let config = small_config();
    let weights = random_weights(&config, 8);
    let loaded = load_safetensors(&save_safetensors(&weights, SaveDtype::F16).unwrap(), &config).unwrap();
    for ((name, original), (_, read)) in weights.named_tensors().iter().zip(loaded.named_tensors()) {
        for (&x, &y) in original.data.iter().zip(&read.data) {
            assert_eq!(y, f16::from_f32(x).to_f32(), "{name}");
        }
    }
}

#[test]
fn every_fixture_encoding_decodes_to_the_same_weights() {
    // reference.py picks values that f16 and bf16 store exactly; the prefixed copy names
    // everything `transformer.*` and carries an explicit lm_head equal to wte (so: tied).
    let config = fixture_config();
    let f32_weights = fixture_weights();
    for file in ["model.f16.safetensors", "model.bf16.safetensors", "model.prefixed.safetensors"] {
        let weights = load_safetensors(&fixture_bytes(file), &config).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_same_weights(&f32_weights, &weights);
        assert!(weights.lm_head.is_none(), "{file}: an lm_head equal to wte is tied");
    }
}

#[test]
fn untied_lm_head_survives_a_round_trip() {
    let config = small_config();
    let mut weights = random_weights(&config, 9);
    weights.lm_head = Some(random_weights(&config, 10).wte);
    let loaded = load_safetensors(&save_safetensors(&weights, SaveDtype::F32).unwrap(), &config).unwrap();
    assert_same_weights(&weights, &loaded);
    assert_eq!(loaded.lm_head, weights.lm_head);
}

#[test]
fn attention_mask_buffers_are_ignored() {
    let bytes = edited_fixture(|tensors| {
        for name in ["h.0.attn.bias", "h.1.attn.masked_bias"] {
            tensors.push(Raw { name: name.into(), dtype: Dtype::F32, shape: vec![1], bytes: 1f32.to_le_bytes().to_vec() });
        }
    });
    assert_same_weights(&fixture_weights(), &load_safetensors(&bytes, &fixture_config()).unwrap());
}

#[test]
fn missing_tensor_is_named() {
    let bytes = edited_fixture(|tensors| tensors.retain(|t| t.name != "h.1.mlp.c_fc.bias"));
    let message = load_error(&bytes, &fixture_config());
    assert!(message.contains("`h.1.mlp.c_fc.bias`") && message.contains("missing"), "{message}");
}

#[test]
fn wrong_shape_is_named() {
    let bytes = edited_fixture(|tensors| find(tensors, "h.0.attn.c_attn.weight").shape = vec![72, 24]);
    let message = load_error(&bytes, &fixture_config());
    assert!(message.contains("`h.0.attn.c_attn.weight`") && message.contains("[72, 24]"), "{message}");
}

#[test]
fn config_that_does_not_match_the_checkpoint_names_the_tensor() {
    let config = GptConfig { vocab_size: 68, ..fixture_config() };
    let message = load_error(&fixture_bytes("model.safetensors"), &config);
    assert!(message.contains("`wte.weight`"), "{message}");

    let config = GptConfig { n_layer: 1, ..fixture_config() };
    let message = load_error(&fixture_bytes("model.safetensors"), &config);
    assert!(message.contains("`h.1.") && message.contains("n_layer = 1"), "{message}");
}

#[test]
fn unsupported_dtype_is_named() {
    let bytes = edited_fixture(|tensors| {
        let t = find(tensors, "ln_f.bias");
        t.dtype = Dtype::I32;
        t.bytes = vec![0; t.bytes.len()];
    });
    let message = load_error(&bytes, &fixture_config());
    assert!(message.contains("`ln_f.bias`") && message.contains("I32"), "{message}");
}

#[test]
fn non_finite_value_is_named() {
    for bad in [f32::NAN, f32::INFINITY] {
        let bytes = edited_fixture(|tensors| find(tensors, "h.1.ln_2.weight").bytes[8..12].copy_from_slice(&bad.to_le_bytes()));
        let message = load_error(&bytes, &fixture_config());
        assert!(message.contains("`h.1.ln_2.weight`") && message.contains("index 2"), "{message}");
    }
}

#[test]
fn truncated_file_names_the_tensor_cut_off() {
    let bytes = fixture_bytes("model.safetensors");
    let last_by_offset = SafeTensors::read_metadata(&bytes).unwrap().1.offset_keys().pop().unwrap();
    let message = load_error(&bytes[..bytes.len() - 10], &fixture_config());
    assert!(message.contains(&format!("`{last_by_offset}`")) && message.contains("cut off"), "{message}");

    // Cut in the middle: the first tensor whose data is incomplete is the one named.
    let metadata = SafeTensors::read_metadata(&bytes).unwrap();
    let header_end = 8 + metadata.0;
    let names = metadata.1.offset_keys();
    let third = metadata.1.info(&names[2]).unwrap().data_offsets;
    let message = load_error(&bytes[..header_end + third.0 + 1], &fixture_config());
    assert!(message.contains(&format!("`{}`", names[2])), "{message}");
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let config = fixture_config();
    let bytes = fixture_bytes("model.safetensors");
    let mut wrong_header_length = bytes.clone();
    wrong_header_length[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let mut broken_json = bytes.clone();
    broken_json[8] = b'[';
    let cases: [&[u8]; 5] = [b"", b"1234", b"not a safetensors file at all", &wrong_header_length, &broken_json];
    for bytes in cases {
        let message = load_error(bytes, &config);
        assert!(message.contains("safetensors"), "{message}");
    }
}
