//! The int8 copy: its kernel against the scalar reference, search agreement with f32 on seeded
//! fixtures (graph walk and exact scan), and the file's checks (damage, version, provenance).

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::ann::{AnnGraph, GraphBuilder, HnswParams, build_graph, format::write_graph};
use crate::exact::top_k_normalised;
use crate::vectors::VectorFileWriter;

/// `n` vectors near 12 random centres, like the fixtures.
fn clustered(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centres: Vec<Vec<f32>> = (0..12)
        .map(|_| (0..dim).map(|_| rng.random_range(-1.0..1.0)).collect())
        .collect();
    (0..n)
        .map(|_| {
            let c = &centres[rng.random_range(0..12)];
            c.iter().map(|x| x + rng.random_range(-0.6..0.6)).collect()
        })
        .collect()
}

fn vector_file(dir: &Path, name: &str, rows: &[Vec<f32>]) -> VectorFile {
    let path = dir.join(name);
    let mut w = VectorFileWriter::create(&path, rows[0].len() as u32).unwrap();
    for r in rows {
        w.push(r).unwrap();
    }
    let fref = w.finish(name).unwrap();
    VectorFile::open(&path, rows[0].len() as u32, &fref).unwrap()
}

struct Fixture {
    dir: tempfile::TempDir,
    vectors: VectorFile,
    quantised: QuantisedVectors,
    fref: FileRef,
    path: PathBuf,
}

fn fixture(n: usize, dim: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let vectors = vector_file(dir.path(), "v.f32", &clustered(n, dim, 7));
    let path = dir.path().join("v.i8");
    let fref = write_quantised(&path, "v.i8", &vectors).unwrap();
    let quantised = QuantisedVectors::open(&path, &fref, &vectors).unwrap();
    Fixture {
        dir,
        vectors,
        quantised,
        fref,
        path,
    }
}

fn queries(dim: usize, count: usize) -> Vec<Vec<f32>> {
    clustered(count, dim, 99)
        .into_iter()
        .map(|q| {
            let n = q.iter().map(|x| x * x).sum::<f32>().sqrt();
            q.iter().map(|x| x / n).collect()
        })
        .collect()
}

fn recall(got: &[Hit], want: &[Hit]) -> f64 {
    let found = want
        .iter()
        .filter(|w| got.iter().any(|g| g.row == w.row))
        .count();
    found as f64 / want.len().max(1) as f64
}

#[test]
fn the_int8_kernel_equals_the_scalar_sum() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for len in [0, 1, 15, 16, 31, 32, 33, 64, 100, 384, 513] {
        let a: Vec<i16> = (0..len)
            .map(|_| rng.random_range(-16_384..=16_384))
            .collect();
        let b: Vec<i8> = (0..len).map(|_| rng.random_range(-127..=127)).collect();
        let want: i64 = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| i64::from(x) * i64::from(y))
            .sum();
        assert_eq!(
            i64::from(crate::kernels::dot_i8(&a, &b)),
            want,
            "length {len}"
        );
        assert_eq!(i64::from(crate::kernels::scalar::dot_i8(&a, &b)), want);
    }
}

#[test]
fn int8_similarities_are_close_to_the_f32_ones() {
    let f = fixture(500, 96);
    for q in queries(96, 10) {
        let qq = f.quantised.query(&q).unwrap();
        for row in (0..500).step_by(7) {
            let exact = crate::kernels::dot(&q, f.vectors.row(row));
            let approx = f.quantised.similarity(&qq, row);
            assert!(
                (exact - approx).abs() < 0.02,
                "row {row}: {exact} vs {approx}"
            );
        }
    }
}

#[test]
fn quantised_search_agrees_with_f32_search() {
    let (n, dim) = (3000, 64);
    let f = fixture(n, dim);
    let params = HnswParams {
        m: 12,
        ef_construction: 80,
        threads: 1,
        builder: GraphBuilder::Segue,
    };
    let data = build_graph(&f.vectors, n as u64, &params, &|_| {}).unwrap();
    let gpath = f.dir.path().join("g.hnsw");
    let gref = write_graph(&gpath, "g.hnsw", &data, f.vectors.data_crc32()).unwrap();
    let graph = AnnGraph::open(&gpath, &gref, &f.vectors, f.vectors.data_crc32()).unwrap();
    let (mut walk_f32, mut walk_i8, mut scan_i8) = (0.0, 0.0, 0.0);
    let qs = queries(dim, 50);
    for q in &qs {
        let truth = top_k_normalised(&f.vectors, q, 10, Rows::All, 1).unwrap();
        let plain = graph.search(&f.vectors, q, 10, 128, None).unwrap();
        let mut budget = crate::ann::Budget::unlimited();
        let quick = graph
            .search_quantised_within(&f.vectors, &f.quantised, q, 10, 128, None, &mut budget)
            .unwrap()
            .unwrap();
        let scanned = top_k_quantised(&f.vectors, &f.quantised, q, 10, Rows::All, 2).unwrap();
        // Scores are the f32 ones, best first.
        for h in quick.iter().chain(&scanned) {
            let exact = crate::kernels::dot(q, f.vectors.row(h.row as usize));
            assert_eq!(h.score, exact);
        }
        assert!(quick.windows(2).all(|w| w[0].score >= w[1].score));
        walk_f32 += recall(&plain, &truth);
        walk_i8 += recall(&quick, &truth);
        scan_i8 += recall(&scanned, &truth);
    }
    let m = qs.len() as f64;
    let (walk_f32, walk_i8, scan_i8) = (walk_f32 / m, walk_i8 / m, scan_i8 / m);
    eprintln!("recall@10: f32 walk {walk_f32}, int8 walk {walk_i8}, int8 scan {scan_i8}");
    assert!(scan_i8 >= 0.99, "int8 scan recall@10 {scan_i8}");
    assert!(walk_i8 >= 0.95, "int8 walk recall@10 {walk_i8}");
    assert!(
        walk_i8 >= walk_f32 - 0.02,
        "int8 walk {walk_i8} vs f32 walk {walk_f32}"
    );
}

