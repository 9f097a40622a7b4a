//! AVX + FMA (8 lanes), chosen at run time when the CPU has both.

#[cfg(target_arch = "x86")]
use std::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

use super::kernels::{self, Matrix, MatrixMut};
use super::lanes::Lanes;

pub fn avx_fma_detected() -> bool {
    // std caches the CPUID result, so this is a load and a test.
    is_x86_feature_detected!("avx") && is_x86_feature_detected!("fma")
}

pub struct Avx;

impl Lanes for Avx {
    type Reg = __m256;
    const WIDTH: usize = 8;

    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn zero() -> __m256 {
        _mm256_setzero_ps()
    }

    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn splat(x: f32) -> __m256 {
        _mm256_set1_ps(x)
    }

    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn load(p: *const f32) -> __m256 {
        _mm256_loadu_ps(p)
    }

    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn store(p: *mut f32, v: __m256) {
        _mm256_storeu_ps(p, v)
    }

    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        _mm256_add_ps(a, b)
    }

    #[inline]
    #[target_feature(enable = "avx,fma")]
    unsafe fn mul_add(a: __m256, b: __m256, acc: __m256) -> __m256 {
        _mm256_fmadd_ps(a, b, acc)
    }

    #[inline]
    #[target_feature(enable = "avx")]
    unsafe fn sum(v: __m256) -> f32 {
        // (8) → (4) → (2) → (1)
        let quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1)))
    }
}

// The generic kernels, compiled with AVX and FMA enabled so the lane operations inline.

/// # Safety
/// The CPU must support AVX and FMA ([`avx_fma_detected`]).
#[target_feature(enable = "avx,fma")]
pub unsafe fn gemm(out: MatrixMut, x: Matrix, w: Matrix, bias: Option<&[f32]>, m: usize, k: usize, n: usize) {
    kernels::gemm::<Avx>(out, x, w, bias, m, k, n)
}

/// # Safety
/// The CPU must support AVX and FMA ([`avx_fma_detected`]).
#[target_feature(enable = "avx,fma")]
pub unsafe fn peak_loop(iterations: usize) -> (f32, usize) {
    kernels::peak_loop::<Avx>(iterations)
}

/// # Safety
/// The CPU must support AVX and FMA ([`avx_fma_detected`]).
#[target_feature(enable = "avx,fma")]
pub unsafe fn gemm_transposed(out: MatrixMut, x: Matrix, w: Matrix, m: usize, k: usize, n: usize) {
    kernels::gemm_transposed::<Avx>(out, x, w, m, k, n)
}
