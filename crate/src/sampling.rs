//! Next-token probabilities and sampling (to be written).
