//! "More like these": turning example tracks into a query.

use serde::{Deserialize, Serialize};

use segue_index::kernels;
use segue_index::vectors::VectorFile;

/// How positives and negatives become a ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LikeStrategy {
    /// One query vector: the positives' mean minus [`NEGATIVE_WEIGHT`] times the negatives'
    /// mean (Rocchio's formula), then an ordinary vector search. One search, however many
    /// examples; best when the examples share one character.
    #[default]
    AverageVector,
    /// Candidates are the nearest tracks of each positive; each scores its best similarity to a
    /// positive, or, when some negative is closer than every positive, `−2 − that negative
    /// similarity` (so it sinks below every candidate nearer a positive, the more the closer it
    /// is to the negative). Keeps the
    /// examples' variety: a track close to any one of them ranks high.
    BestScore,
}

impl std::str::FromStr for LikeStrategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "average-vector" | "average" => Ok(LikeStrategy::AverageVector),
            "best-score" | "best" => Ok(LikeStrategy::BestScore),
            other => Err(format!(
                "unknown strategy {other:?} (expected average-vector or best-score)"
            )),
        }
    }
}

/// Weight of the negatives' mean in [`LikeStrategy::AverageVector`].
pub const NEGATIVE_WEIGHT: f32 = 0.5;

/// The average-vector query, normalised; `None` if it cancels out to zero.
pub fn average_query(
    vectors: &VectorFile,
    positives: &[u64],
    negatives: &[u64],
) -> Option<Vec<f32>> {
    let dim = vectors.dim() as usize;
    let mean = |rows: &[u64]| -> Vec<f32> {
        let mut m = vec![0f32; dim];
        for &r in rows {
            for (a, b) in m.iter_mut().zip(vectors.row(r as usize)) {
                *a += b;
            }
        }
        let n = rows.len().max(1) as f32;
        m.iter_mut().for_each(|x| *x /= n);
        m
    };
    let pos = mean(positives);
    let q: Vec<f32> = if negatives.is_empty() {
        pos
    } else {
        let neg = mean(negatives);
        pos.iter()
            .zip(&neg)
            .map(|(p, n)| p - NEGATIVE_WEIGHT * n)
            .collect()
    };
    let norm = kernels::dot(&q, &q).sqrt();
    (norm.is_finite() && norm > 1e-6).then(|| q.iter().map(|x| x / norm).collect())
}

/// The best-score of one candidate row.
pub fn best_score(vectors: &VectorFile, row: u64, positives: &[u64], negatives: &[u64]) -> f32 {
    let v = vectors.row(row as usize);
    let best = |rows: &[u64]| {
        rows.iter()
            .map(|&r| kernels::dot(v, vectors.row(r as usize)))
            .fold(f32::NEG_INFINITY, f32::max)
    };
    let pos = best(positives);
    let neg = best(negatives);
    // Similarities lie in [-1, 1]; a penalised candidate maps to [-3, -1), below every
    // unpenalised one, and the closer it is to the negative the lower it sinks.
    if pos >= neg { pos } else { -2.0 - neg }
}
