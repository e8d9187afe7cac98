//! The planner: scan or walk by cost, the two-hop walk from seeds, and the scan it falls back
//! to when a filter leaves the query's region empty; recall at every selectivity.

use segue_index::ann::format::write_graph;
use segue_index::ann::{AnnGraph, HnswParams, build_graph};
use segue_index::vectors::VectorFileWriter;

use super::*;

/// Deterministic noise in [-0.5, 0.5) (xorshift: a few lines are all these tests need).
fn noise(seed: u64) -> impl FnMut() -> f32 {
    let mut state = 0x2545_f491_4f6c_dd1du64 ^ seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

/// `rows` unit vectors: the first `in_a` near axis 0, the rest near axis 1 (far apart).
fn two_clusters(rows: usize, in_a: usize, dim: usize) -> Vec<Vec<f32>> {
    let mut noise = noise(0);
    (0..rows)
        .map(|r| {
            let mut v: Vec<f32> = (0..dim).map(|_| 0.2 * noise()).collect();
            v[if r < in_a { 0 } else { 1 }] += 1.0;
            unit(v)
        })
        .collect()
}

struct Indexed {
    _dir: tempfile::TempDir,
    vectors: VectorFile,
    graph: AnnGraph,
}

fn index(data: &[Vec<f32>]) -> Indexed {
    let dir = tempfile::tempdir().unwrap();
    let dim = data[0].len();
    let path = dir.path().join("v.f32");
    let mut w = VectorFileWriter::create(&path, dim as u32).unwrap();
    for v in data {
        w.push(v).unwrap();
    }
    let fref = w.finish("v.f32").unwrap();
    let vectors = VectorFile::open(&path, dim as u32, &fref).unwrap();
    let params = HnswParams {
        threads: 2,
        ..HnswParams::default()
    };
    let g = build_graph(&vectors, data.len() as u64, &params, &|_| {}).unwrap();
    let gpath = dir.path().join("g.hnsw");
    let gref = write_graph(&gpath, "g.hnsw", &g, vectors.data_crc32()).unwrap();
    let graph = AnnGraph::open(&gpath, &gref, &vectors, vectors.data_crc32()).unwrap();
    Indexed {
        _dir: dir,
        vectors,
        graph,
    }
}

fn request<'a>(
    ix: &'a Indexed,
    query: &'a [f32],
    ef: usize,
    allowed: &'a RoaringBitmap,
) -> VectorSearch<'a> {
    VectorSearch {
        vectors: &ix.vectors,
        quantised: None,
        graph: Some(&ix.graph),
        query,
        k: 10,
        ef,
        allowed: Some(allowed),
        exact: false,
        threads: 1,
    }
}

#[test]
fn a_query_in_a_region_the_filter_empties_is_scanned_with_exact_results() {
    let (rows, in_a) = (9000, 4000);
    let data = two_clusters(rows, in_a, 16);
    let ix = index(&data);
    // Only the second cluster is allowed (55% of the rows: the cost model says "walk"), and
    // the query sits in the first: no allowed row near it.
    let allowed: RoaringBitmap = (in_a as u32..rows as u32).collect();
    let share = allowed.len() as f64 / rows as f64;
    assert!(scan_cost(allowed.len()) > walk_cost(filtered_ef(10, share)));
    let (hits, plan) = search(&request(&ix, &data[10], 10, &allowed)).unwrap();
    assert_eq!(plan, Plan::GraphThenExact);
    let exact = top_k_normalised(&ix.vectors, &data[10], 10, Rows::Set(&allowed), 1).unwrap();
    assert_eq!(hits, exact);

    // The same filter for a query inside the allowed cluster is answered by the walk.
    let (hits, plan) = search(&request(&ix, &data[6000], 10, &allowed)).unwrap();
    assert!(matches!(plan, Plan::Graph { .. }), "{plan:?}");
    assert_eq!(hits.len(), 10);
    assert!(hits.iter().all(|h| h.row >= in_a as u64));
}

