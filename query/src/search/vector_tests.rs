//! The planner's fallback when a filtered walk costs more than the scan it was meant to beat.

use segue_index::ann::format::write_graph;
use segue_index::ann::{AnnGraph, HnswParams, build_graph};
use segue_index::vectors::VectorFileWriter;

use super::*;

/// `rows` unit vectors: the first `in_a` near axis 0, the rest near axis 1 (far apart).
fn two_clusters(rows: usize, in_a: usize, dim: usize) -> Vec<Vec<f32>> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        // xorshift: a few lines of deterministic noise are all this test needs.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    (0..rows)
        .map(|r| {
            let mut v: Vec<f32> = (0..dim).map(|_| 0.2 * noise()).collect();
            v[if r < in_a { 0 } else { 1 }] += 1.0;
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter().map(|x| x / n).collect()
        })
        .collect()
}

#[test]
fn a_filter_correlated_with_the_vectors_ends_in_a_scan_with_exact_results() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, in_a, dim) = (3000, 1650, 16);
    let data = two_clusters(rows, in_a, dim);
    let path = dir.path().join("v.f32");
    let mut w = VectorFileWriter::create(&path, dim as u32).unwrap();
    for v in &data {
        w.push(v).unwrap();
    }
    let fref = w.finish("v.f32").unwrap();
    let vectors = VectorFile::open(&path, dim as u32, &fref).unwrap();
    let params = HnswParams {
        threads: 1,
        ..HnswParams::default()
    };
    let g = build_graph(&vectors, rows as u64, &params, &|_| {}).unwrap();
    let gpath = dir.path().join("g.hnsw");
    let gref = write_graph(&gpath, "g.hnsw", &g, vectors.data_crc32()).unwrap();
    let graph = AnnGraph::open(&gpath, &gref, &vectors, vectors.data_crc32()).unwrap();

    // Only the second cluster is allowed (45% of the rows: the estimate says "walk"), and the
    // query sits in the first, so the walk must pass through all of it first.
    let allowed: RoaringBitmap = (in_a as u32..rows as u32).collect();
    let query = data[10].clone();
    let search = VectorSearch {
        vectors: &vectors,
        quantised: None,
        graph: Some(&graph),
        query: &query,
        k: 10,
        ef: 64,
        allowed: Some(&allowed),
        exact: false,
        threads: 1,
    };
    let (hits, plan) = super::search(&search).unwrap();
    assert_eq!(plan, Plan::GraphThenExact);
    let exact = top_k_normalised(&vectors, &query, 10, Rows::Set(&allowed), 1).unwrap();
    assert_eq!(hits, exact);

    // The same filter for a query inside the allowed cluster is answered by the walk.
    let query = data[2000].clone();
    let (hits, plan) = super::search(&VectorSearch {
        query: &query,
        ..search
    })
    .unwrap();
    assert!(matches!(plan, Plan::Graph { .. }), "{plan:?}");
    assert_eq!(hits.len(), 10);
    assert!(hits.iter().all(|h| h.row >= in_a as u64));
}
