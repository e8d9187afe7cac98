//! Graph build, file round trip, search quality against exact search, filters, and damage.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use roaring::RoaringBitmap;

use super::format::{read_graph, write_graph};
use super::*;
use crate::exact::{Rows, top_k_normalised};
use crate::manifest::FileRef;
use crate::vectors::{VectorFile, VectorFileWriter};

/// `n` vectors near `clusters` random centres on the unit sphere, like the fixtures.
fn clustered(n: usize, dim: usize, clusters: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<f32>> = (0..clusters)
        .map(|_| (0..dim).map(|_| rng.random_range(-1.0..1.0)).collect())
        .collect();
    (0..n)
        .map(|_| {
            let c = &centres[rng.random_range(0..clusters)];
            c.iter().map(|x| x + rng.random_range(-0.6..0.6)).collect()
        })
        .collect()
}

fn write_vectors(dir: &Path, rows: &[Vec<f32>]) -> VectorFile {
    let path = dir.join("v.f32");
    let mut w = VectorFileWriter::create(&path, rows[0].len() as u32).unwrap();
    for r in rows {
        w.push(r).unwrap();
    }
    let fref = w.finish("v.f32").unwrap();
    VectorFile::open(&path, rows[0].len() as u32, &fref).unwrap()
}

fn params(threads: usize) -> HnswParams {
    HnswParams {
        m: 12,
        ef_construction: 80,
        threads,
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    vectors: VectorFile,
    graph: AnnGraph,
    fref: FileRef,
    path: std::path::PathBuf,
}

fn fixture(n: usize, dim: usize, threads: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let vectors = write_vectors(dir.path(), &clustered(n, dim, 12, 7));
    let data = build_graph(&vectors, n as u64, &params(threads), &|_| {}).unwrap();
    let path = dir.path().join("g.hnsw");
    let fref = write_graph(&path, "g.hnsw", &data, vectors.data_crc32()).unwrap();
    let graph = AnnGraph::open(&path, &fref, &vectors, vectors.data_crc32()).unwrap();
    Fixture {
        _dir: dir,
        vectors,
        graph,
        fref,
        path,
    }
}

fn queries(f: &Fixture, count: usize) -> Vec<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    (0..count)
        .map(|_| {
            let base = f
                .vectors
                .row(rng.random_range(0..f.vectors.rows() as usize));
            let q: Vec<f32> = base
                .iter()
                .map(|x| x + rng.random_range(-0.05..0.05))
                .collect();
            crate::exact::normalise_query(&q, f.vectors.dim()).unwrap()
        })
        .collect()
}

fn recall(f: &Fixture, ef: usize, filter: Option<&RoaringBitmap>) -> f64 {
    let qs = queries(f, 100);
    let mut found = 0;
    let mut total = 0;
    for q in &qs {
        let truth = top_k_normalised(&f.vectors, q, 10, filter.map_or(Rows::All, Rows::Set), 1);
        let allow = |r: u32| filter.is_none_or(|s| s.contains(r));
        let got = f.graph.search(&f.vectors, q, 10, ef, Some(&allow));
        assert!(
            got.iter().all(|h| allow(h.row as u32)),
            "a filtered-out row came back"
        );
        total += truth.len();
        found += truth
            .iter()
            .filter(|t| got.iter().any(|g| g.row == t.row))
            .count();
    }
    found as f64 / total as f64
}

#[test]
fn recall_against_exact_search_is_high() {
    let f = fixture(5000, 32, 2);
    let r = recall(&f, 64, None);
    assert!(r >= 0.95, "recall@10 {r}");
    // A tiny ef still returns k results, and a larger ef never does worse on this fixture.
    let q = &queries(&f, 1)[0];
    assert_eq!(f.graph.search(&f.vectors, q, 10, 1, None).len(), 10);
    assert!(recall(&f, 200, None) >= r - 1e-9);
}

#[test]
fn single_thread_build_is_as_good() {
    let f = fixture(3000, 16, 1);
    assert!(recall(&f, 64, None) >= 0.95);
}

#[test]
fn filtered_search_returns_only_allowed_rows() {
    let f = fixture(4000, 24, 2);
    // Every 5th row: 20% selectivity, spread over all clusters.
    let set: RoaringBitmap = (0..4000u32).filter(|r| r % 5 == 0).collect();
    assert!(recall(&f, 128, Some(&set)) >= 0.9);
}

#[test]
fn file_round_trips() {
    let f = fixture(1500, 8, 2);
    let back = read_graph(&f.path).unwrap();
    assert_eq!(back.rows, 1500);
    assert_eq!(u64::from(back.rows), f.graph.rows());
    assert_eq!(back.m, 12);
    assert_eq!(back.m0, 24);
    // Every node has at least one link on layer 0 (the graph is connected enough to search).
    let stride = 1 + back.m0 as usize;
    assert!(back.level0.chunks(stride).all(|rec| rec[0] >= 1));
}

