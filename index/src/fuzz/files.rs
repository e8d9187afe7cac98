//! The library's own files, damaged: a manifest, a vector file and a graph file each with a
//! few random edits must be read back as an error (or, where the edit is harmless, as a
//! value), never a panic or an allocation sized by a damaged length field.

use std::path::Path;

use proptest::prelude::*;

use super::{edited, edits, runner};
use crate::ann::format::{HEADER_BYTES as GRAPH_HEADER, write_graph};
use crate::ann::{AnnGraph, GraphBuilder, HnswParams, build_graph};
use crate::manifest::{FileRef, Manifest};
use crate::vectors::{VectorFile, VectorFileWriter};

fn valid_manifest() -> Vec<u8> {
    let json = r#"{"format":"segue-library","format_version":1,"library_version":3,
        "lance":{"path":"tracks.lance","version":5},"rows":2,
        "embeddings":{"audio_emb":{"dim":4,"vectors":"vectors/audio_emb.v000003.f32"}},
        "files":[{"path":"vectors/audio_emb.v000003.f32","bytes":104,"crc32":7}]}"#;
    let m: Manifest = serde_json::from_str(json).unwrap();
    m.encode().unwrap()
}

#[test]
fn a_damaged_manifest_is_an_error_not_a_panic() {
    let base = valid_manifest();
    let path = Path::new("MANIFEST.json");
    Manifest::decode(path, &base).unwrap();
    let mut runner = runner(512);
    runner
        .run(&edits(6), |e| {
            let _ = Manifest::decode(path, &edited(&base, &e, 0..base.len()));
            Ok(())
        })
        .unwrap();
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..512), |bytes| {
            let _ = Manifest::decode(path, &bytes);
            Ok(())
        })
        .unwrap();
}

/// A vector file of 9 rows × 4; returns its bytes and manifest entry.
fn valid_vectors(dir: &Path) -> (Vec<u8>, FileRef) {
    let path = dir.join("v.f32");
    let mut w = VectorFileWriter::create(&path, 4).unwrap();
    for i in 0..9 {
        w.push(&[1.0 + i as f32, -2.0, 0.5, i as f32]).unwrap();
    }
    let fref = w.finish("v.f32").unwrap();
    (std::fs::read(&path).unwrap(), fref)
}

#[test]
fn a_damaged_vector_file_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let (base, fref) = valid_vectors(tmp.path());
    let path = tmp.path().join("fuzzed.f32");
    let mut runner = runner(384);
    // Edits in the header (with the manifest entry following the damaged size, so the header
    // fields themselves are what is checked), then anywhere.
    for range in [0..64, 0..base.len()] {
        runner
            .run(&edits(4), |e| {
                let bytes = edited(&base, &e, range.clone());
                std::fs::write(&path, &bytes).unwrap();
                let expected = FileRef {
                    bytes: bytes.len() as u64,
                    ..fref.clone()
                };
                if let Ok(file) = VectorFile::open(&path, 4, &expected) {
                    let _ = file.verify();
                    let _ = file.norms();
                    for i in 0..file.rows() as usize {
                        let _ = file.row(i);
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn a_damaged_graph_file_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let vpath = tmp.path().join("v.f32");
    let mut w = VectorFileWriter::create(&vpath, 4).unwrap();
    for i in 0..60 {
        let x = i as f32;
        w.push(&[x.sin(), x.cos(), (x * 0.3).sin() + 1.5, 0.1])
            .unwrap();
    }
    let vref = w.finish("v.f32").unwrap();
    let vectors = VectorFile::open(&vpath, 4, &vref).unwrap();
    let params = HnswParams {
        m: 4,
        ef_construction: 16,
        threads: 1,
        builder: GraphBuilder::Segue,
    };
    let data = build_graph(&vectors, 60, &params, &|_| {}).unwrap();
    let gpath = tmp.path().join("g.hnsw");
    let crc = vectors.data_crc32();
    write_graph(&gpath, "g.hnsw", &data, crc).unwrap();
    let base = std::fs::read(&gpath).unwrap();
    let path = tmp.path().join("fuzzed.hnsw");
    let mut runner = runner(384);
    for range in [0..GRAPH_HEADER, GRAPH_HEADER..base.len()] {
        runner
            .run(&edits(4), |e| {
                let mut bytes = edited(&base, &e, range.clone());
                // With the body checksum recomputed, damage reaches the structural checks
                // (link counts, ids, layer sizes) instead of stopping at the checksum.
                if bytes.len() >= GRAPH_HEADER {
                    let body = crc32fast::hash(&bytes[GRAPH_HEADER..]);
                    bytes[44..48].copy_from_slice(&body.to_le_bytes());
                }
                std::fs::write(&path, &bytes).unwrap();
                let fref = FileRef {
                    path: "fuzzed.hnsw".into(),
                    bytes: bytes.len() as u64,
                    crc32: bytes
                        .get(44..48)
                        .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap_or([0; 4]))),
                };
                if let Ok(graph) = AnnGraph::open(&path, &fref, &vectors, crc) {
                    let q = [0.5, 0.5, 1.0, 0.1];
                    let _ = graph.search(&vectors, &q, 5, 16, None);
                }
                Ok(())
            })
            .unwrap();
    }
}
