//! The reference kernel: plain Rust, no intrinsics.
//!
//! Eight independent partial sums instead of one running total: the result is the same up to
//! rounding, and it lets LLVM vectorise this loop on targets without a hand-written kernel
//! (a single accumulator forces strictly sequential float adds).

const LANES: usize = 8;

/// Dot product of the first `min(a.len(), b.len())` elements.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ta, tb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ta.iter().zip(tb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// `out[i] = dot(query, row i)` for `dim`-wide rows; stops at the shorter of rows and `out`.
pub fn dot_many(query: &[f32], matrix: &[f32], dim: usize, out: &mut [f32]) {
    if dim == 0 {
        return;
    }
    for (row, o) in matrix.chunks_exact(dim).zip(out.iter_mut()) {
        *o = dot(query, row);
    }
}

/// `Σ a_i · b_i` of i16 query codes and i8 row codes over the first `min(a.len(), b.len())`
/// elements, in i32 (see [`crate::quantised`] for why it cannot overflow).
pub fn dot_i8(a: &[i16], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum()
}
