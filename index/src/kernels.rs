//! Dot-product kernels for L2-normalised f32 vectors (cosine similarity = dot product).
//!
//! `scalar` is the reference every other kernel is property-tested against. The SIMD kernels
//! are compiled for every build (no `target-cpu` flag) and one is chosen at run time, once, by
//! asking the CPU what it supports; the choice is cached in a `OnceLock` so the hot path is
//! one atomic load and one indirect call.
//!
//! Kernels agree with `scalar` up to floating-point summation order, not bit for bit.

use std::sync::OnceLock;

use crate::error::{IndexError, Result};

#[cfg(target_arch = "aarch64")]
mod neon;
pub mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

#[cfg(test)]
mod tests;

/// Asks the CPU to start loading the first 128 bytes of `v` (a vector or a link record) that we
/// are about to read: graph walks and scans of scattered rows are bound by memory latency, not
/// arithmetic.
#[inline(always)]
pub fn prefetch<T>(v: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = v.as_ptr() as *const i8;
        // Two cache lines: 32 floats or link words; the hardware prefetcher follows the rest.
        // SAFETY: prefetch is a hint and never faults, even for invalid addresses; SSE is part
        // of the x86_64 baseline.
        #[allow(unused_unsafe)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(p);
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(64));
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// Bytes of a row [`prefetch_row`] asks for: eight cache lines, a 128-d f32 row or a 512-d
/// int8 one. Past them the hardware prefetcher has seen the row's stride and follows.
const PREFETCH_ROW_BYTES: usize = 512;

/// Asks the CPU to start loading `row` (its first 512 bytes), where [`prefetch`]
/// asks for two cache lines and leaves the rest to the hardware.
#[inline(always)]
pub fn prefetch_row<T>(row: &[T]) {
    let per_two_lines = (128 / std::mem::size_of::<T>().max(1)).max(1);
    for part in row.chunks(per_two_lines).take(PREFETCH_ROW_BYTES / 128) {
        prefetch(part);
    }
}

/// Dot product of the first `min(a.len(), b.len())` elements.
type DotFn = fn(&[f32], &[f32]) -> f32;
/// Row-by-row dot products; implementations must tolerate any input without panicking
/// (callers go through [`Kernel::dot_many`], which validates shapes first).
type DotManyFn = fn(&[f32], &[f32], usize, &mut [f32]);
/// `Σ a_i · b_i` of i16 query codes and i8 row codes.
type DotI8Fn = fn(&[i16], &[i8]) -> i32;

/// One implementation of the kernels, usable on this CPU.
#[derive(Clone, Copy)]
pub struct Kernel {
    name: &'static str,
    dot: DotFn,
    dot_many: DotManyFn,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel").field("name", &self.name).finish()
    }
}

impl Kernel {
    /// Short name such as `"avx512f"`, `"avx2+fma"` or `"scalar"`, for logs and benchmarks.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Dot product of `a` and `b`. If the lengths differ, only the common prefix is used
    /// (like `zip`); callers that care check dimensions once, up front, not per row.
    #[inline]
    pub fn dot(&self, a: &[f32], b: &[f32]) -> f32 {
        (self.dot)(a, b)
    }

    /// `out[i] = dot(query, row i of matrix)` for a row-major `matrix` of `dim`-wide rows.
    pub fn dot_many(
        &self,
        query: &[f32],
        matrix: &[f32],
        dim: usize,
        out: &mut [f32],
    ) -> Result<()> {
        let n_rows = matrix_rows("dot_many", query, matrix, dim)?;
        if out.len() != n_rows {
            return Err(IndexError::InvalidArgument(format!(
                "dot_many: matrix has {n_rows} rows but the output holds {}",
                out.len()
            )));
        }
        (self.dot_many)(query, matrix, dim, out);
        Ok(())
    }

