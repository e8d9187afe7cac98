//! The rerankers against independent references (brute-force greedy MMR and log-det) and the
//! contracts every reranker keeps: caps hold, `k` picks whenever `k` fit, deterministic ties.

use proptest::prelude::*;

use super::*;

/// A pool: relevance best first, unit vectors, and per candidate an artist and a tag.
#[derive(Debug, Clone)]
struct Pool {
    relevance: Vec<f32>,
    vectors: Vec<Vec<f32>>,
    artists: Vec<u32>,
    tags: Vec<u32>,
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n < 1e-3 {
        let mut e = vec![0.0; v.len()];
        e[0] = 1.0;
        return e;
    }
    v.into_iter().map(|x| x / n).collect()
}

fn pool(max_items: usize, dim: usize) -> impl Strategy<Value = Pool> {
    (1..=max_items).prop_flat_map(move |n| {
        (
            proptest::collection::vec(0.0f32..1.0, n),
            proptest::collection::vec(proptest::collection::vec(-1.0f32..1.0, dim), n),
            proptest::collection::vec(0u32..4, n),
            proptest::collection::vec(0u32..3, n),
        )
            .prop_map(|(mut relevance, vectors, artists, tags)| {
                relevance.sort_by(|a, b| b.total_cmp(a));
                Pool {
                    relevance,
                    vectors: vectors.into_iter().map(unit).collect(),
                    artists,
                    tags,
                }
            })
    })
}

impl Pool {
    fn refs(&self) -> Vec<&[f32]> {
        self.vectors.iter().map(Vec::as_slice).collect()
    }

    fn caps(&self, per_artist: Option<u32>, per_tag: Option<u32>) -> CapGroups {
        let mut b = CapGroupsBuilder::new(self.relevance.len());
        for i in 0..self.relevance.len() {
            if let Some(c) = per_artist {
                b.assign(i, (0, self.artists[i]), c);
            }
            if let Some(c) = per_tag {
                b.assign(i, (1, self.tags[i]), c);
            }
        }
        b.build()
    }
}

fn dot64(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

/// `log det` of `S_Y = V_Y V_Yᵀ + εI` by a Cholesky factorisation from scratch.
fn log_det(vectors: &[Vec<f32>], y: &[usize]) -> f64 {
    let m = y.len();
    let mut a = vec![0f64; m * m];
    for (r, &i) in y.iter().enumerate() {
        for (c, &j) in y.iter().enumerate() {
            a[r * m + c] = dot64(&vectors[i], &vectors[j]) + if r == c { dpp::JITTER } else { 0.0 };
        }
    }
    let mut l = vec![0f64; m * m];
    let mut log_det = 0.0;
    for r in 0..m {
        for c in 0..=r {
            let mut s = a[r * m + c];
            for u in 0..c {
                s -= l[r * m + u] * l[c * m + u];
            }
            if r == c {
                let d = s.max(1e-12);
                l[r * m + r] = d.sqrt();
                log_det += d.ln();
            } else {
                l[r * m + c] = s / l[c * m + c];
            }
        }
    }
    log_det
}

/// A greedy selection by brute force: at each step `value(picks so far, candidate)` for every
/// candidate left, the best taken. Also returns the smallest gap between the best and the
/// second-best value over the steps: where it is tiny, f32 and f64 arithmetic may
/// legitimately choose differently.
fn brute_force_greedy(
    p: &Pool,
    k: usize,
    value: impl Fn(&[usize], usize) -> f64,
) -> (Vec<usize>, f64) {
    let mut y: Vec<usize> = Vec::new();
    let mut min_gap = f64::INFINITY;
    while y.len() < k.min(p.relevance.len()) {
        let mut values: Vec<(f64, usize)> = (0..p.relevance.len())
            .filter(|i| !y.contains(i))
            .map(|i| (value(&y, i), i))
            .collect();
        values.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        if values.len() > 1 {
            min_gap = min_gap.min(values[0].0 - values[1].0);
        }
        y.push(values[0].1);
    }
    (y, min_gap)
}

/// Greedy MAP by brute force: `θ·Σr + (1 − θ)·log det S_Y` recomputed from scratch for every
/// candidate added to the picks so far.
fn brute_force_dpp(theta: f64, p: &Pool, k: usize) -> (Vec<usize>, f64) {
    brute_force_greedy(p, k, |y, i| {
        let mut with = y.to_vec();
        with.push(i);
        let rel: f64 = with.iter().map(|&j| f64::from(p.relevance[j])).sum();
        theta * rel + (1.0 - theta) * log_det(&p.vectors, &with)
    })
}

/// MMR recomputed from its definition at every step.
fn brute_force_mmr(lambda: f64, p: &Pool, k: usize) -> (Vec<usize>, f64) {
    brute_force_greedy(p, k, |y, i| {
        let max_sim = y
            .iter()
            .map(|&j| dot64(&p.vectors[i], &p.vectors[j]))
            .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))))
            .unwrap_or(0.0);
        lambda * f64::from(p.relevance[i]) - (1.0 - lambda) * max_sim
    })
}

