//! The terminal theme-coherence term in O(d) per candidate.
//!
//! The reference computes `z = Σ_j m_j / n`, normalises it, and averages `cos(m_j, z)` over the
//! n steps of the episode (`m_j` = raw audio embedding of the track heard at step j, so a
//! continued track counts once per segment). Cosine ignores scale, so with `S = Σ_j m_j` and
//! `U = Σ_j m_j / |m_j|`:
//!
//! ```text
//! Σ_j cos(m_j, z) = Σ_j m_j·S / (|m_j| |S|) = U·S / |S|
//! ```
//!
//! Keeping `S` and `U` as running sums, the term for one more candidate track `c` needs two dot
//! products (`S·c`, `U·c`) instead of the reference's `n` cosines. This matters when the last
//! segment's candidates are a whole library.

use super::cosine::{ZERO_NORM, dot_f64};
use super::tracks::TrackVector;

/// Running sums over the tracks heard so far.
#[derive(Debug, Clone)]
pub(crate) struct ThemeSums {
    /// `S`: sum of raw embeddings.
    sum: Vec<f64>,
    /// `U`: sum of unit embeddings (tracks whose raw norm is > 1e-6 only: the reference's
    /// cosine is 0 for the others).
    unit_sum: Vec<f64>,
    /// Steps so far (`n`), tracks without an embedding included.
    steps: usize,
}

/// `S·S` and `U·S`, computed once per step and shared by all candidates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThemeStep {
    ss: f64,
    us: f64,
}

impl ThemeSums {
    pub(crate) fn new(dim: usize) -> Self {
        ThemeSums {
            sum: vec![0.0; dim],
            unit_sum: vec![0.0; dim],
            steps: 0,
        }
    }

    pub(crate) fn add(&mut self, v: Option<TrackVector<'_>>) {
        self.steps += 1;
        let Some(v) = v.filter(|v| v.values.len() == self.sum.len()) else {
            return;
        };
        let scale = v.raw_scale();
        for (s, x) in self.sum.iter_mut().zip(v.values) {
            *s += scale * *x as f64;
        }
        if v.raw_norm > ZERO_NORM && v.values_norm > 0.0 {
            let inv = 1.0 / v.values_norm;
            for (u, x) in self.unit_sum.iter_mut().zip(v.values) {
                *u += inv * *x as f64;
            }
        }
    }

    pub(crate) fn step(&self) -> ThemeStep {
        let ss = self.sum.iter().map(|x| x * x).sum();
        let us = self
            .unit_sum
            .iter()
            .zip(&self.sum)
            .map(|(u, s)| u * s)
            .sum();
        ThemeStep { ss, us }
    }

    /// Unweighted theme value (mean cosine to the centroid) if `candidate` is heard next and
    /// the episode then ends.
    pub(crate) fn mean_cosine_with(
        &self,
        at: ThemeStep,
        candidate: Option<TrackVector<'_>>,
    ) -> f64 {
        let n = (self.steps + 1) as f64;
        let (s_c, u_c, cc, raw_norm) = match candidate.filter(|v| v.values.len() == self.sum.len())
        {
            Some(v) => {
                let scale = v.raw_scale();
                (
                    scale * dot_f64(&self.sum, v.values),
                    scale * dot_f64(&self.unit_sum, v.values),
                    v.raw_norm * v.raw_norm,
                    v.raw_norm,
                )
            }
            None => (0.0, 0.0, 0.0, 0.0),
        };
        let ss = at.ss + 2.0 * s_c + cc;
        if ss <= 0.0 {
            return 0.0;
        }
        let s_norm = ss.sqrt();
        // The reference divides the mean by (|mean| + 1e-6) and then treats a result with norm
        // ≤ 1e-6 as zero: reproduce that test on the mean's norm.
        let r = s_norm / n;
        if r / (r + 1e-6) <= ZERO_NORM {
            return 0.0;
        }
        let earlier = (at.us + u_c) / s_norm;
        let own = if raw_norm > ZERO_NORM {
            (s_c + cc) / (raw_norm * s_norm)
        } else {
            0.0
        };
        (earlier + own) / n
    }
}
