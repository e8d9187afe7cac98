//! x86_64 kernels: AVX-512 (16 lanes) and AVX2 with fused multiply-add (8 lanes), both
//! detected at run time, and SSE (4 lanes, part of the x86_64 baseline so always present).

use std::arch::x86_64::*;

use super::Kernel;

/// The AVX-512 kernel, if this CPU has AVX-512F (Intel since Skylake-SP, AMD since Zen 4).
pub(super) fn avx512() -> Option<Kernel> {
    if is_x86_feature_detected!("avx512f") {
        Some(Kernel {
            name: "avx512f",
            dot: avx512_dot_entry,
            dot_many: avx512_dot_many_entry,
        })
    } else {
        None
    }
}

fn avx512_dot_entry(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only reachable via `avx512()`, which checked the CPU has AVX-512F.
    unsafe { avx512_dot(a, b) }
}

fn avx512_dot_many_entry(query: &[f32], matrix: &[f32], dim: usize, out: &mut [f32]) {
    // SAFETY: only reachable via `avx512()`, which checked the CPU has AVX-512F.
    unsafe { avx512_dot_many(query, matrix, dim, out) }
}

#[target_feature(enable = "avx512f")]
fn avx512_dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    // Four accumulators hide the FMA latency, as in the AVX2 kernel.
    let mut acc = [_mm512_setzero_ps(); 4];
    let (ca, cb) = (a.chunks_exact(64), b.chunks_exact(64));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for (k, acc) in acc.iter_mut().enumerate() {
            let (xs, ys) = (&x[16 * k..16 * k + 16], &y[16 * k..16 * k + 16]);
            // SAFETY: `xs` and `ys` hold 16 floats each; `loadu` has no alignment requirement.
            let (vx, vy) = unsafe { (_mm512_loadu_ps(xs.as_ptr()), _mm512_loadu_ps(ys.as_ptr())) };
            *acc = _mm512_fmadd_ps(vx, vy, *acc);
        }
    }
    let (ca, cb) = (ra.chunks_exact(16), rb.chunks_exact(16));
    let (ta, tb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        // SAFETY: chunks of exactly 16 floats; `loadu` has no alignment requirement.
        let (vx, vy) = unsafe { (_mm512_loadu_ps(x.as_ptr()), _mm512_loadu_ps(y.as_ptr())) };
        acc[0] = _mm512_fmadd_ps(vx, vy, acc[0]);
    }
    if !ta.is_empty() {
        // The last 1..=15 floats through a mask: lanes past the end are neither read nor
        // faulted on.
        let mask: __mmask16 = (1u16 << ta.len()) - 1;
        // SAFETY: the mask enables exactly the `ta.len()` lanes that are in bounds.
        let (vx, vy) = unsafe {
            (
                _mm512_maskz_loadu_ps(mask, ta.as_ptr()),
                _mm512_maskz_loadu_ps(mask, tb.as_ptr()),
            )
        };
        acc[1] = _mm512_fmadd_ps(vx, vy, acc[1]);
    }
    let sum = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    _mm512_reduce_add_ps(sum)
}

#[target_feature(enable = "avx512f")]
fn avx512_dot_many(query: &[f32], matrix: &[f32], dim: usize, out: &mut [f32]) {
    if dim == 0 {
        return;
    }
    for (row, o) in matrix.chunks_exact(dim).zip(out.iter_mut()) {
        *o = avx512_dot(query, row);
    }
}

/// The AVX2+FMA kernel, if this CPU has both features.
pub(super) fn avx2_fma() -> Option<Kernel> {
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        Some(Kernel {
            name: "avx2+fma",
            dot: avx2_dot_entry,
            dot_many: avx2_dot_many_entry,
        })
    } else {
        None
    }
}

// These two entry points are private and only reachable through the `Kernel` that
// `avx2_fma` returns after detecting the features, which is what makes them sound.
fn avx2_dot_entry(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only reachable via `avx2_fma()`, which checked the CPU has AVX2 and FMA.
    unsafe { avx2_dot(a, b) }
}

