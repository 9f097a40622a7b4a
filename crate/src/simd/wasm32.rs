//! WebAssembly simd128 (4 lanes), compiled in when the build enables `+simd128`; every browser
//! with WebGPU also has it.

use std::arch::wasm32::*;

use super::lanes::Lanes;

pub struct Simd128;

impl Lanes for Simd128 {
    type Reg = v128;
    const WIDTH: usize = 4;

    #[inline(always)]
    unsafe fn zero() -> v128 {
        f32x4_splat(0.0)
    }

    #[inline(always)]
    unsafe fn splat(x: f32) -> v128 {
        f32x4_splat(x)
    }

    #[inline(always)]
    unsafe fn load(p: *const f32) -> v128 {
        v128_load(p.cast())
    }

    #[inline(always)]
    unsafe fn store(p: *mut f32, v: v128) {
        v128_store(p.cast(), v)
    }

    #[inline(always)]
    unsafe fn add(a: v128, b: v128) -> v128 {
        f32x4_add(a, b)
    }

    /// No fused multiply-add without relaxed-simd, so multiply, then add.
    #[inline(always)]
    unsafe fn mul_add(a: v128, b: v128, acc: v128) -> v128 {
        f32x4_add(acc, f32x4_mul(a, b))
    }

    #[inline(always)]
    unsafe fn sum(v: v128) -> f32 {
        f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<1>(v) + f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v)
    }
}
