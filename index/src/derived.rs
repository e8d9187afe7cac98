//! The derived indexes of a new version: an HNSW graph per embedding space and the text index.
//!
//! Built by the writer after Lance has committed the new rows and before the manifest is
//! published, so a crash while building leaves the previous version (and the next writer
//! removes the half-built files). What is reused, and why it is safe:
//!
//! * A graph covers rows `0..n` of the vectors it was built from. An append that deletes no row
//!   leaves those rows (and their bytes: the vector file is copied) unchanged, so the graph is
//!   carried over and the new rows are scanned exactly at query time — until they are more than
//!   [`IndexPlan::max_unindexed_fraction`] of the library, when the graph is rebuilt. Deleting
//!   rows (replacing tracks) renumbers rows, so the graph is rebuilt (or dropped if the plan
//!   builds no graphs).
//! * The text index is extended with the new rows on a pure append (hard links to the old
//!   index's files plus new segments) and rebuilt after deletions.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use arrow_array::{Array, ListArray, RecordBatch, StringArray};
use futures::StreamExt;
use lance::Dataset;

use crate::ann::tune::tune_search_ef;
use crate::ann::{AnnGraph, HnswParams, build_graph_walking, format::write_graph};
use crate::error::{IndexError, IoContext, Result};
use crate::layout::{self, ANN_DIR, TEXT_DIR};
use crate::manifest::{AnnInfo, FileRef, Manifest, QuantisedInfo, TextIndexInfo};
use crate::quantised::{Quantisation, QuantisedVectors, write_quantised};
use crate::runtime::block_on;
use crate::schema::{EmbeddingKind, col};
use crate::text::{TextDoc, TextIndexWriter};
use crate::vectors::VectorFile;

/// Reports progress of a long step: a label, units done, units in total.
pub type Progress<'a> = &'a (dyn Fn(&str, u64, u64) + Sync);

/// Which derived indexes a new version gets.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexPlan {
    /// Build graphs with these parameters where needed; `None` builds none (a still-valid
    /// graph of the previous version is carried over all the same).
    pub ann: Option<HnswParams>,
    /// Build (or extend) the text index.
    pub text: bool,
    /// Build everything from scratch even where the previous version's indexes could be reused.
    pub rebuild: bool,
    /// Rebuild a carried-over graph once more than this fraction of rows is outside it.
    pub max_unindexed_fraction: f64,
    /// Threads for the text index.
    pub threads: usize,
    /// How the vectors are kept for searching; `None` keeps the previous version's choice
    /// (f32 only for a new library).
    pub quantisation: Option<Quantisation>,
    /// Walk the f32 vectors while building a graph even where the int8 copy exists (by
    /// default a build walks the copy, a quarter of the memory traffic, and still chooses the
    /// links on f32 similarities).
    pub build_on_f32: bool,
}

impl Default for IndexPlan {
    fn default() -> Self {
        let params = HnswParams::default();
        IndexPlan {
            ann: Some(params),
            text: true,
            rebuild: false,
            max_unindexed_fraction: 0.1,
            threads: params.threads,
            quantisation: None,
            build_on_f32: false,
        }
    }
}

impl IndexPlan {
    /// No new indexes: only what can be carried over.
    pub fn none() -> IndexPlan {
        IndexPlan {
            ann: None,
            text: false,
            ..IndexPlan::default()
        }
    }
}

/// What the new version's manifest records about its derived indexes.
#[derive(Debug, Default)]
pub(crate) struct Derived {
    pub files: Vec<FileRef>,
    pub ann: BTreeMap<String, AnnInfo>,
    pub text_index: Option<TextIndexInfo>,
    pub quantisation: Quantisation,
    pub quantised: BTreeMap<String, QuantisedInfo>,
}

/// Everything the builder needs to know about the version being made.
pub(crate) struct NewVersion<'a> {
    pub dir: &'a Path,
    pub version: u64,
    pub rows: u64,
    pub base: Option<&'a Manifest>,
    /// Rows were deleted: row numbers of the base version no longer hold.
    pub renumbered: bool,
    pub dataset: &'a Dataset,
    pub vectors: &'a [(EmbeddingKind, FileRef, u32)],
}

pub(crate) fn build(
    v: &NewVersion<'_>,
    plan: &IndexPlan,
    progress: Progress<'_>,
) -> Result<Derived> {
    let mut out = Derived {
        quantisation: plan
            .quantisation
            .unwrap_or_else(|| v.base.map_or(Quantisation::None, |b| b.quantisation)),
        ..Derived::default()
    };
    for (kind, fref, dim) in v.vectors {
        let path = v.dir.join(&fref.path);
        let vectors = VectorFile::open(&path, *dim, fref)?;
        // The int8 copy first: a graph built now walks on it.
        let mut quantised = None;
        if out.quantisation == Quantisation::Int8 {
            let (info, file) = quantised_for(v, plan, *kind, &vectors)?;
            if !plan.build_on_f32 {
                quantised = Some(file.clone());
            }
            out.files.push(file);
            out.quantised.insert(kind.column().to_string(), info);
        }
        let walk = AnnInput {
            dir: v.dir,
            vectors: &vectors,
            quantised: quantised.as_ref(),
        };
        if let Some((info, file)) = ann_for(v, plan, *kind, &walk, progress)? {
            out.files.push(file);
            out.ann.insert(kind.column().to_string(), info);
        }
    }
    if let Some((info, files)) = text_for(v, plan, progress)? {
        out.files.extend(files);
        out.text_index = Some(info);
    }
    Ok(out)
}