fn avx2_dot_many_entry(query: &[f32], matrix: &[f32], dim: usize, out: &mut [f32]) {
    // SAFETY: only reachable via `avx2_fma()`, which checked the CPU has AVX2 and FMA.
    unsafe { avx2_dot_many(query, matrix, dim, out) }
}

#[target_feature(enable = "avx2,fma")]
fn avx2_dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    // Four accumulators hide the FMA latency (4 cycles, 2 per cycle on recent cores).
    let mut acc = [_mm256_setzero_ps(); 4];
    let (ca, cb) = (a.chunks_exact(32), b.chunks_exact(32));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for (k, acc) in acc.iter_mut().enumerate() {
            let (xs, ys) = (&x[8 * k..8 * k + 8], &y[8 * k..8 * k + 8]);
            // SAFETY: `xs` and `ys` hold 8 floats each; `loadu` has no alignment requirement.
            let (vx, vy) = unsafe { (_mm256_loadu_ps(xs.as_ptr()), _mm256_loadu_ps(ys.as_ptr())) };
            *acc = _mm256_fmadd_ps(vx, vy, *acc);
        }
    }
    let (ca, cb) = (ra.chunks_exact(8), rb.chunks_exact(8));
    let (ta, tb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        // SAFETY: chunks of exactly 8 floats; `loadu` has no alignment requirement.
        let (vx, vy) = unsafe { (_mm256_loadu_ps(x.as_ptr()), _mm256_loadu_ps(y.as_ptr())) };
        acc[0] = _mm256_fmadd_ps(vx, vy, acc[0]);
    }
    let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let four = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps::<1>(sum));
    let tail: f32 = ta.iter().zip(tb).map(|(x, y)| x * y).sum();
    hsum128(four) + tail
}

#[target_feature(enable = "avx2,fma")]
fn avx2_dot_many(query: &[f32], matrix: &[f32], dim: usize, out: &mut [f32]) {
    if dim == 0 {
        return;
    }
    for (row, o) in matrix.chunks_exact(dim).zip(out.iter_mut()) {
        *o = avx2_dot(query, row);
    }
}

/// The SSE kernel: no detection needed, SSE and SSE2 are part of every x86_64 CPU.
pub(super) const SSE: Kernel = Kernel {
    name: "sse",
    dot: sse_dot_entry,
    dot_many: sse_dot_many_entry,
};

fn sse_dot_entry(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: SSE is part of the x86_64 baseline, so every x86_64 CPU has it.
    unsafe { sse_dot(a, b) }
}

fn sse_dot_many_entry(query: &[f32], matrix: &[f32], dim: usize, out: &mut [f32]) {
    // SAFETY: SSE is part of the x86_64 baseline, so every x86_64 CPU has it.
    unsafe { sse_dot_many(query, matrix, dim, out) }
}

#[target_feature(enable = "sse")]
fn sse_dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [_mm_setzero_ps(); 4];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for (k, acc) in acc.iter_mut().enumerate() {
            let (xs, ys) = (&x[4 * k..4 * k + 4], &y[4 * k..4 * k + 4]);
            // SAFETY: `xs` and `ys` hold 4 floats each; `loadu` has no alignment requirement.
            let (vx, vy) = unsafe { (_mm_loadu_ps(xs.as_ptr()), _mm_loadu_ps(ys.as_ptr())) };
            *acc = _mm_add_ps(*acc, _mm_mul_ps(vx, vy));
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    let sum = _mm_add_ps(_mm_add_ps(acc[0], acc[1]), _mm_add_ps(acc[2], acc[3]));
    hsum128(sum) + tail
}

#[target_feature(enable = "sse")]
fn sse_dot_many(query: &[f32], matrix: &[f32], dim: usize, out: &mut [f32]) {
    if dim == 0 {
        return;
    }
    for (row, o) in matrix.chunks_exact(dim).zip(out.iter_mut()) {
        *o = sse_dot(query, row);
    }
}