fn indices(picks: &[Pick]) -> Vec<usize> {
    picks.iter().map(|p| p.index).collect()
}

proptest! {
    #[test]
    fn mmr_with_lambda_one_is_the_relevance_order(p in pool(40, 6), k in 1usize..20) {
        let caps = CapGroups::none(p.relevance.len());
        let picks = rerank(Diversify::Mmr { lambda: 1.0 }, &p.relevance, &p.refs(), &caps, k);
        let expect: Vec<usize> = (0..k.min(p.relevance.len())).collect();
        prop_assert_eq!(indices(&picks), expect);
    }

    #[test]
    fn dpp_with_theta_one_is_the_relevance_order(p in pool(40, 6), k in 1usize..20) {
        let caps = CapGroups::none(p.relevance.len());
        let picks = rerank(Diversify::Dpp { theta: 1.0 }, &p.relevance, &p.refs(), &caps, k);
        let expect: Vec<usize> = (0..k.min(p.relevance.len())).collect();
        prop_assert_eq!(indices(&picks), expect);
    }

    #[test]
    fn greedy_dpp_equals_brute_force_greedy_log_det(
        p in pool(12, 5),
        k in 1usize..7,
        theta in 0.0f64..0.99,
    ) {
        let theta = f64::from(theta as f32);
        let (expect, gap) = brute_force_dpp(theta, &p, k);
        prop_assume!(gap > 1e-4);
        let caps = CapGroups::none(p.relevance.len());
        let fast = dpp::dpp(theta as f32, &p.relevance, &p.refs(), &caps, k);
        prop_assert_eq!(indices(&fast), expect);
    }

    #[test]
    fn mmr_equals_its_definition(p in pool(20, 5), k in 1usize..8, lambda in 0.0f64..1.0) {
        let lambda = f64::from(lambda as f32);
        let (expect, gap) = brute_force_mmr(lambda, &p, k);
        prop_assume!(gap > 1e-4);
        let caps = CapGroups::none(p.relevance.len());
        let picks = mmr::mmr(lambda as f32, &p.relevance, &p.refs(), &caps, k);
        prop_assert_eq!(indices(&picks), expect);
    }

    #[test]
    fn caps_always_hold_and_k_come_back_whenever_k_fit(
        p in pool(40, 4),
        k in 1usize..25,
        cap in 1u32..4,
        method in 0usize..3,
        knob in 0.0f32..=1.0,
    ) {
        let method = match method {
            0 => Diversify::None,
            1 => Diversify::Mmr { lambda: knob },
            _ => Diversify::Dpp { theta: knob },
        };
        let caps = p.caps(Some(cap), None);
        let picks = rerank(method, &p.relevance, &p.refs(), &caps, k);
        let mut per_artist = std::collections::HashMap::new();
        for x in &picks {
            *per_artist.entry(p.artists[x.index]).or_insert(0u32) += 1;
        }
        prop_assert!(per_artist.values().all(|&n| n <= cap), "{:?}", per_artist);
        // One partition (artists): greedy reaches the most that fit.
        let mut by_artist = std::collections::HashMap::new();
        for a in &p.artists {
            *by_artist.entry(*a).or_insert(0u32) += 1;
        }
        let fit: usize = by_artist.values().map(|&n| n.min(cap) as usize).sum();
        prop_assert_eq!(picks.len(), k.min(fit));
        let mut seen = std::collections::HashSet::new();
        prop_assert!(picks.iter().all(|x| seen.insert(x.index)), "a candidate picked twice");
    }

    #[test]
    fn several_caps_hold_together(
        p in pool(40, 4),
        k in 1usize..25,
        artist_cap in 1u32..4,
        tag_cap in 1u32..6,
        method in 0usize..3,
    ) {
        let method = match method {
            0 => Diversify::None,
            1 => Diversify::Mmr { lambda: 0.5 },
            _ => Diversify::Dpp { theta: 0.5 },
        };
        let caps = p.caps(Some(artist_cap), Some(tag_cap));
        let picks = rerank(method, &p.relevance, &p.refs(), &caps, k);
        for (key, cap) in [(&p.artists, artist_cap), (&p.tags, tag_cap)] {
            let mut count = std::collections::HashMap::new();
            for x in &picks {
                *count.entry(key[x.index]).or_insert(0u32) += 1;
            }
            prop_assert!(count.values().all(|&n| n <= cap));
        }
    }

    #[test]
    fn reranking_is_deterministic(p in pool(30, 4), k in 1usize..10, knob in 0.0f32..=1.0) {
        let caps = p.caps(Some(2), None);
        for method in [Diversify::Mmr { lambda: knob }, Diversify::Dpp { theta: knob }] {
            let a = rerank(method, &p.relevance, &p.refs(), &caps, k);
            let b = rerank(method, &p.relevance, &p.refs(), &caps, k);
            prop_assert_eq!(a, b);
        }
    }
}