/// What a graph is built from: the vectors, and the int8 copy its inserts walk on (if any),
/// in the library folder `dir`.
struct AnnInput<'a> {
    dir: &'a Path,
    vectors: &'a VectorFile,
    /// Opened, and its checksum verified (a read of the whole copy), only when a graph is built:
    /// a graph carried over needs neither.
    quantised: Option<&'a FileRef>,
}

fn ann_for(
    v: &NewVersion<'_>,
    plan: &IndexPlan,
    kind: EmbeddingKind,
    input: &AnnInput<'_>,
    progress: Progress<'_>,
) -> Result<Option<(AnnInfo, FileRef)>> {
    let vectors = input.vectors;
    let previous = v
        .base
        .and_then(|b| Some((b.ann.get(kind.column())?, b)))
        .filter(|_| !v.renumbered && !plan.rebuild)
        .and_then(|(info, base)| Some((info.clone(), base.file(&info.file)?.clone())))
        // The bytes it was built from must still be the prefix of this version's vectors.
        .filter(|(info, _)| {
            info.rows <= vectors.rows() && vectors.prefix_crc32(info.rows) == info.vectors_crc32
        });
    if let Some((info, file)) = &previous {
        let unindexed = (vectors.rows() - info.rows) as f64 / vectors.rows().max(1) as f64;
        if plan.ann.is_none() || unindexed <= plan.max_unindexed_fraction {
            return Ok(Some((info.clone(), file.clone())));
        }
    }
    let Some(params) = plan.ann else {
        return Ok(None);
    };
    let start = Instant::now();
    let label = format!("HNSW graph of {}", kind.column());
    let total = vectors.rows();
    progress(&label, 0, total);
    let quantised = input
        .quantised
        .map(|file| QuantisedVectors::open(&input.dir.join(&file.path), file, vectors))
        .transpose()?;
    let graph = build_graph_walking(vectors, quantised.as_ref(), total, &params, &|done| {
        progress(&label, done, total)
    })?;
    drop(quantised);
    let rel = layout::ann_file(kind, v.version);
    let ann_dir = v.dir.join(ANN_DIR);
    std::fs::create_dir_all(&ann_dir).at(&ann_dir)?;
    crate::failpoint::hit("index-before-graph-written");
    let file = write_graph(&v.dir.join(&rel), &rel, &graph, vectors.data_crc32())?;
    drop(graph);
    let written = AnnGraph::open(&v.dir.join(&rel), &file, vectors, vectors.data_crc32())?;
    let search_ef = tune_search_ef(&written, vectors, params.threads)?;
    Ok(Some((
        AnnInfo {
            file: rel,
            rows: total,
            vectors_crc32: vectors.data_crc32(),
            m: params.m as u32,
            ef_construction: params.ef_construction as u32,
            builder: params.builder,
            search_ef: Some(search_ef as u32),
            built_in_version: v.version,
            build_seconds: start.elapsed().as_secs_f64(),
        },
        file,
    )))
}

/// The int8 copy of `vectors`: the previous version's when made from the same bytes (an
/// append changes them, so it is rewritten: one pass over the vectors, about a second per
/// million 128-d rows).
fn quantised_for(
    v: &NewVersion<'_>,
    plan: &IndexPlan,
    kind: EmbeddingKind,
    vectors: &VectorFile,
) -> Result<(QuantisedInfo, FileRef)> {
    let previous = v
        .base
        .and_then(|b| Some((b.quantised.get(kind.column())?, b)))
        .filter(|(info, _)| !plan.rebuild && info.vectors_crc32 == vectors.data_crc32())
        .and_then(|(info, base)| Some((info.clone(), base.file(&info.file)?.clone())));
    if let Some(kept) = previous {
        return Ok(kept);
    }
    let start = Instant::now();
    let rel = layout::quantised_file(kind, v.version);
    crate::failpoint::hit("index-before-quantised-written");
    let file = write_quantised(&v.dir.join(&rel), &rel, vectors)?;
    Ok((
        QuantisedInfo {
            file: rel,
            scheme: Quantisation::Int8,
            vectors_crc32: vectors.data_crc32(),
            build_seconds: start.elapsed().as_secs_f64(),
        },
        file,
    ))
}

