//! Which vector instructions the running CPU has, picked once at run time.
//!
//! A binary built for the machine it was compiled on (`target-cpu=native`)
//! dies with an illegal instruction on an older CPU: a student's laptop, or
//! anyone a release is handed to. So Valley is compiled for the x86-64
//! baseline, and the few kernels where the time goes (the dense layer and
//! the elementwise tanh, exp and ln) are compiled three times: for
//! AVX-512, for AVX2 with FMA, and for the baseline. [`level`] picks one the
//! first time a kernel runs.
//!
//! The environment variable `VALLEY_SIMD` (`baseline`, `avx2`, `avx512`)
//! caps the level, so every path can be run and compared on one machine; it
//! never raises the level above what the CPU has.

use std::sync::OnceLock;

use num_traits::Float;

/// An instruction set a kernel is compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// What every CPU of the architecture runs (SSE2 on x86-64; SIMD128 in
    /// the browser build; NEON on 64-bit ARM).
    Baseline,
    /// AVX2 with fused multiply-add (Intel Haswell, AMD Excavator and later).
    Avx2Fma,
    /// AVX-512 F, VL, BW and DQ as well.
    Avx512,
}

impl Level {
    /// The name `VALLEY_SIMD` takes and reports print.
    pub fn name(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Avx2Fma => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "baseline" | "sse2" | "none" => Some(Level::Baseline),
            "avx2" | "avx2+fma" | "fma" => Some(Level::Avx2Fma),
            "avx512" | "avx-512" => Some(Level::Avx512),
            _ => None,
        }
    }
}

/// The best level this CPU runs, capped by `VALLEY_SIMD`.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cpu = detected();
        match std::env::var("VALLEY_SIMD")
            .ok()
            .as_deref()
            .map(Level::parse)
        {
            Some(Some(cap)) => cap.min(cpu),
            _ => cpu,
        }
    })
}

/// What the CPU supports.
fn detected() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma");
        let avx512 = avx2
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq");
        if avx512 {
            return Level::Avx512;
        }
        if avx2 {
            return Level::Avx2Fma;
        }
    }
    Level::Baseline
}

/// How a kernel computes `a·b + c`: fused (one rounding, one instruction)
/// where the level has FMA, as a multiply and an add where it has not (a
/// software `fma` would be far slower than the rounding it saves).
pub trait MulAdd: Copy {
    /// `a·b + c`.
    fn mul_add<T: Float>(a: T, b: T, c: T) -> T;
}

/// One fused instruction.
#[derive(Clone, Copy, Debug)]
pub struct Fused;

/// A multiply, then an add.
#[derive(Clone, Copy, Debug)]
pub struct Split;

impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add<T: Float>(a: T, b: T, c: T) -> T {
        a.mul_add(b, c)
    }
}

impl MulAdd for Split {
    #[inline(always)]
    fn mul_add<T: Float>(a: T, b: T, c: T) -> T {
        a * b + c
    }
}

/// The baseline's multiply-add: 64-bit ARM always has FMA, x86-64 and
/// WebAssembly do not.
#[cfg(target_arch = "aarch64")]
pub type BaselineMulAdd = Fused;
/// The baseline's multiply-add: 64-bit ARM always has FMA, x86-64 and
/// WebAssembly do not.
#[cfg(not(target_arch = "aarch64"))]
pub type BaselineMulAdd = Split;

/// Defines `fn $name(args)` that runs `$body::<[T,] M>(args)` compiled for
/// the best [`level`]: the body must be `#[inline(always)]` so that it is
/// compiled again inside each version, with that version's instructions.
macro_rules! dispatched {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident $(<$t:ident : $bound:path>)? ($($arg:ident : $ty:ty),* $(,)?) => $body:ident
    ) => {
        $(#[$meta])*
        $vis fn $name $(<$t: $bound>)? ($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
                fn avx512 $(<$t: $bound>)? ($($arg: $ty),*) {
                    $body::<$($t,)? $crate::simd::Fused>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
                fn avx2 $(<$t: $bound>)? ($($arg: $ty),*) {
                    $body::<$($t,)? $crate::simd::Fused>($($arg),*)
                }
                match $crate::simd::level() {
                    // SAFETY: `level` reports these only where the CPU has them.
                    $crate::simd::Level::Avx512 => return unsafe { avx512 $(::<$t>)? ($($arg),*) },
                    // SAFETY: as above.
                    $crate::simd::Level::Avx2Fma => return unsafe { avx2 $(::<$t>)? ($($arg),*) },
                    $crate::simd::Level::Baseline => {}
                }
            }
            $body::<$($t,)? $crate::simd::BaselineMulAdd>($($arg),*)
        }
    };
}
pub(crate) use dispatched;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_levels_order() {
        for level in [Level::Baseline, Level::Avx2Fma, Level::Avx512] {
            assert_eq!(Level::parse(level.name()), Some(level));
        }
        assert_eq!(Level::parse("AVX2 "), Some(Level::Avx2Fma));
        assert_eq!(Level::parse("sse9"), None);
        assert!(Level::Baseline < Level::Avx2Fma && Level::Avx2Fma < Level::Avx512);
        assert!(level() <= detected(), "the cap never raises the level");
    }

    #[test]
    fn fused_rounds_once_and_split_twice() {
        // a = 1 + 2⁻¹²: a² − 1 = 2⁻¹¹ + 2⁻²⁴ is an f32, but a² alone is not.
        let a = 1.0f32 + 2f32.powi(-12);
        let exact = 2f32.powi(-11) + 2f32.powi(-24);
        assert_eq!(Fused::mul_add(a, a, -1.0f32), exact);
        assert_eq!(Split::mul_add(a, a, -1.0f32), 2f32.powi(-11));
    }
}