#[test]
fn a_resident_graph_and_int8_copy_walk_exactly_as_their_files() {
    let (n, dim) = (1500, 32);
    let f = fixture(n, dim);
    let params = HnswParams {
        m: 8,
        ef_construction: 40,
        threads: 1,
        builder: GraphBuilder::Segue,
    };
    let data = build_graph(&f.vectors, n as u64, &params, &|_| {}).unwrap();
    let gpath = f.dir.path().join("g.hnsw");
    let gref = write_graph(&gpath, "g.hnsw", &data, f.vectors.data_crc32()).unwrap();
    let open = || AnnGraph::open(&gpath, &gref, &f.vectors, f.vectors.data_crc32()).unwrap();
    let (mapped, mut resident) = (open(), open());
    resident.make_resident();
    let mut codes = QuantisedVectors::open(&f.path, &f.fref, &f.vectors).unwrap();
    codes.make_resident();
    assert_eq!(codes.codes(), f.quantised.codes());
    for q in &queries(dim, 20) {
        let walk = |g: &AnnGraph, c: &QuantisedVectors| {
            let mut budget = crate::ann::Budget::unlimited();
            g.search_quantised_within(&f.vectors, c, q, 10, 32, None, &mut budget)
                .unwrap()
                .unwrap()
        };
        assert_eq!(walk(&resident, &codes), walk(&mapped, &f.quantised));
        assert_eq!(
            resident.search(&f.vectors, q, 10, 32, None).unwrap(),
            mapped.search(&f.vectors, q, 10, 32, None).unwrap()
        );
    }
}

#[test]
fn a_filtered_quantised_scan_returns_only_allowed_rows() {
    let f = fixture(1000, 32);
    let allowed: roaring::RoaringBitmap = (0..1000u32).filter(|r| r % 10 == 3).collect();
    for q in queries(32, 5) {
        let truth = top_k_normalised(&f.vectors, &q, 10, Rows::Set(&allowed), 1).unwrap();
        let got =
            top_k_quantised(&f.vectors, &f.quantised, &q, 10, Rows::Set(&allowed), 1).unwrap();
        assert!(got.iter().all(|h| allowed.contains(h.row as u32)));
        assert!(recall(&got, &truth) >= 0.9);
    }
}

#[test]
fn a_damaged_stale_or_foreign_file_is_refused_by_name() {
    let f = fixture(200, 16);
    let reopen = |fref: &FileRef, vectors: &VectorFile| {
        QuantisedVectors::open(&f.path, fref, vectors)
            .unwrap_err()
            .to_string()
    };
    let original = std::fs::read(&f.path).unwrap();
    // One flipped code.
    let mut bytes = original.clone();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&f.path, &bytes).unwrap();
    let err = reopen(&f.fref, &f.vectors);
    assert!(err.contains("damaged") && err.contains("v.i8"), "{err}");
    // A version this build does not read.
    let mut bytes = original.clone();
    bytes[8..12].copy_from_slice(&7u32.to_le_bytes());
    std::fs::write(&f.path, &bytes).unwrap();
    let err = reopen(&f.fref, &f.vectors);
    assert!(err.contains("version 7"), "{err}");
    // Truncated.
    std::fs::write(&f.path, &original[..original.len() - 16]).unwrap();
    let err = reopen(&f.fref, &f.vectors);
    assert!(err.contains("truncated"), "{err}");
    // Intact, but made from other vectors.
    std::fs::write(&f.path, &original).unwrap();
    let other = vector_file(f.dir.path(), "w.f32", &clustered(200, 16, 8));
    let err = reopen(&f.fref, &other);
    assert!(err.contains("not made from"), "{err}");
    assert!(QuantisedVectors::open(&f.path, &f.fref, &f.vectors).is_ok());
}

#[test]
fn quantisation_names_round_trip() {
    for q in [Quantisation::None, Quantisation::Int8] {
        assert_eq!(q.name().parse::<Quantisation>(), Ok(q));
    }
    assert!(
        "int4"
            .parse::<Quantisation>()
            .unwrap_err()
            .contains("none or int8")
    );
}

#[test]
fn the_widest_sums_stay_within_i32() {
    // Every code at its extreme and a query along the same signs: the largest possible sum.
    for dim in [384usize, 1032, 1033, 4096, 16_384] {
        let cap = query_code_max(dim);
        let q = vec![cap.round() as i16; dim];
        let c = vec![127i8; dim];
        let exact = i64::from(q[0]) * 127 * dim as i64;
        assert!(exact <= i64::from(i32::MAX), "dim {dim}: {exact}");
        assert_eq!(
            i64::from(crate::kernels::dot_i8(&q, &c)),
            exact,
            "dim {dim}"
        );
        assert_eq!(i64::from(crate::kernels::scalar::dot_i8(&q, &c)), exact);
    }
    assert_eq!(query_code_max(384), 16_384.0);
}
