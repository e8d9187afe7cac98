//! Embeddings given beside the catalogue: `.npy` and raw little-endian f32 files.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use npyz::WriterBuilder;

use segue_index::Dims;
use segue_ingest::{IngestError, ingest};

use crate::helpers::*;

const EDIM: usize = 8;

/// A catalogue without embedding columns, and the embeddings of its rows.
fn catalogue(dir: &Path, prefix: &str, n: usize) -> (PathBuf, Vec<String>, Vec<Vec<f32>>) {
    let ids: Vec<String> = (1..=n).map(|i| format!("{prefix}{i}")).collect();
    let mut text = String::from("track_id,title,duration_s\n");
    for (i, id) in ids.iter().enumerate() {
        text.push_str(&format!("{id},Title {id},{}\n", 100 + i));
    }
    let vecs = (0..n).map(|i| vector(500 + i, EDIM)).collect();
    (write(dir, &format!("{prefix}.csv"), text), ids, vecs)
}

fn write_npy_f32(path: &Path, rows: &[Vec<f32>]) {
    let dim = rows.first().map_or(EDIM, Vec::len);
    let mut w = npyz::WriteOptions::<f32>::new()
        .default_dtype()
        .shape(&[rows.len() as u64, dim as u64])
        .writer(BufWriter::new(File::create(path).unwrap()))
        .begin_nd()
        .unwrap();
    w.extend(rows.iter().flatten().copied()).unwrap();
    w.finish().unwrap();
}

fn write_npy_f64(path: &Path, rows: &[Vec<f32>]) {
    let dim = rows.first().map_or(EDIM, Vec::len);
    let mut w = npyz::WriteOptions::<f64>::new()
        .default_dtype()
        .shape(&[rows.len() as u64, dim as u64])
        .writer(BufWriter::new(File::create(path).unwrap()))
        .begin_nd()
        .unwrap();
    w.extend(rows.iter().flatten().map(|&x| f64::from(x)))
        .unwrap();
    w.finish().unwrap();
}

fn write_raw(path: &Path, rows: &[Vec<f32>]) {
    let bytes: Vec<u8> = rows
        .iter()
        .flatten()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    fs::write(path, bytes).unwrap();
}

fn check_library(lib: &Path, ids: &[String], vecs: &[Vec<f32>]) {
    let l = open(lib);
    assert_eq!(
        l.dims(),
        Dims {
            audio: Some(EDIM as u32),
            text: None
        }
    );
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let map = ids
        .iter()
        .map(|s| s.to_string())
        .zip(vecs.iter().cloned())
        .collect();
    assert_contents(&l, &ids, &map);
    l.verify().unwrap();
}

#[test]
fn npy_f32_and_f64_audio_embeddings() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let (cat, ids, vecs) = catalogue(tmp.path(), "t", 4);
    let npy = tmp.path().join("audio.npy");
    write_npy_f32(&npy, &vecs);
    let mut o = opts(&cat);
    o.audio_emb_file = Some(npy);
    let s = ingest(&lib, &o).expect("ingest");
    assert_eq!((s.library_version, s.total_tracks), (1, 4));
    check_library(&lib, &ids, &vecs);

    // An append takes the dimension from the library; a float64 .npy works too.
    let (cat2, ids2, vecs2) = catalogue(tmp.path(), "n", 3);
    let npy2 = tmp.path().join("audio2.npy");
    write_npy_f64(&npy2, &vecs2);
    let mut o = opts(&cat2);
    o.audio_emb_file = Some(npy2);
    o.batch_rows = 2;
    let s = ingest(&lib, &o).expect("append");
    assert_eq!((s.library_version, s.total_tracks), (2, 7));
    let all_ids: Vec<String> = ids.iter().chain(&ids2).cloned().collect();
    let all_vecs: Vec<Vec<f32>> = vecs.iter().chain(&vecs2).cloned().collect();
    check_library(&lib, &all_ids, &all_vecs);
}

#[test]
fn an_npy_file_with_fewer_or_more_rows_names_that_file() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let (cat, _, vecs) = catalogue(tmp.path(), "t", 4);
    let short = tmp.path().join("short.npy");
    write_npy_f32(&short, &vecs[..3]);
    let mut o = opts(&cat);
    o.audio_emb_file = Some(short.clone());
    let err = ingest(&lib, &o).expect_err("too few embeddings");
    check_error(&err, &short, bad_row(4, "(embedding)", None, "only 3 rows"));
    assert_not_a_library(&lib);

    let long = tmp.path().join("long.npy");
    let five: Vec<Vec<f32>> = (0..5).map(|i| vector(i, EDIM)).collect();
    write_npy_f32(&long, &five);
    o.audio_emb_file = Some(long.clone());
    let err = ingest(&lib, &o).expect_err("too many embeddings");
    check_error(&err, &long, bad_file("has 5 rows but the catalogue has 4"));
    assert_not_a_library(&lib);
}

