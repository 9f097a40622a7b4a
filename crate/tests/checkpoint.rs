//! Loading and saving checkpoints: round trips, dtypes, prefixes, and every way a file can be
//! broken giving an error that names the tensor.

use attention_playground::weights::{load_safetensors, random_weights, save_safetensors, SaveDtype};
use attention_playground::GptConfig;

fn tiny_config() -> GptConfig {
    GptConfig { n_embd: 8, n_layer: 2, n_head: 2, n_positions: 6, vocab_size: 11, layer_norm_epsilon: 1e-5 }
}

#[test]
fn f32_round_trip_is_exact() {
    let config = tiny_config();
    let weights = random_weights(&config, 7);
    let bytes = save_safetensors(&weights, SaveDtype::F32).unwrap();
    let loaded = load_safetensors(&bytes, &config).unwrap();
    for ((name, a), (_, b)) in weights.named_tensors().iter().zip(loaded.named_tensors()) {
        assert_eq!(*a, b, "{name}");
    }
    assert!(loaded.lm_head.is_none());
}
