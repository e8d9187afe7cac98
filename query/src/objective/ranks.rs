//! Ranks for the motion–energy pairing: a segment's motion and a track's energy are compared by
//! where they stand in their own population (the video's segments, the library's tracks), since
//! motion is in frame widths per second and energy in whatever unit the catalogue uses.

/// Each value's rank scaled to [0, 1] (0 the smallest, 1 the largest; ties share their mean
/// rank). A single value ranks 0.5.
pub fn percentile_ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n == 1 {
        return vec![0.5];
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && values[order[j]] == values[order[i]] {
            j += 1;
        }
        // Ranks i..j (0-based) share their mean.
        let mean = (i + j - 1) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = mean / (n - 1) as f64;
        }
        i = j;
    }
    ranks
}

/// Spearman's rank correlation of paired values: the Pearson correlation of their ranks.
/// `None` for fewer than 3 pairs or when either side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 3 {
        return None;
    }
    let (ra, rb) = (percentile_ranks(a), percentile_ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_span_zero_to_one_and_ties_share() {
        assert_eq!(percentile_ranks(&[3.0, 1.0, 2.0]), vec![1.0, 0.0, 0.5]);
        assert_eq!(percentile_ranks(&[1.0, 1.0, 5.0]), vec![0.25, 0.25, 1.0]);
        assert_eq!(percentile_ranks(&[7.0]), vec![0.5]);
        assert!(percentile_ranks(&[]).is_empty());
    }

    #[test]
    fn spearman_of_monotone_and_reversed_pairs() {
        let a = [0.1, 0.5, 0.2, 0.9];
        let up = [1.0, 30.0, 2.0, 100.0];
        let down = [9.0, 1.0, 5.0, 0.0];
        assert!((spearman(&a, &up).unwrap() - 1.0).abs() < 1e-12);
        assert!((spearman(&a, &down).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&a, &[1.0; 4]), None);
        assert_eq!(spearman(&a[..2], &up[..2]), None);
    }

    #[test]
    fn spearman_matches_the_textbook_formula_without_ties() {
        // 1 − 6 Σd² / (n(n² − 1)) holds when no value repeats.
        let a = [1.0, 4.0, 2.0, 8.0, 5.0, 3.0];
        let b = [2.0, 1.0, 6.0, 7.0, 3.0, 4.0];
        let ra = percentile_ranks(&a);
        let rb = percentile_ranks(&b);
        let n = a.len() as f64;
        let d2: f64 = ra
            .iter()
            .zip(&rb)
            .map(|(x, y)| ((x - y) * (n - 1.0)).powi(2))
            .sum();
        let expected = 1.0 - 6.0 * d2 / (n * (n * n - 1.0));
        assert!((spearman(&a, &b).unwrap() - expected).abs() < 1e-12);
    }
}
