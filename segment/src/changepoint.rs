//! Change points in a sequence of feature vectors: the partition into segments of at least
//! `min_len` frames that minimises the summed OF-VM-Net cost
//! `c(y_I) = |I| · log det(Σ̂_I + ε·Id)` (Σ̂_I the maximum-likelihood covariance of the frames
//! of segment I) plus a penalty per segment.
//!
//! * [`optimal_partition`] is the exact dynamic programme over every last segment start
//!   (O(n²) cost evaluations).
//! * [`pelt`] (Killick, Fearnhead & Eckley 2012) gives the same optimum while discarding start
//!   points that can never again be optimal: the cost satisfies `c(A) + c(B) ≤ c(A ∪ B)` for
//!   adjacent segments (the pooled covariance is the weighted mean of the parts' plus a PSD
//!   between-part scatter, and log det is concave), so PELT's pruning is exact with K = 0.
//! * [`partition_into`] fixes the number of segments instead of the penalty (DP over
//!   segments, O(k·n²)); [`penalty_for_segments`] finds a penalty whose optimum has a wanted
//!   number of segments, for long sequences.
//!
//! Segment costs come in O(d³) from prefix sums of the frames and of their outer products.

use crate::error::SegmentError;

/// Prefix sums of a sequence of `d`-dimensional frames and of their outer products, so the cost
/// of any segment is computed without touching its frames.
#[derive(Debug, Clone)]
pub struct SegmentCost {
    d: usize,
    epsilon: f64,
    /// `(n + 1) × d`: sums of the first `i` frames.
    sum: Vec<f64>,
    /// `(n + 1) × d(d+1)/2`: sums of the first `i` outer products (upper triangle).
    sum_sq: Vec<f64>,
    n: usize,
}

/// ε added to the covariance's diagonal (on standardised features, where a variance is ~1).
pub const DEFAULT_EPSILON: f64 = 1e-3;

impl SegmentCost {
    /// Prepares the costs of `frames` (each of the same dimension, finite).
    pub fn new(frames: &[Vec<f64>], epsilon: f64) -> Result<SegmentCost, SegmentError> {
        let d = frames.first().map_or(0, Vec::len);
        if d == 0 {
            return Err(SegmentError::InvalidArgument(
                "change points need at least one frame of at least one feature".into(),
            ));
        }
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(SegmentError::InvalidArgument(format!(
                "epsilon must be a positive number, got {epsilon}"
            )));
        }
        let tri = d * (d + 1) / 2;
        let n = frames.len();
        let mut sum = vec![0.0; (n + 1) * d];
        let mut sum_sq = vec![0.0; (n + 1) * tri];
        for (t, f) in frames.iter().enumerate() {
            if f.len() != d {
                return Err(SegmentError::InvalidArgument(format!(
                    "frame {t} has {} features, frame 0 has {d}",
                    f.len()
                )));
            }
            if let Some(j) = f.iter().position(|x| !x.is_finite()) {
                return Err(SegmentError::InvalidArgument(format!(
                    "frame {t}, feature {j} is not finite"
                )));
            }
            for j in 0..d {
                sum[(t + 1) * d + j] = sum[t * d + j] + f[j];
            }
            let mut k = 0;
            for a in 0..d {
                for b in a..d {
                    sum_sq[(t + 1) * tri + k] = sum_sq[t * tri + k] + f[a] * f[b];
                    k += 1;
                }
            }
        }
        Ok(SegmentCost {
            d,
            epsilon,
            sum,
            sum_sq,
            n,
        })
    }

    /// Frames in the sequence.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the sequence has no frames.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `c(y_[a, b))`: `(b − a) · log det(Σ̂ + ε·Id)` of frames `a..b` (`a < b`).
    pub fn cost(&self, a: usize, b: usize) -> f64 {
        debug_assert!(a < b && b <= self.n);
        // PELT and the DP call this millions of times: for the usual few features, a version
        // compiled for that dimension (stack scratch, loops unrolled); otherwise heap scratch.
        match self.d {
            1 => self.cost_dim::<1>(a, b),
            2 => self.cost_dim::<2>(a, b),
            3 => self.cost_dim::<3>(a, b),
            4 => self.cost_dim::<4>(a, b),
            5 => self.cost_dim::<5>(a, b),
            6 => self.cost_dim::<6>(a, b),
            7 => self.cost_dim::<7>(a, b),
            8 => self.cost_dim::<8>(a, b),
            d => self.cost_in(a, b, d, &mut vec![0.0; d], &mut vec![0.0; d * d]),
        }
    }

    /// [`SegmentCost::cost`] for `D == self.d`.
    fn cost_dim<const D: usize>(&self, a: usize, b: usize) -> f64 {
        let mut mean = [0.0; D];
        // `[0.0; D * D]` is not yet expressible with a const generic: rows of D.
        let mut cov = [[0.0; D]; D];
        self.cost_in(a, b, D, &mut mean, cov.as_flattened_mut())
    }

    /// [`SegmentCost::cost`] with scratch space for the mean (`d`) and the covariance (`d × d`).
    /// Inlined, so that a constant `d` unrolls its loops.
    #[inline(always)]
    fn cost_in(&self, a: usize, b: usize, d: usize, mean: &mut [f64], cov: &mut [f64]) -> f64 {
        let tri = d * (d + 1) / 2;
        let inv_m = 1.0 / (b - a) as f64;
        let (sum_a, sum_b) = (&self.sum[a * d..(a + 1) * d], &self.sum[b * d..(b + 1) * d]);
        for j in 0..d {
            mean[j] = (sum_b[j] - sum_a[j]) * inv_m;
        }
        let sq_a = &self.sum_sq[a * tri..(a + 1) * tri];
        let sq_b = &self.sum_sq[b * tri..(b + 1) * tri];
        // Σ̂ = E[x xᵀ] − μ μᵀ, then + ε on the diagonal; log det by Cholesky (which reads the
        // lower triangle only).
        let mut k = 0;
        for r in 0..d {
            for c in r..d {
                let e = (sq_b[k] - sq_a[k]) * inv_m;
                cov[c * d + r] = e - mean[r] * mean[c] + if r == c { self.epsilon } else { 0.0 };
                k += 1;
            }
        }
        (b - a) as f64 * log_det_spd(&mut cov[..d * d], d, self.epsilon)
    }
}

