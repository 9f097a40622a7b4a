//! The wasm-bindgen API (to be written).
