//! Cosine similarity as the reference computes it: an f32 value, 0 when either vector's norm is
//! ≤ 1e-6.
//!
//! The reference calls numpy on f32 vectors, whose summation order we cannot reproduce bit for
//! bit. We accumulate in f64 and round the quotient to f32: that is the correctly rounded f32
//! cosine, within a few f32 ulps of numpy's, and the same on every CPU.

/// Norms at or below this count as zero vectors (the reference's threshold).
pub const ZERO_NORM: f64 = 1e-6;

/// Dot product accumulated in f64 (eight independent lanes so that release builds vectorise).
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] as f64 * y[k] as f64;
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += *x as f64 * *y as f64;
    }
    acc.iter().sum::<f64>() + tail
}

/// `Σ a_k · b_k` with an f64 left side (the theme's running sums).
pub fn dot_f64(a: &[f64], b: &[f32]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k] as f64;
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += *x * *y as f64;
    }
    acc.iter().sum::<f64>() + tail
}

/// L2 norm, accumulated in f64.
pub fn norm(a: &[f32]) -> f64 {
    dot(a, a).sqrt()
}

/// Cosine of two vectors whose norms are known. `a_gate`/`b_gate` are the norms the zero test
/// applies to (the raw embeddings' norms; they differ from `a_norm`/`b_norm` only when a
/// source hands out normalised rows).
pub fn cosine_with_norms(
    a: &[f32],
    a_norm: f64,
    a_gate: f64,
    b: &[f32],
    b_norm: f64,
    b_gate: f64,
) -> f32 {
    if a_gate > ZERO_NORM && b_gate > ZERO_NORM && a_norm > 0.0 && b_norm > 0.0 {
        (dot(a, b) / (a_norm * b_norm)) as f32
    } else {
        0.0
    }
}

/// Cosine of two raw vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (na, nb) = (norm(a), norm(b));
    cosine_with_norms(a, na, na, b, nb, nb)
}

/// Cosine of two f64 vectors (the MFCCs, which the reference keeps in float64), 0 when either
/// norm is ≤ 1e-6.
pub fn cosine_f64(a: &[f64], b: &[f64]) -> f64 {
    let d: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na > ZERO_NORM && nb > ZERO_NORM {
        d / (na * nb)
    } else {
        0.0
    }
}