    /// `out[i] = dot(query, row rows[i] of matrix)`: the scan of a filtered subset.
    pub fn dot_rows(
        &self,
        query: &[f32],
        matrix: &[f32],
        dim: usize,
        rows: &[u32],
        out: &mut [f32],
    ) -> Result<()> {
        let n_rows = matrix_rows("dot_rows", query, matrix, dim)?;
        if rows.len() != out.len() {
            return Err(IndexError::InvalidArgument(format!(
                "dot_rows: {} rows asked but the output holds {}",
                rows.len(),
                out.len()
            )));
        }
        for (&row, o) in rows.iter().zip(out.iter_mut()) {
            let v = (row as usize)
                .checked_mul(dim)
                .and_then(|start| matrix.get(start..start.checked_add(dim)?));
            let Some(v) = v else {
                return Err(IndexError::InvalidArgument(format!(
                    "dot_rows: row {row} out of range (matrix has {n_rows} rows)"
                )));
            };
            *o = (self.dot)(query, v);
        }
        Ok(())
    }
}

/// Checks that `matrix` is whole `dim`-wide rows matching `query`; returns the row count.
fn matrix_rows(what: &str, query: &[f32], matrix: &[f32], dim: usize) -> Result<usize> {
    let bad = |msg: String| Err(IndexError::InvalidArgument(msg));
    if dim == 0 {
        return bad(format!("{what}: dimension must be at least 1"));
    }
    if query.len() != dim {
        return bad(format!(
            "{what}: query has {} values, rows have {dim}",
            query.len()
        ));
    }
    if !matrix.len().is_multiple_of(dim) {
        return bad(format!(
            "{what}: matrix of {} values is not a whole number of {dim}-wide rows",
            matrix.len()
        ));
    }
    Ok(matrix.len() / dim)
}

/// The portable kernel, available everywhere.
pub const SCALAR: Kernel = Kernel {
    name: "scalar",
    dot: scalar::dot,
    dot_many: scalar::dot_many,
};

/// Every kernel this CPU can run, fastest first; `SCALAR` is always last.
pub fn available() -> Vec<Kernel> {
    let mut kernels = Vec::new();
    #[cfg(target_arch = "x86_64")]
    kernels.extend(x86::avx512());
    #[cfg(target_arch = "x86_64")]
    kernels.extend(x86::avx2_fma());
    #[cfg(target_arch = "x86_64")]
    kernels.push(x86::SSE);
    #[cfg(target_arch = "aarch64")]
    kernels.extend(neon::neon());
    kernels.push(SCALAR);
    kernels
}

/// The kernel this process uses, detected on first call.
pub fn selected() -> &'static Kernel {
    static SELECTED: OnceLock<Kernel> = OnceLock::new();
    SELECTED.get_or_init(|| available().first().copied().unwrap_or(SCALAR))
}

/// `Σ a_i · b_i` of i16 query codes and i8 row codes (the int8 copies of
/// [`crate::quantised`]), with the fastest implementation this CPU has (AVX-512BW, AVX2, else
/// scalar).
#[inline]
pub fn dot_i8(a: &[i16], b: &[i8]) -> i32 {
    static SELECTED: OnceLock<DotI8Fn> = OnceLock::new();
    let f = SELECTED.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        if let Some(f) = x86::avx512_int8().or_else(x86::avx2_int8) {
            return f;
        }
        scalar::dot_i8
    });
    f(a, b)
}

/// Dot product with the selected kernel; see [`Kernel::dot`].
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    selected().dot(a, b)
}

/// Row-by-row dot products with the selected kernel; see [`Kernel::dot_many`].
pub fn dot_many(query: &[f32], matrix: &[f32], dim: usize, out: &mut [f32]) -> Result<()> {
    selected().dot_many(query, matrix, dim, out)
}

/// Dot products against chosen rows with the selected kernel; see [`Kernel::dot_rows`].
pub fn dot_rows(
    query: &[f32],
    matrix: &[f32],
    dim: usize,
    rows: &[u32],
    out: &mut [f32],
) -> Result<()> {
    selected().dot_rows(query, matrix, dim, rows, out)
}
