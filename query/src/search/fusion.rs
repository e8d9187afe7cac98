//! Reciprocal rank fusion of ranked lists.

use std::collections::HashMap;

/// Fuses ranked lists of rows (best first): each row scores `Σ 1 / (rrf_k + rank)` over the
/// lists it appears in (rank 1 for the first). Best first; ties by lower row.
pub fn reciprocal_rank_fusion(lists: &[&[u64]], rrf_k: f32, k: usize) -> Vec<(u64, f32)> {
    let mut scores: HashMap<u64, f64> = HashMap::new();
    for list in lists {
        for (i, &row) in list.iter().enumerate() {
            *scores.entry(row).or_default() += 1.0 / (f64::from(rrf_k) + (i + 1) as f64);
        }
    }
    let mut fused: Vec<(u64, f64)> = scores.into_iter().collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused.truncate(k);
    fused.into_iter().map(|(r, s)| (r, s as f32)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_in_both_lists_win_and_scores_follow_the_formula() {
        let a = [1u64, 2, 3];
        let b = [3u64, 4, 1];
        let fused = reciprocal_rank_fusion(&[&a, &b], 60.0, 10);
        // 1: 1/61 + 1/63; 3: 1/63 + 1/61 — equal, lower row first; then 2 (1/62), 4 (1/62).
        assert_eq!(
            fused.iter().map(|x| x.0).collect::<Vec<_>>(),
            vec![1, 3, 2, 4]
        );
        let expect = 1.0 / 61.0 + 1.0 / 63.0;
        assert!((fused[0].1 as f64 - expect).abs() < 1e-7);
        assert!((fused[2].1 as f64 - 1.0 / 62.0).abs() < 1e-7);
    }

    #[test]
    fn k_truncates_and_empty_lists_are_fine() {
        assert!(reciprocal_rank_fusion(&[], 60.0, 5).is_empty());
        let a = [5u64, 6, 7, 8];
        assert_eq!(reciprocal_rank_fusion(&[&a, &[]], 60.0, 2).len(), 2);
    }

    #[test]
    fn small_rrf_k_favours_top_ranks() {
        // Second in both lists (2/62) beats first in one (1/61).
        let a = [1u64, 9];
        let b = [2u64, 9];
        let fused = reciprocal_rank_fusion(&[&a, &b], 60.0, 3);
        assert_eq!(fused[0].0, 9);
    }
}
