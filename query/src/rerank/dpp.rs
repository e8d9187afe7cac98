//! Greedy MAP inference for a determinantal point process with the incremental Cholesky
//! update of Chen, Zhang & Zhou (NeurIPS 2018, Algorithm 1), with hard caps in the same pass.
//!
//! The kernel is `L = diag(q)·S·diag(q)` with `S = V·Vᵀ + εI` (`V` the candidates' unit
//! vectors; the jitter `ε` keeps `S` positive definite when candidates repeat, as tracks with
//! the same tags do, or outnumber the dimensions) and quality `q_i = exp(α·r_i)`, `α = θ /
//! (2(1 − θ))` — their trade-off between relevance and diversity. Then
//! `log det L_Y = 2α·Σ r_i + log det S_Y`, so, scaled by `1 − θ`, the greedy step maximises
//! `θ·r_i + (1 − θ)·log d_i²` with `d_i²` the Schur complement of candidate `i` in `S`: the
//! algorithm runs on `S`, never forms `exp(α·r)` (which overflows as θ → 1), and θ = 1 is
//! exactly the relevance order.
//!
//! Each pick `j` extends every live candidate's Cholesky row by
//! `e_i = (S_ji − ⟨c_j, c_i⟩) / d_j` and lowers `d_i² -= e_i²`: O(pool·(d + k)) per pick,
//! O(k·pool·(d + k)) in all, never O(pool³).

use segue_index::kernels;

use super::Pick;
use super::groups::CapGroups;

/// Added to the diagonal of the similarity kernel.
pub const JITTER: f64 = 1e-3;

/// `d²` below this counts as this (rounding can take a Schur complement a hair below 0).
const MIN_D2: f64 = 1e-12;

/// Up to `k` picks from the pool (`relevance[i]`, unit `vectors[i]`), best first; each pick's
/// score is its greedy gain `θ·r + (1 − θ)·ln d²`. Ties go to the lower pool index.
pub fn dpp(
    theta: f32,
    relevance: &[f32],
    vectors: &[&[f32]],
    caps: &CapGroups,
    k: usize,
) -> Vec<Pick> {
    let n = relevance.len();
    debug_assert!(vectors.len() == n && caps.items() == n);
    let theta = f64::from(theta);
    let k = k.min(n);
    let mut counter = caps.counter();
    // d_i² of the empty set: S_ii.
    let mut d2: Vec<f64> = vectors
        .iter()
        .map(|v| f64::from(kernels::dot(v, v)) + JITTER)
        .collect();
    // Row i of the Cholesky factor, c_i, at c[i·k .. i·k + picks].
    let mut c = vec![0f64; n * k.max(1)];
    let mut alive: Vec<usize> = (0..n).filter(|&i| counter.allows(i)).collect();
    let mut out = Vec::with_capacity(k);
    let gain = |i: usize, d2: &[f64]| {
        theta * f64::from(relevance[i]) + (1.0 - theta) * d2[i].max(MIN_D2).ln()
    };
    while out.len() < k {
        let mut best: Option<(usize, f64)> = None;
        for &i in &alive {
            let g = gain(i, &d2);
            if best.is_none_or(|(_, b)| g > b) {
                best = Some((i, g));
            }
        }
        let Some((j, g)) = best else { break };
        let t = out.len();
        out.push(Pick {
            index: j,
            score: g as f32,
        });
        counter.take(j);
        alive.retain(|&i| i != j && counter.allows(i));
        if theta >= 1.0 || out.len() == k {
            continue; // the factor is not needed for the relevance order or after the last pick
        }
        let dj = d2[j].max(MIN_D2).sqrt();
        let (vj, cj) = (vectors[j], j * k);
        for &i in &alive {
            let ci = i * k;
            let mut inner = 0.0;
            for u in 0..t {
                inner += c[cj + u] * c[ci + u];
            }
            let e = (f64::from(kernels::dot(vj, vectors[i])) - inner) / dj;
            c[ci + t] = e;
            d2[i] -= e * e;
        }
    }
    out
}
