//! aarch64 NEON kernel (4 lanes, fused multiply-add).
//!
//! NEON is mandatory on aarch64, but detection costs nothing and keeps the pattern of the
//! x86 kernels. Compile-checked for aarch64-unknown-linux-gnu but not yet run on hardware:
//! the property tests in `tests.rs` are what validate it on an aarch64 machine.

use std::arch::aarch64::*;

use super::Kernel;

/// The NEON kernel, if the CPU reports NEON.
pub(super) fn neon() -> Option<Kernel> {
    if std::arch::is_aarch64_feature_detected!("neon") {
        Some(Kernel {
            name: "neon",
            dot: neon_dot_entry,
            dot_many: neon_dot_many_entry,
        })
    } else {
        None
    }
}

fn neon_dot_entry(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only reachable via `neon()`, which checked the CPU has NEON.
    unsafe { neon_dot(a, b) }
}

fn neon_dot_many_entry(query: &[f32], matrix: &[f32], dim: usize, out: &mut [f32]) {
    // SAFETY: only reachable via `neon()`, which checked the CPU has NEON.
    unsafe { neon_dot_many(query, matrix, dim, out) }
}

#[target_feature(enable = "neon")]
fn neon_dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [vdupq_n_f32(0.0); 4];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for (k, acc) in acc.iter_mut().enumerate() {
            let (xs, ys) = (&x[4 * k..4 * k + 4], &y[4 * k..4 * k + 4]);
            // SAFETY: `xs` and `ys` hold 4 floats each; `vld1q_f32` needs only f32 alignment.
            let (vx, vy) = unsafe { (vld1q_f32(xs.as_ptr()), vld1q_f32(ys.as_ptr())) };
            *acc = vfmaq_f32(*acc, vx, vy);
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    let sum = vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3]));
    vaddvq_f32(sum) + tail
}

#[target_feature(enable = "neon")]
fn neon_dot_many(query: &[f32], matrix: &[f32], dim: usize, out: &mut [f32]) {
    if dim == 0 {
        return;
    }
    for (row, o) in matrix.chunks_exact(dim).zip(out.iter_mut()) {
        *o = neon_dot(query, row);
    }
}