/// log det of a symmetric positive definite `d × d` matrix (Cholesky in place). Rounding can
/// leave a tiny or negative pivot on a nearly singular matrix; it is floored at `floor`, the ε
/// the matrix was regularised with. The pivots are multiplied and their product's log taken
/// once (folded into the sum before it could underflow or overflow): one `ln`, not `d`.
#[inline(always)]
fn log_det_spd(a: &mut [f64], d: usize, floor: f64) -> f64 {
    let mut log_det = 0.0;
    let mut product = 1.0f64;
    for j in 0..d {
        let mut diag = a[j * d + j];
        for k in 0..j {
            diag -= a[j * d + k] * a[j * d + k];
        }
        let diag = diag.max(floor * 1e-6);
        let l = diag.sqrt();
        a[j * d + j] = l;
        product *= diag;
        if !(1e-150..=1e150).contains(&product) {
            log_det += product.ln();
            product = 1.0;
        }
        for i in j + 1..d {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= a[i * d + k] * a[j * d + k];
            }
            a[i * d + j] = s / l;
        }
    }
    log_det + product.ln()
}

/// A partition: the end (exclusive) of every segment, the last one being the sequence length,
/// and its penalised cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    pub ends: Vec<usize>,
    pub cost: f64,
}

impl Partition {
    /// `(start, end)` of each segment, in frames.
    pub fn segments(&self) -> Vec<(usize, usize)> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&e| {
                let s = (start, e);
                start = e;
                s
            })
            .collect()
    }
}

fn check(n: usize, min_len: usize, penalty: f64) -> Result<(), SegmentError> {
    if min_len == 0 {
        return Err(SegmentError::InvalidArgument(
            "the minimum segment length must be at least one frame".into(),
        ));
    }
    if !(penalty.is_finite() && penalty >= 0.0) {
        return Err(SegmentError::InvalidArgument(format!(
            "the penalty must be a non-negative number, got {penalty}"
        )));
    }
    if n < min_len {
        return Err(SegmentError::InvalidArgument(format!(
            "{n} frames cannot hold one segment of at least {min_len} frames"
        )));
    }
    Ok(())
}

