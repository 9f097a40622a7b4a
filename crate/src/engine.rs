//! The engine: picks a backend at run time (GPU → SIMD → scalar, or what the user forces),
//! runs forward passes and generation, and hands back host results (to be written).
