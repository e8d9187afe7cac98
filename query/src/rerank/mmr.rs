//! Maximal marginal relevance (Carbonell & Goldstein 1998) with hard caps, in one greedy pass.
//!
//! Each step picks, among the candidates that still fit the caps, the one maximising
//! `λ·relevance − (1 − λ)·max_{j picked} sim(i, j)` (the max over nothing is 0, so the first
//! pick is the most relevant). Each candidate keeps its largest similarity to the picks so far,
//! updated with one dot product per pick: O(k·pool·d) in all.

use segue_index::kernels;

use super::Pick;
use super::groups::CapGroups;

/// Up to `k` picks from the pool (`relevance[i]`, unit `vectors[i]`), best first. Ties go to
/// the lower pool index.
pub fn mmr(
    lambda: f32,
    relevance: &[f32],
    vectors: &[&[f32]],
    caps: &CapGroups,
    k: usize,
) -> Vec<Pick> {
    let n = relevance.len();
    debug_assert!(vectors.len() == n && caps.items() == n);
    let mut counter = caps.counter();
    let mut max_sim = vec![0f32; n];
    let mut any_picked = false;
    let mut alive: Vec<usize> = (0..n).filter(|&i| counter.allows(i)).collect();
    let mut out = Vec::with_capacity(k.min(n));
    while out.len() < k {
        let mut best: Option<(usize, f32)> = None;
        for &i in &alive {
            let penalty = if any_picked { max_sim[i] } else { 0.0 };
            let score = lambda * relevance[i] - (1.0 - lambda) * penalty;
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((i, score));
            }
        }
        let Some((j, score)) = best else { break };
        out.push(Pick { index: j, score });
        counter.take(j);
        alive.retain(|&i| i != j && counter.allows(i));
        if lambda < 1.0 {
            let vj = vectors[j];
            for &i in &alive {
                let s = kernels::dot(vectors[i], vj);
                if !any_picked || s > max_sim[i] {
                    max_sim[i] = s;
                }
            }
        }
        any_picked = true;
    }
    out
}
