//! The exact scan: its argument checks and its worker threads.

use roaring::RoaringBitmap;

use super::*;
use crate::vectors::VectorFileWriter;

fn vectors(dir: &std::path::Path, rows: &[Vec<f32>]) -> VectorFile {
    let path = dir.join("v.f32");
    let dim = rows[0].len() as u32;
    let mut w = VectorFileWriter::create(&path, dim).unwrap();
    for r in rows {
        w.push(r).unwrap();
    }
    let fref = w.finish("v.f32").unwrap();
    VectorFile::open(&path, dim, &fref).unwrap()
}

#[test]
fn a_query_of_another_dimension_is_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let v = vectors(
        dir.path(),
        &[vec![1.0, 0.0, 0.0, 0.0], vec![0.0, 1.0, 0.0, 0.0]],
    );
    for rows in [Rows::All, Rows::Range(0, 2)] {
        let err = top_k_normalised(&v, &[1.0, 0.0, 0.0], 5, rows, 1).unwrap_err();
        assert!(
            matches!(
                err,
                IndexError::DimensionMismatch {
                    expected: 4,
                    got: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "query vector has dimension 3, expected 4");
    }
    let err = top_k(&v, &[1.0; 5], 1).unwrap_err();
    assert!(matches!(
        err,
        IndexError::DimensionMismatch {
            expected: 4,
            got: 5,
            ..
        }
    ));
    // k = 0 still checks the query.
    assert!(top_k_normalised(&v, &[1.0], 0, Rows::All, 1).is_err());
}

#[test]
fn top_k_normalises_its_query_and_scans_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let v = vectors(
        dir.path(),
        &[
            vec![1.0, 0.0],
            vec![0.0, 2.0],
            vec![1.0, 1.0],
            vec![-1.0, 0.0],
        ],
    );
    let hits = top_k(&v, &[0.0, 5.0], 2).unwrap();
    assert_eq!(hits.iter().map(|h| h.row).collect::<Vec<_>>(), [1, 2]);
    assert!((hits[0].score - 1.0).abs() < 1e-6);
    assert!(matches!(
        top_k(&v, &[0.0, 0.0], 2),
        Err(IndexError::InvalidArgument(_))
    ));
}

fn scores(row: u64) -> f32 {
    if row == 70 {
        panic!("scoring row 70 failed");
    }
    (row % 17) as f32
}

#[test]
#[should_panic(expected = "scoring row 70 failed")]
fn a_panicking_worker_fails_a_range_scan() {
    scan(Rows::All, 100, 5, 2, scores, |_| {});
}

#[test]
#[should_panic(expected = "scoring row 70 failed")]
fn a_panicking_worker_fails_a_set_scan() {
    let set: RoaringBitmap = (0..100).collect();
    scan(Rows::Set(&set), 100, 5, 2, scores, |_| {});
}

#[test]
fn workers_together_find_what_one_thread_finds() {
    let set: RoaringBitmap = (0..1000).filter(|r| r % 3 != 0).collect();
    let score = |row: u64| ((row * 7919) % 1009) as f32;
    for rows in [Rows::All, Rows::Range(100, 900), Rows::Set(&set)] {
        let one = scan(rows, 1000, 10, 1, score, |_| {});
        assert_eq!(one.len(), 10);
        for threads in [2, 3, 8] {
            assert_eq!(scan(rows, 1000, 10, threads, score, |_| {}), one);
        }
    }
}

#[test]
fn a_set_scan_asks_for_each_row_once_and_a_bounded_distance_ahead() {
    for n in [
        0u64,
        1,
        SET_ROWS_AHEAD as u64 - 1,
        SET_ROWS_AHEAD as u64,
        1000,
    ] {
        let asked = std::cell::RefCell::new(Vec::new());
        let rows = (0..n).map(|i| i * 3);
        let yielded: Vec<u64> = prefetching_ahead(rows, |r| asked.borrow_mut().push(r))
            .inspect(|&r| {
                let asked = asked.borrow();
                assert!(
                    asked.contains(&r),
                    "row {r} yielded before it was asked for"
                );
                let ahead = asked.iter().filter(|&&a| a > r).count();
                assert!(
                    ahead < SET_ROWS_AHEAD,
                    "{ahead} rows asked for ahead of row {r}"
                );
            })
            .collect();
        let all: Vec<u64> = (0..n).map(|i| i * 3).collect();
        assert_eq!(yielded, all);
        assert_eq!(*asked.borrow(), all);
    }
}
