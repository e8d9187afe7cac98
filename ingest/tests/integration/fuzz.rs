//! Issue 14: property-based fuzzing of the catalogue readers (CSV, TSV, JSON Lines, Parquet)
//! and of embedding files (`.npy`, raw f32): a valid file with a few random edits is read to
//! the end as rows or row errors, or refused with an error — never a panic, and every row
//! that is accepted passes validation. `SEGUE_FUZZ_CASES` sets the cases per format.

use std::path::Path;

use npyz::WriterBuilder;
use segue_fixtures::fuzz::{Edit, edited, edits_biased, runner};

use segue_index::Dims;
use segue_ingest::CatalogFormat;
use segue_ingest::error::SourceItem;
use segue_ingest::sources::{self, EmbeddingFile};

use super::helpers::*;

/// A format's delimiters and digits: edits with these change a file's structure.
const FORMAT_BYTES: &[u8] = b",\t\n\r\"{}[]:;0.-e\\ ";

fn damaged(base: &[u8], edits: &[Edit]) -> Vec<u8> {
    edited(base, edits, 0..base.len())
}

/// Reads the whole catalogue; every accepted row must pass validation.
fn read_all(path: &Path, format: CatalogFormat) {
    let Ok(mut source) = sources::open(path, format) else {
        return;
    };
    let dims = Dims {
        audio: Some(DIM as u32),
        text: None,
    };
    for _ in 0..10_000 {
        match source.next_item() {
            Ok(Some(SourceItem::Record(r))) => {
                let _ = segue_ingest::validate::validate(&r, dims);
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return,
        }
    }
    panic!("{}: more rows than the file can hold", path.display());
}

#[test]
fn catalogue_readers_survive_damaged_files() {
    let tmp = tempfile::tempdir().unwrap();
    let good = rows("t", 6, 1);
    let tsv = csv_doc(&good).replace(',', "\t");
    let formats: [(&str, Vec<u8>, CatalogFormat); 4] = [
        ("c.csv", csv_doc(&good).into_bytes(), CatalogFormat::Auto),
        ("c.tsv", tsv.into_bytes(), CatalogFormat::Auto),
        (
            "c.jsonl",
            jsonl_doc(&good).into_bytes(),
            CatalogFormat::Auto,
        ),
        (
            "c.parquet",
            pq_doc(&pq_rows_with(1, |_| {}), true),
            CatalogFormat::Auto,
        ),
    ];
    let mut runner = runner(96);
    for (name, base, format) in formats {
        let path = tmp.path().join(name);
        runner
            .run(&edits_biased(5, FORMAT_BYTES), |e| {
                std::fs::write(&path, damaged(&base, &e)).unwrap();
                read_all(&path, format);
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn embedding_files_survive_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let raw: Vec<u8> = (0..6 * DIM)
        .flat_map(|i| (i as f32 - 3.5).to_le_bytes())
        .collect();
    let npy_path = tmp.path().join("base.npy");
    {
        let mut w = npyz::WriteOptions::<f32>::new()
            .default_dtype()
            .shape(&[6, DIM as u64])
            .writer(std::io::BufWriter::new(
                std::fs::File::create(&npy_path).unwrap(),
            ))
            .begin_nd()
            .unwrap();
        w.extend((0..6 * DIM).map(|i| i as f32 - 3.5)).unwrap();
        w.finish().unwrap();
    }
    let npy = std::fs::read(&npy_path).unwrap();
    let mut runner = runner(128);
    for (name, base, dim) in [("e.npy", npy, None), ("e.f32", raw, Some(DIM as u32))] {
        let path = tmp.path().join(name);
        runner
            .run(&edits_biased(5, FORMAT_BYTES), |e| {
                std::fs::write(&path, damaged(&base, &e)).unwrap();
                if let Ok(mut file) = EmbeddingFile::open(&path, dim) {
                    for row in 1..=file.rows().min(10_000) {
                        if file.read_row(row).is_err() {
                            break;
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}