#[test]
fn empty_and_single_row_graphs() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = write_vectors(dir.path(), &[vec![1.0, 0.0, 0.0]]);
    let g0 = build_graph(&vectors, 0, &params(1), &|_| {}).unwrap();
    let p0 = dir.path().join("g0.hnsw");
    let r0 = write_graph(&p0, "g0.hnsw", &g0, vectors.prefix_crc32(0)).unwrap();
    let empty = AnnGraph::open(&p0, &r0, &vectors, vectors.prefix_crc32(0)).unwrap();
    assert!(
        empty
            .search(&vectors, &[1.0, 0.0, 0.0], 5, 10, None)
            .is_empty()
    );
    let g1 = build_graph(&vectors, 1, &params(1), &|_| {}).unwrap();
    let p1 = dir.path().join("g1.hnsw");
    let r1 = write_graph(&p1, "g1.hnsw", &g1, vectors.data_crc32()).unwrap();
    let one = AnnGraph::open(&p1, &r1, &vectors, vectors.data_crc32()).unwrap();
    let hits = one.search(&vectors, &[1.0, 0.0, 0.0], 5, 10, None);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].row, 0);
}

#[test]
fn bad_parameters_are_refused_before_hnsw_rs_sees_them() {
    for (m, efc, threads) in [(0, 100, 1), (1000, 2000, 1), (16, 4, 1), (16, 100, 0)] {
        let p = HnswParams {
            m,
            ef_construction: efc,
            threads,
        };
        let err = p.validate().unwrap_err().to_string();
        assert!(err.contains("HNSW"), "{err}");
    }
    assert!(SearchParams { ef: 0 }.validate().is_err());
}

#[test]
fn damaged_graph_file_is_a_clear_error() {
    let f = fixture(800, 8, 1);
    let mut bytes = std::fs::read(&f.path).unwrap();
    let at = bytes.len() - 10;
    bytes[at] ^= 0xff;
    std::fs::write(&f.path, &bytes).unwrap();
    let err = AnnGraph::open(&f.path, &f.fref, &f.vectors, f.vectors.data_crc32())
        .unwrap_err()
        .to_string();
    assert!(err.contains("g.hnsw") && err.contains("reindex"), "{err}");
    // Truncated.
    std::fs::write(&f.path, &bytes[..200]).unwrap();
    let err = AnnGraph::open(&f.path, &f.fref, &f.vectors, f.vectors.data_crc32())
        .unwrap_err()
        .to_string();
    assert!(err.contains("bytes"), "{err}");
}

#[test]
fn graph_of_other_vectors_is_detected() {
    let f = fixture(600, 8, 1);
    let dir = tempfile::tempdir().unwrap();
    let other = write_vectors(dir.path(), &clustered(600, 8, 3, 1234));
    let err = AnnGraph::open(&f.path, &f.fref, &other, other.data_crc32())
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not match"), "{err}");
}

#[test]
fn prefix_graph_plus_exact_tail_finds_appended_rows() {
    let dir = tempfile::tempdir().unwrap();
    let rows = clustered(2000, 16, 6, 3);
    let vectors = write_vectors(dir.path(), &rows);
    // Graph over the first 1500 rows only, as after an append.
    let data = build_graph(&vectors, 1500, &params(2), &|_| {}).unwrap();
    let path = dir.path().join("g.hnsw");
    let crc = vectors.prefix_crc32(1500);
    let fref = write_graph(&path, "g.hnsw", &data, crc).unwrap();
    let graph = AnnGraph::open(&path, &fref, &vectors, crc).unwrap();
    assert_eq!(graph.rows(), 1500);
    // Querying with an appended row itself: the graph cannot return it, the tail scan does.
    let q = vectors.row(1800).to_vec();
    let hits = graph.search(&vectors, &q, 5, 64, None);
    assert!(hits.iter().all(|h| h.row < 1500));
    let tail = top_k_normalised(&vectors, &q, 5, Rows::Range(1500, 2000), 1);
    assert_eq!(tail[0].row, 1800);
}

#[test]
fn parallel_exact_scan_equals_serial() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = write_vectors(dir.path(), &clustered(40_000, 64, 8, 11));
    let q = vectors.row(123).to_vec();
    let serial = top_k_normalised(&vectors, &q, 25, Rows::All, 1);
    let parallel = top_k_normalised(&vectors, &q, 25, Rows::All, 2);
    assert_eq!(serial, parallel);
    let set: RoaringBitmap = (0..40_000u32).filter(|r| r % 3 == 0).collect();
    let serial = top_k_normalised(&vectors, &q, 25, Rows::Set(&set), 1);
    let parallel = top_k_normalised(&vectors, &q, 25, Rows::Set(&set), 2);
    assert_eq!(serial, parallel);
    assert!(serial.iter().all(|h| h.row % 3 == 0));
}
