//! A few principal components of a high-dimensional feature sequence, for the change-point
//! search.
//!
//! The change-point cost is a log-determinant of each segment's d×d covariance. Its time grows
//! steeply with d: one hour at 4 fps takes 0.4 s at 4 dimensions, 1.8 s at 8 and 18 s at 16
//! (benches/RESULTS.md, video segmentation). A video model's embedding has hundreds. Regime
//! changes show in the directions of largest variance, so the search runs on the top
//! [`MAX_CHANGE_POINT_DIMS`] components of the standardised frames. Subspace iteration finds
//! them without forming the d×d covariance: each round costs two passes over the frames.

/// The most dimensions the change-point search is given.
pub const MAX_CHANGE_POINT_DIMS: usize = 8;

/// Rounds of subspace iteration: enough for the leading components to settle on real
/// embeddings, whose spectrum falls quickly.
const ROUNDS: usize = 12;

/// `frames` projected onto their top `k` principal components (after standardising each
/// dimension), or the frames themselves when they have at most `k` dimensions.
pub fn principal_components(frames: &[Vec<f64>], k: usize) -> Vec<Vec<f64>> {
    let d = frames.first().map_or(0, Vec::len);
    if d <= k || frames.is_empty() {
        return frames.to_vec();
    }
    let x = standardised(frames, d);
    // A fixed start, so the same input always gives the same segments.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut basis: Vec<Vec<f64>> = (0..k)
        .map(|_| {
            (0..d)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
                })
                .collect()
        })
        .collect();
    orthonormalise(&mut basis);
    for _ in 0..ROUNDS {
        // basis ← Xᵀ·(X·basis), then orthonormal again.
        let scores: Vec<Vec<f64>> = x.iter().map(|row| project(row, &basis)).collect();
        let mut next = vec![vec![0.0; d]; k];
        for (row, s) in x.iter().zip(&scores) {
            for (b, &w) in next.iter_mut().zip(s) {
                for (v, &r) in b.iter_mut().zip(row) {
                    *v += w * r;
                }
            }
        }
        basis = next;
        orthonormalise(&mut basis);
    }
    x.iter().map(|row| project(row, &basis)).collect()
}

fn project(row: &[f64], basis: &[Vec<f64>]) -> Vec<f64> {
    basis
        .iter()
        .map(|b| b.iter().zip(row).map(|(a, c)| a * c).sum())
        .collect()
}

fn standardised(frames: &[Vec<f64>], d: usize) -> Vec<Vec<f64>> {
    let n = frames.len() as f64;
    let mut mean = vec![0.0; d];
    for f in frames {
        for (m, v) in mean.iter_mut().zip(f) {
            *m += v / n;
        }
    }
    let mut sd = vec![0.0; d];
    for f in frames {
        for ((s, v), m) in sd.iter_mut().zip(f).zip(&mean) {
            *s += (v - m).powi(2) / n;
        }
    }
    frames
        .iter()
        .map(|f| {
            f.iter()
                .zip(&mean)
                .zip(&sd)
                .map(|((v, m), s)| if *s > 1e-24 { (v - m) / s.sqrt() } else { 0.0 })
                .collect()
        })
        .collect()
}

/// Modified Gram–Schmidt; a vector that vanishes (rank below k) stays zero.
fn orthonormalise(basis: &mut [Vec<f64>]) {
    for i in 0..basis.len() {
        for j in 0..i {
            let dot: f64 = basis[i].iter().zip(&basis[j]).map(|(a, b)| a * b).sum();
            let (head, tail) = basis.split_at_mut(i);
            for (a, b) in tail[0].iter_mut().zip(&head[j]) {
                *a -= dot * b;
            }
        }
        let norm = basis[i].iter().map(|a| a * a).sum::<f64>().sqrt();
        for a in &mut basis[i] {
            *a = if norm > 1e-12 { *a / norm } else { 0.0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_dimensional_frames_pass_through() {
        let frames = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
        assert_eq!(principal_components(&frames, 8), frames);
    }

    #[test]
    fn the_components_keep_the_variance_of_a_low_rank_sequence() {
        // 40-d frames that vary along two directions only (plus nothing else): two components
        // hold all of the standardised variance.
        let n = 200;
        let frames: Vec<Vec<f64>> = (0..n)
            .map(|t| {
                let (a, b) = ((t as f64 * 0.1).sin(), (t as f64 * 0.037).cos());
                (0..40)
                    .map(|j| a * (j as f64 + 1.0) + b * ((j % 7) as f64 - 3.0))
                    .collect()
            })
            .collect();
        let x = standardised(&frames, 40);
        let total: f64 = x.iter().flatten().map(|v| v * v).sum();
        let reduced = principal_components(&frames, 2);
        assert!(reduced.iter().all(|r| r.len() == 2));
        let kept: f64 = reduced.iter().flatten().map(|v| v * v).sum();
        assert!(kept > 0.999 * total, "kept {kept} of {total}");
        assert_eq!(principal_components(&frames, 2), reduced, "deterministic");
    }
}