/// Walks the back-pointers from `n` to 0.
fn backtrack(prev: &[usize], n: usize) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut t = n;
    while t > 0 {
        ends.push(t);
        t = prev[t];
    }
    ends.reverse();
    ends
}

/// Ties between equal costs go to the earliest last-segment start, in both algorithms, so they
/// return the same partition.
fn better(candidate: f64, best: f64) -> bool {
    if best.is_infinite() {
        return candidate < best;
    }
    candidate < best - 1e-9 * best.abs().max(1.0)
}

/// The exact optimum of `Σ c(segment) + penalty · segments` over partitions into segments of at
/// least `min_len` frames, by dynamic programming over the last segment's start.
pub fn optimal_partition(
    cost: &SegmentCost,
    penalty: f64,
    min_len: usize,
) -> Result<Partition, SegmentError> {
    let n = cost.len();
    check(n, min_len, penalty)?;
    let mut f = vec![f64::INFINITY; n + 1];
    let mut prev = vec![0usize; n + 1];
    f[0] = 0.0;
    for t in min_len..=n {
        for s in 0..=t - min_len {
            if !f[s].is_finite() {
                continue;
            }
            let v = f[s] + cost.cost(s, t) + penalty;
            if better(v, f[t]) {
                f[t] = v;
                prev[t] = s;
            }
        }
    }
    Ok(Partition {
        ends: backtrack(&prev, n),
        cost: f[n],
    })
}

/// The same optimum as [`optimal_partition`] by PELT: a start `s` with `F(s) + c(s, t) > F(t)`
/// can never again win at any `T ≥ t + min_len` (the path through `t` is cheaper there), so it
/// is dropped from `t + min_len` on; before that, the path through `t` would make a segment
/// shorter than `min_len`, and `s` must stay.
pub fn pelt(cost: &SegmentCost, penalty: f64, min_len: usize) -> Result<Partition, SegmentError> {
    let n = cost.len();
    check(n, min_len, penalty)?;
    let mut f = vec![f64::INFINITY; n + 1];
    let mut prev = vec![0usize; n + 1];
    f[0] = 0.0;
    // Starts still in the running, in increasing order, each with the time from which it is
    // dropped (usize::MAX: not doomed yet). A start s becomes usable at t = s + min_len.
    let mut alive: Vec<(usize, usize)> = vec![(0, usize::MAX)];
    let mut totals: Vec<f64> = Vec::new();
    for t in min_len..=n {
        let newcomer = t - min_len;
        if newcomer > 0 && f[newcomer].is_finite() {
            alive.push((newcomer, usize::MAX));
        }
        alive.retain(|&(_, drop_at)| t < drop_at);
        let mut best = f64::INFINITY;
        let mut arg = 0;
        totals.clear();
        for &(s, _) in &alive {
            let c = f[s] + cost.cost(s, t);
            totals.push(c);
            if better(c + penalty, best) {
                best = c + penalty;
                arg = s;
            }
        }
        f[t] = best;
        prev[t] = arg;
        let tolerance = 1e-9 * best.abs().max(1.0);
        for ((_, drop_at), &c) in alive.iter_mut().zip(&totals) {
            if *drop_at == usize::MAX && c > best + tolerance {
                *drop_at = t + min_len;
            }
        }
    }
    Ok(Partition {
        ends: backtrack(&prev, n),
        cost: f[n],
    })
}

/// The partition into exactly `k` segments of at least `min_len` frames with the least summed
/// cost (no penalty), by dynamic programming over segments: O(k·n²).
pub fn partition_into(
    cost: &SegmentCost,
    k: usize,
    min_len: usize,
) -> Result<Partition, SegmentError> {
    let n = cost.len();
    check(n, min_len, 0.0)?;
    if k == 0 || k * min_len > n {
        return Err(SegmentError::InvalidArgument(format!(
            "{n} frames cannot hold {k} segments of at least {min_len} frames"
        )));
    }
    // g[j][t]: best cost of the first t frames in j segments.
    let mut g = vec![vec![f64::INFINITY; n + 1]; k + 1];
    let mut back = vec![vec![0usize; n + 1]; k + 1];
    g[0][0] = 0.0;
    for j in 1..=k {
        for t in j * min_len..=n - (k - j) * min_len {
            for s in (j - 1) * min_len..=t - min_len {
                if !g[j - 1][s].is_finite() {
                    continue;
                }
                let v = g[j - 1][s] + cost.cost(s, t);
                if better(v, g[j][t]) {
                    g[j][t] = v;
                    back[j][t] = s;
                }
            }
        }
    }
    let mut ends = Vec::with_capacity(k);
    let mut t = n;
    for j in (1..=k).rev() {
        ends.push(t);
        t = back[j][t];
    }
    ends.reverse();
    Ok(Partition {
        ends,
        cost: g[k][n],
    })
}