#[test]
fn the_scan_is_chosen_when_it_costs_less_than_the_walk() {
    let data = two_clusters(3000, 1500, 16);
    let ix = index(&data);
    let allowed: RoaringBitmap = (0..3000u32).step_by(10).collect();
    assert!(scan_cost(allowed.len()) <= walk_cost(64));
    let (hits, plan) = search(&request(&ix, &data[5], 64, &allowed)).unwrap();
    assert_eq!(plan, Plan::Exact);
    let exact = top_k_normalised(&ix.vectors, &data[5], 10, Rows::Set(&allowed), 1).unwrap();
    assert_eq!(hits, exact);
}

/// 16 clusters in 24 dimensions, each with a "tempo" range of its own (as the catalogue
/// fixtures' BPM follows the style), so that a tempo window is a filter correlated with the
/// vectors.
fn tempo_clusters(rows: usize) -> (Vec<Vec<f32>>, Vec<f32>) {
    let (dim, clusters) = (24, 16);
    let mut noise = noise(7);
    let centres: Vec<Vec<f32>> = (0..clusters)
        .map(|_| (0..dim).map(|_| 2.0 * noise()).collect())
        .collect();
    let mut tempo = Vec::with_capacity(rows);
    let data = (0..rows)
        .map(|r| {
            let c = r % clusters;
            tempo.push(60.0 + 5.0 * c as f32 + 30.0 * (noise() + 0.5));
            unit(centres[c].iter().map(|x| x + 0.5 * noise()).collect())
        })
        .collect();
    (data, tempo)
}

/// The tempo window around the median holding `share` of the rows.
fn tempo_window(tempo: &[f32], share: f64) -> RoaringBitmap {
    let mut sorted = tempo.to_vec();
    sorted.sort_by(f32::total_cmp);
    let width = ((tempo.len() as f64 * share) as usize).max(1);
    let lo = sorted[sorted.len() / 2 - width / 2];
    let hi = sorted[sorted.len() / 2 - width / 2 + width - 1];
    (0..tempo.len() as u32)
        .filter(|&r| tempo[r as usize] >= lo && tempo[r as usize] <= hi)
        .collect()
}

#[test]
fn filtered_recall_holds_at_every_selectivity_random_and_correlated() {
    // Large enough that the planner walks from 10% of the rows up.
    let rows = 40_000;
    let (data, tempo) = tempo_clusters(rows);
    let ix = index(&data);
    let mut pick = noise(11);
    let queries: Vec<Vec<f32>> = (0..60)
        .map(|i| unit(data[i * 197].iter().map(|x| x + 0.05 * pick()).collect()))
        .collect();
    let mut walked = [0usize; 2];
    for share in [0.001, 0.01, 0.1, 0.5] {
        let random: RoaringBitmap = (0..rows as u32)
            .filter(|_| (pick() + 0.5) < share as f32)
            .collect();
        let filters = [("random", random), ("tempo", tempo_window(&tempo, share))];
        for (kind, (name, allowed)) in filters.into_iter().enumerate() {
            let (mut found, mut total) = (0, 0);
            for q in &queries {
                let (hits, plan) = search(&request(&ix, q, 10, &allowed)).unwrap();
                walked[kind] += usize::from(matches!(plan, Plan::Graph { .. }));
                assert!(hits.iter().all(|h| allowed.contains(h.row as u32)));
                let truth = top_k_normalised(&ix.vectors, q, 10, Rows::Set(&allowed), 1).unwrap();
                assert_eq!(
                    hits.len(),
                    truth.len(),
                    "{name} {share}: k rows whenever k qualify"
                );
                total += truth.len();
                found += truth
                    .iter()
                    .filter(|t| hits.iter().any(|h| h.row == t.row))
                    .count();
            }
            let recall = found as f64 / total as f64;
            assert!(
                recall >= 0.95,
                "{name} filter at {share}: recall@10 {recall}"
            );
        }
    }
    // Both kinds of filter were answered by walks at 10% and 50% (and by scans below), so the
    // recall above is the walk's, not only the scan's: every random-filter query of those two
    // (120), and the tempo-window queries whose region the window keeps (the others, in
    // clusters it empties, are scanned after the probe).
    assert!(
        walked[0] == 120 && walked[1] >= 30,
        "walks per kind: {walked:?}"
    );
}