/// Sum of the four lanes.
#[target_feature(enable = "sse")]
fn hsum128(v: __m128) -> f32 {
    let two = _mm_add_ps(v, _mm_movehl_ps(v, v));
    let one = _mm_add_ss(two, _mm_shuffle_ps::<0b01>(two, two));
    _mm_cvtss_f32(one)
}

/// The int8 dot product with AVX2, if this CPU has it.
pub(super) fn avx2_int8() -> Option<super::DotI8Fn> {
    is_x86_feature_detected!("avx2").then_some(avx2_dot_i8_entry as super::DotI8Fn)
}

fn avx2_dot_i8_entry(a: &[i16], b: &[i8]) -> i32 {
    // SAFETY: only reachable via `avx2_int8()`, which checked the CPU has AVX2.
    unsafe { avx2_dot_i8(a, b) }
}

#[target_feature(enable = "avx2")]
fn avx2_dot_i8(a: &[i16], b: &[i8]) -> i32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    // 16 codes per step: widened to i16, multiplied with the query's i16 and summed in pairs
    // into 8 i32 lanes (`madd`); two accumulators hide the latency.
    let mut acc = [_mm256_setzero_si256(); 2];
    let (ca, cb) = (a.chunks_exact(32), b.chunks_exact(32));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for (k, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `x` holds 32 i16 and `y` 32 i8; each load reads 16 of them (32 and 16
            // bytes) at offset 16·k, in bounds; `loadu` has no alignment requirement.
            let (q, c) = unsafe {
                (
                    _mm256_loadu_si256(x.as_ptr().add(16 * k).cast()),
                    _mm_loadu_si128(y.as_ptr().add(16 * k).cast()),
                )
            };
            *acc = _mm256_add_epi32(*acc, _mm256_madd_epi16(q, _mm256_cvtepi8_epi16(c)));
        }
    }
    let sum = _mm256_add_epi32(acc[0], acc[1]);
    let mut lanes = [0i32; 8];
    // SAFETY: `lanes` holds exactly 8 i32 (32 bytes).
    unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), sum) };
    lanes.iter().sum::<i32>() + super::scalar::dot_i8(ra, rb)
}

/// The int8 dot product with AVX-512BW (32 codes per step), if this CPU has it.
pub(super) fn avx512_int8() -> Option<super::DotI8Fn> {
    (is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw"))
        .then_some(avx512_dot_i8_entry as super::DotI8Fn)
}

fn avx512_dot_i8_entry(a: &[i16], b: &[i8]) -> i32 {
    // SAFETY: only reachable via `avx512_int8()`, which checked the CPU has AVX-512F and BW.
    unsafe { avx512_dot_i8(a, b) }
}

#[target_feature(enable = "avx512f,avx512bw")]
fn avx512_dot_i8(a: &[i16], b: &[i8]) -> i32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    // As the AVX2 kernel, twice as wide: 32 codes widened to i16, `madd` into 16 i32 lanes.
    let mut acc = [_mm512_setzero_si512(); 2];
    let (ca, cb) = (a.chunks_exact(64), b.chunks_exact(64));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for (k, acc) in acc.iter_mut().enumerate() {
            // SAFETY: `x` holds 64 i16 and `y` 64 i8; each load reads 32 of them (64 and 32
            // bytes) at offset 32·k, in bounds; `loadu` has no alignment requirement.
            let (q, c) = unsafe {
                (
                    _mm512_loadu_si512(x.as_ptr().add(32 * k).cast()),
                    _mm256_loadu_si256(y.as_ptr().add(32 * k).cast()),
                )
            };
            *acc = _mm512_add_epi32(*acc, _mm512_madd_epi16(q, _mm512_cvtepi8_epi16(c)));
        }
    }
    let sum = _mm512_reduce_add_epi32(_mm512_add_epi32(acc[0], acc[1]));
    // The last 0..63 codes through the AVX2 kernel (and its scalar tail).
    sum + avx2_dot_i8(ra, rb)
}