fn text_for(
    v: &NewVersion<'_>,
    plan: &IndexPlan,
    progress: Progress<'_>,
) -> Result<Option<(TextIndexInfo, Vec<FileRef>)>> {
    let previous = v
        .base
        .and_then(|b| b.text_index.as_ref())
        .filter(|_| !v.renumbered && !plan.rebuild);
    if !plan.text {
        // Without new rows the old index is still complete; otherwise it would silently miss
        // the new tracks, so the version has no text index until the next reindex.
        let complete = previous.filter(|t| t.docs == v.rows);
        return Ok(complete.map(|t| {
            let base = v.base.expect("previous implies base");
            let files = t
                .files
                .iter()
                .filter_map(|f| base.file(f).cloned())
                .collect();
            (t.clone(), files)
        }));
    }
    let start = Instant::now();
    let rel_dir = layout::text_dir(v.version);
    let abs_dir = v.dir.join(&rel_dir);
    let text_root = v.dir.join(TEXT_DIR);
    std::fs::create_dir_all(&text_root).at(&text_root)?;
    let mut writer = match previous {
        Some(prev) if prev.docs <= v.rows => {
            TextIndexWriter::extend(&v.dir.join(&prev.dir), &abs_dir, plan.threads)?
        }
        _ => TextIndexWriter::create(&abs_dir, plan.threads)?,
    };
    let first = writer.next_row();
    let label = "text index".to_string();
    progress(&label, 0, v.rows - first);
    add_text_docs(v, &mut writer, first, &|done| {
        progress(&label, done, v.rows - first)
    })?;
    let names = writer.finish()?;
    let mut files = Vec::with_capacity(names.len());
    for name in &names {
        let rel = format!("{rel_dir}/{name}");
        files.push(file_ref(v.dir, &rel)?);
    }
    Ok(Some((
        TextIndexInfo {
            dir: rel_dir,
            docs: v.rows,
            files: files.iter().map(|f| f.path.clone()).collect(),
            build_seconds: start.elapsed().as_secs_f64(),
        },
        files,
    )))
}

/// Streams rows `first..` of the new version from Lance into the text index.
fn add_text_docs(
    v: &NewVersion<'_>,
    writer: &mut TextIndexWriter,
    first: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<()> {
    let lance_path = v.dir.join(crate::layout::LANCE_DIR);
    let columns = [
        col::TRACK_ID,
        col::TITLE,
        col::ARTIST,
        col::ALBUM,
        col::CAPTION,
        col::TAGS,
    ];
    block_on(async {
        let mut scanner = v.dataset.scan();
        scanner
            .project(&columns)
            .map_err(|e| IndexError::lance(&lance_path, e))?;
        scanner.scan_in_order(true);
        let mut stream = scanner
            .try_into_stream()
            .await
            .map_err(|e| IndexError::lance(&lance_path, e))?;
        let mut row = 0u64;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| IndexError::lance(&lance_path, e))?;
            let n = batch.num_rows() as u64;
            if row + n > first {
                let skip = first.saturating_sub(row) as usize;
                add_batch(writer, &batch, skip, row, &lance_path)?;
                progress(row + n - first);
            }
            row += n;
        }
        if row != v.rows {
            return Err(IndexError::corrupt(
                &lance_path,
                format!("scan returned {row} rows, the version has {}", v.rows),
            ));
        }
        Ok(())
    })
}

fn add_batch(
    writer: &mut TextIndexWriter,
    batch: &RecordBatch,
    skip: usize,
    first_row: u64,
    lance_path: &Path,
) -> Result<()> {
    let text = |name: &str| -> Result<&StringArray> {
        batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .ok_or_else(|| IndexError::corrupt(lance_path, format!("column {name} is not text")))
    };
    let (ids, titles, artists, albums, captions) = (
        text(col::TRACK_ID)?,
        text(col::TITLE)?,
        text(col::ARTIST)?,
        text(col::ALBUM)?,
        text(col::CAPTION)?,
    );
    let tags = batch
        .column_by_name(col::TAGS)
        .and_then(|c| c.as_any().downcast_ref::<ListArray>())
        .ok_or_else(|| IndexError::corrupt(lance_path, "column tags is not a list"))?;
    for i in skip..batch.num_rows() {
        let row_tags: Vec<String> = if tags.is_null(i) {
            vec![]
        } else {
            let list = tags.value(i);
            let values = list
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| IndexError::corrupt(lance_path, "tags are not strings"))?;
            values.iter().flatten().map(str::to_string).collect()
        };
        writer.add(&TextDoc {
            row: (first_row + i as u64) as u32,
            track_id: ids.value(i),
            title: opt(titles, i),
            artist: opt(artists, i),
            album: opt(albums, i),
            caption: opt(captions, i),
            tags: &row_tags,
        })?;
    }
    Ok(())
}

fn opt(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

/// Size and CRC-32 of a file just written (read back once).
fn file_ref(dir: &Path, rel: &str) -> Result<FileRef> {
    let path = dir.join(rel);
    let bytes = std::fs::read(&path).at(&path)?;
    Ok(FileRef {
        path: rel.into(),
        bytes: bytes.len() as u64,
        crc32: crc32fast::hash(&bytes),
    })
}