#[test]
fn raw_f32_audio_embeddings_with_a_dimension() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let (cat, ids, vecs) = catalogue(tmp.path(), "t", 5);
    let raw = tmp.path().join("audio.f32");
    write_raw(&raw, &vecs);

    // Without the dimension a raw file cannot be read.
    let mut o = opts(&cat);
    o.audio_emb_file = Some(raw.clone());
    let err = ingest(&lib, &o).expect_err("raw file without a dimension");
    assert!(
        matches!(&err, IngestError::InvalidOptions(m) if m.contains("audio.f32")),
        "{err:?}"
    );
    assert_not_a_library(&lib);

    o.audio_dim = Some(EDIM as u32);
    let s = ingest(&lib, &o).expect("ingest");
    assert_eq!((s.library_version, s.total_tracks), (1, 5));
    check_library(&lib, &ids, &vecs);

    // An append takes the dimension from the library.
    let (cat2, ids2, vecs2) = catalogue(tmp.path(), "n", 3);
    let raw2 = tmp.path().join("audio2.f32");
    write_raw(&raw2, &vecs2);
    let mut o = opts(&cat2);
    o.audio_emb_file = Some(raw2);
    o.batch_rows = 2;
    let s = ingest(&lib, &o).expect("append");
    assert_eq!((s.library_version, s.total_tracks), (2, 8));
    let all_ids: Vec<String> = ids.iter().chain(&ids2).cloned().collect();
    let all_vecs: Vec<Vec<f32>> = vecs.iter().chain(&vecs2).cloned().collect();
    check_library(&lib, &all_ids, &all_vecs);
}

#[test]
fn an_embedding_file_with_fewer_rows_names_that_file() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let (cat, _, vecs) = catalogue(tmp.path(), "t", 4);
    let raw = tmp.path().join("short.f32");
    write_raw(&raw, &vecs[..3]);
    for skip_bad_rows in [false, true] {
        let mut o = opts(&cat);
        o.audio_emb_file = Some(raw.clone());
        o.audio_dim = Some(EDIM as u32);
        o.skip_bad_rows = skip_bad_rows;
        let err = ingest(&lib, &o).expect_err("too few embeddings");
        check_error(&err, &raw, bad_row(4, "(embedding)", None, "only 3 rows"));
        assert_not_a_library(&lib);
    }

    // Appending with a short file: refused, library unchanged.
    let full = tmp.path().join("full.f32");
    write_raw(&full, &vecs);
    let mut o = opts(&cat);
    o.audio_emb_file = Some(full);
    o.audio_dim = Some(EDIM as u32);
    ingest(&lib, &o).expect("a good ingest");
    let before = snapshot(&lib);
    let (cat2, _, vecs2) = catalogue(tmp.path(), "n", 4);
    let short2 = tmp.path().join("short2.f32");
    write_raw(&short2, &vecs2[..2]);
    let mut o = opts(&cat2);
    o.audio_emb_file = Some(short2.clone());
    o.batch_rows = 2;
    let err = ingest(&lib, &o).expect_err("too few embeddings");
    check_error(
        &err,
        &short2,
        bad_row(3, "(embedding)", None, "only 2 rows"),
    );
    assert_eq!(snapshot(&lib), before);
    assert_no_garbage(&lib);
}

#[test]
fn an_embedding_file_with_more_rows_names_that_file() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let (cat, _, _) = catalogue(tmp.path(), "t", 4);
    let raw = tmp.path().join("long.f32");
    let vecs: Vec<Vec<f32>> = (0..5).map(|i| vector(i, EDIM)).collect();
    write_raw(&raw, &vecs);
    let mut o = opts(&cat);
    o.audio_emb_file = Some(raw.clone());
    o.audio_dim = Some(EDIM as u32);
    let err = ingest(&lib, &o).expect_err("too many embeddings");
    check_error(&err, &raw, bad_file("has 5 rows but the catalogue has 4"));
    assert_not_a_library(&lib);
}

#[test]
fn a_raw_file_of_partial_rows_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let (cat, _, vecs) = catalogue(tmp.path(), "t", 4);
    let raw = tmp.path().join("odd.f32");
    write_raw(&raw, &vecs);
    let mut bytes = fs::read(&raw).unwrap();
    bytes.truncate(bytes.len() - 2);
    fs::write(&raw, bytes).unwrap();
    let mut o = opts(&cat);
    o.audio_emb_file = Some(raw.clone());
    o.audio_dim = Some(EDIM as u32);
    let err = ingest(&lib, &o).expect_err("partial rows");
    check_error(&err, &raw, bad_file("not a whole number"));
    assert_not_a_library(&lib);
}

#[test]
fn a_bad_vector_in_an_embedding_file_is_a_bad_catalogue_row() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let (cat, _, mut vecs) = catalogue(tmp.path(), "t", 4);
    vecs[2][5] = f32::NAN;
    let raw = tmp.path().join("nan.f32");
    write_raw(&raw, &vecs);
    let mut o = opts(&cat);
    o.audio_emb_file = Some(raw);
    o.audio_dim = Some(EDIM as u32);
    let err = ingest(&lib, &o).expect_err("NaN embedding");
    check_error(
        &err,
        &cat,
        bad_row(3, "audio_emb", Some("t3"), "element 5 is NaN"),
    );
    assert_not_a_library(&lib);
}

#[test]
fn a_file_beside_an_embedding_column_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let cat = write(tmp.path(), "c.csv", csv_doc(&rows("t", 2, 1)));
    let raw = tmp.path().join("audio.f32");
    write_raw(&raw, &[vector(1, DIM), vector(2, DIM)]);
    let mut o = opts(&cat);
    o.audio_emb_file = Some(raw);
    o.audio_dim = Some(DIM as u32);
    let err = ingest(&lib, &o).expect_err("both a column and a file");
    assert!(
        matches!(&err, IngestError::InvalidOptions(m) if m.contains("audio_emb")),
        "{err:?}"
    );
    assert_not_a_library(&lib);
}