#[test]
fn ties_go_to_the_lower_pool_index() {
    // Four identical candidates of equal relevance: every method takes them in pool order.
    let v = [1.0f32, 0.0];
    let vectors: Vec<&[f32]> = vec![&v; 4];
    let relevance = [0.5f32; 4];
    let caps = CapGroups::none(4);
    for method in [
        Diversify::None,
        Diversify::Mmr { lambda: 0.3 },
        Diversify::Dpp { theta: 0.3 },
    ] {
        assert_eq!(
            indices(&rerank(method, &relevance, &vectors, &caps, 4)),
            vec![0, 1, 2, 3],
            "{method}"
        );
    }
}

#[test]
fn diversity_prefers_a_different_candidate_to_a_near_copy() {
    // 0 and 1 are near copies, 2 points elsewhere and is a little less relevant.
    let a = [1.0f32, 0.0];
    let a2 = [0.999f32, 0.0447];
    let b = [0.0f32, 1.0];
    let vectors: Vec<&[f32]> = vec![&a, &a2, &b];
    let relevance = [0.9f32, 0.89, 0.8];
    let caps = CapGroups::none(3);
    let plain = rerank(Diversify::None, &relevance, &vectors, &caps, 2);
    assert_eq!(indices(&plain), vec![0, 1]);
    for method in [
        Diversify::Mmr { lambda: 0.5 },
        Diversify::Dpp { theta: 0.5 },
    ] {
        assert_eq!(
            indices(&rerank(method, &relevance, &vectors, &caps, 2)),
            vec![0, 2],
            "{method}"
        );
    }
}

#[test]
fn spec_values_are_validated_with_the_reason() {
    for (s, needle) in [
        ("mmr:1.5", "[0, 1]"),
        ("mmr:-0.1", "[0, 1]"),
        ("dpp:nan", "[0, 1]"),
        ("mmr:x", "number"),
        ("rrf", "unknown diversity method"),
    ] {
        let e = s.parse::<Diversify>().unwrap_err().to_string();
        assert!(e.contains(needle), "{s}: {e}");
    }
    assert_eq!(
        "mmr".parse::<Diversify>().unwrap(),
        Diversify::Mmr {
            lambda: DEFAULT_MMR_LAMBDA
        }
    );
    assert_eq!(
        "DPP:0.25".parse::<Diversify>().unwrap(),
        Diversify::Dpp { theta: 0.25 }
    );
    assert_eq!("none".parse::<Diversify>().unwrap(), Diversify::None);
    let e = Caps::default().per_artist(0).unwrap_err().to_string();
    assert!(e.contains("at least 1"), "{e}");
    assert!(Caps::default().per_album(0).is_err());
    assert!(Caps::parse_tag_cap("genre:0").is_err());
    assert!(Caps::parse_tag_cap("genre").is_err());
    assert!(Caps::parse_tag_cap(":3").is_err());
    assert_eq!(
        Caps::parse_tag_cap("Genre:Rock:2").unwrap(),
        ("genre:rock".to_string(), 2)
    );
}

#[test]
fn id_lists_skip_comments_blanks_and_extra_columns() {
    let ids = parse_id_list("# last videos\n\nt1\n t2 \nt3,My Title\nt1\nt4\tx\n");
    assert_eq!(ids, vec!["t1", "t2", "t3", "t4"]);
    let e = read_id_list(std::path::Path::new("/nonexistent/ids.txt"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/ids.txt"), "{e}");
}
