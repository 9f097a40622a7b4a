//! The few vector operations the kernels need, as a trait with one implementation per
//! instruction set (candle's pattern): [`super::x86::Avx`] (AVX + FMA), [`super::wasm32::Simd128`]
//! (wasm simd128), and [`Portable`], the plain-Rust twin with the same signature that every
//! other target uses.

/// A register of `WIDTH` lanes of f32.
///
/// # Safety
/// Every method is `unsafe`: the caller guarantees the CPU has this instruction set, and that
/// pointers passed to `load`/`store` cover `WIDTH` floats.
pub trait Lanes {
    type Reg: Copy;
    const WIDTH: usize;

    unsafe fn zero() -> Self::Reg;
    /// Every lane `x`.
    unsafe fn splat(x: f32) -> Self::Reg;
    /// `WIDTH` floats from `p`, no alignment needed.
    unsafe fn load(p: *const f32) -> Self::Reg;
    unsafe fn store(p: *mut f32, v: Self::Reg);
    unsafe fn add(a: Self::Reg, b: Self::Reg) -> Self::Reg;
    /// acc + a · b (fused where the hardware can).
    unsafe fn mul_add(a: Self::Reg, b: Self::Reg, acc: Self::Reg) -> Self::Reg;
    /// The sum of the lanes.
    unsafe fn sum(v: Self::Reg) -> f32;
}

/// Eight lanes as a plain array: no intrinsics, so it runs everywhere, and the compiler still
/// turns the fixed-size loops into whatever vector instructions the target has.
pub struct Portable;

impl Lanes for Portable {
    type Reg = [f32; 8];
    const WIDTH: usize = 8;

    #[inline(always)]
    unsafe fn zero() -> Self::Reg {
        [0.0; 8]
    }

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self::Reg {
        [x; 8]
    }

    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self::Reg {
        p.cast::<[f32; 8]>().read_unaligned()
    }

    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Self::Reg) {
        p.cast::<[f32; 8]>().write_unaligned(v)
    }

    #[inline(always)]
    unsafe fn add(a: Self::Reg, b: Self::Reg) -> Self::Reg {
        std::array::from_fn(|i| a[i] + b[i])
    }

    #[inline(always)]
    unsafe fn mul_add(a: Self::Reg, b: Self::Reg, acc: Self::Reg) -> Self::Reg {
        std::array::from_fn(|i| acc[i] + a[i] * b[i])
    }

    #[inline(always)]
    unsafe fn sum(v: Self::Reg) -> f32 {
        v.iter().sum()
    }
}