/// A penalty whose PELT optimum has a number of segments in `wanted`, or the nearest number
/// reachable (the count is monotone non-increasing in the penalty), in at most `max_steps`
/// PELT runs. Returns the penalty and its partition.
///
/// The search starts at a BIC-like penalty and moves by factors of 4 until the wanted counts
/// are bracketed, then interpolates log count against log penalty inside the bracket (kept to
/// its middle 60%, so the bracket shrinks at every step). Coming from the side of many segments
/// matters for speed: PELT prunes a start only once a later change point beats it, so a
/// penalty that allows few segments keeps nearly every start alive (O(n²) costs), while one
/// near the wanted count keeps about a segment's worth.
pub fn penalty_for_segments(
    cost: &SegmentCost,
    wanted: std::ops::RangeInclusive<usize>,
    min_len: usize,
    max_steps: usize,
) -> Result<(f64, Partition), SegmentError> {
    let n = cost.len();
    check(n, min_len, 0.0)?;
    let most = (n / min_len).max(1);
    let (lo, hi) = (
        (*wanted.start()).clamp(1, most),
        (*wanted.end()).clamp(1, most),
    );
    if lo > hi {
        return Err(SegmentError::InvalidArgument(format!(
            "an empty range of segment counts: {wanted:?}"
        )));
    }
    let miss = |got: usize| lo.saturating_sub(got) + got.saturating_sub(hi);
    let target = ((lo + hi) as f64 / 2.0).ln();
    let d = cost.d as f64;
    // Parameters of one segment's Gaussian (mean and covariance) times log n.
    let mut penalty = (d + d * (d + 1.0) / 2.0) * (n as f64).max(2.0).ln();
    let mut best = (penalty, pelt(cost, penalty, min_len)?);
    let mut got = best.1.ends.len();
    // (log penalty, log count) of the largest penalty seen with too many segments and of the
    // smallest with too few.
    let mut more: Option<(f64, f64)> = None;
    let mut fewer: Option<(f64, f64)> = None;
    for _ in 1..max_steps {
        if miss(got) == 0 {
            break;
        }
        let point = (penalty.ln(), (got as f64).ln());
        if got > hi {
            more = Some(point);
        } else {
            fewer = Some(point);
        }
        let x = match (more, fewer) {
            (Some(m), Some(f)) => {
                // Nothing left between them.
                if f.0 - m.0 < 1e-9 {
                    break;
                }
                let t = (target - m.1) / (f.1 - m.1);
                m.0 + t.clamp(0.2, 0.8) * (f.0 - m.0)
            }
            (Some(m), None) => m.0 + 4f64.ln(),
            (None, Some(f)) => f.0 - 4f64.ln(),
            (None, None) => break,
        };
        penalty = x.exp();
        // So small a penalty that every split that saves anything is taken already.
        if penalty < 1e-9 {
            break;
        }
        let p = pelt(cost, penalty, min_len)?;
        got = p.ends.len();
        if miss(got) < miss(best.1.ends.len()) {
            best = (penalty, p);
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every partition of `n` frames into segments of at least `m`, by enumeration.
    fn brute_force(cost: &SegmentCost, penalty: f64, m: usize) -> f64 {
        fn go(cost: &SegmentCost, start: usize, penalty: f64, m: usize) -> f64 {
            let n = cost.len();
            if start == n {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for end in start + m..=n {
                let rest = go(cost, end, penalty, m);
                best = best.min(cost.cost(start, end) + penalty + rest);
            }
            best
        }
        go(cost, 0, penalty, m)
    }

    fn frames_strategy() -> impl Strategy<Value = Vec<Vec<f64>>> {
        (1usize..4, 4usize..15).prop_flat_map(|(d, n)| {
            proptest::collection::vec(proptest::collection::vec(-3.0f64..3.0, d), n)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn the_dp_is_the_brute_force_optimum_and_pelt_equals_the_dp(
            frames in frames_strategy(),
            penalty in 0.0f64..20.0,
            m in 1usize..4,
        ) {
            prop_assume!(frames.len() >= m);
            let cost = SegmentCost::new(&frames, 0.1).unwrap();
            let dp = optimal_partition(&cost, penalty, m).unwrap();
            let brute = brute_force(&cost, penalty, m);
            prop_assert!((dp.cost - brute).abs() <= 1e-6 * brute.abs().max(1.0), "{} vs {}", dp.cost, brute);
            let p = pelt(&cost, penalty, m).unwrap();
            prop_assert!((p.cost - dp.cost).abs() <= 1e-6 * dp.cost.abs().max(1.0));
            prop_assert_eq!(&p.ends, &dp.ends);
            for (s, e) in dp.segments() {
                prop_assert!(e - s >= m);
            }
        }

        #[test]
        fn exactly_k_segments_is_the_best_of_its_size(
            frames in frames_strategy(),
            m in 1usize..3,
            k in 1usize..4,
        ) {
            prop_assume!(frames.len() >= k * m);
            let cost = SegmentCost::new(&frames, 0.1).unwrap();
            let p = partition_into(&cost, k, m).unwrap();
            prop_assert_eq!(p.ends.len(), k);
            prop_assert!(p.segments().iter().all(|(s, e)| e - s >= m));
            // A penalty of zero and a count of one are the two ends of the same family.
            if k == 1 {
                prop_assert!((p.cost - cost.cost(0, cost.len())).abs() < 1e-9);
            }
            // A penalty whose optimum has k segments gives the best partition into k.
            let (penalty, q) = penalty_for_segments(&cost, k..=k, m, 60).unwrap();
            if q.ends.len() == k {
                let unpenalised = q.cost - penalty * k as f64;
                prop_assert!((unpenalised - p.cost).abs() <= 1e-6 * p.cost.abs().max(1.0),
                    "{} vs {}", unpenalised, p.cost);
            }
        }
    }

    #[test]
    fn splitting_never_raises_the_cost() {
        let frames: Vec<Vec<f64>> = (0..40)
            .map(|i| vec![(i as f64 * 0.7).sin(), (i as f64 * 0.3).cos() * 2.0])
            .collect();
        let cost = SegmentCost::new(&frames, 1e-3).unwrap();
        for a in 0..38 {
            for b in a + 1..39 {
                for c in b + 1..40 {
                    assert!(
                        cost.cost(a, b) + cost.cost(b, c) <= cost.cost(a, c) + 1e-9,
                        "{a} {b} {c}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_change_in_mean_and_variance_is_found() {
        let mut frames = Vec::new();
        for i in 0..60 {
            let x = (i as f64 * 1.3).sin() * 0.1;
            frames.push(vec![x, -x]);
        }
        for i in 0..60 {
            let x = (i as f64 * 1.7).sin() * 2.0 + 3.0;
            frames.push(vec![x, x * 0.5]);
        }
        let cost = SegmentCost::new(&frames, 1e-3).unwrap();
        let p = partition_into(&cost, 2, 10).unwrap();
        assert_eq!(p.ends, vec![60, 120]);
        let (_, q) = penalty_for_segments(&cost, 2..=2, 10, 40).unwrap();
        assert_eq!(q.ends, vec![60, 120]);
    }

    #[test]
    fn bad_arguments_are_errors() {
        let frames = vec![vec![0.0]; 5];
        let cost = SegmentCost::new(&frames, 0.1).unwrap();
        assert!(optimal_partition(&cost, -1.0, 1).is_err());
        assert!(pelt(&cost, 1.0, 0).is_err());
        assert!(pelt(&cost, 1.0, 6).is_err());
        assert!(partition_into(&cost, 3, 2).is_err());
        assert!(SegmentCost::new(&[vec![1.0], vec![f64::NAN]], 0.1).is_err());
        assert!(SegmentCost::new(&[vec![1.0], vec![1.0, 2.0]], 0.1).is_err());
        assert!(SegmentCost::new(&[], 0.1).is_err());
        assert!(SegmentCost::new(&frames, 0.0).is_err());
    }
}
