//! Shared builders of small catalogues and checks of what a library holds.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Float32Builder, ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{
    Array, ArrayRef, FixedSizeListArray, Float32Array, Float64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;

use segue_index::{EmbeddingKind, IndexError, Library};
use segue_ingest::{IngestError, IngestOptions, IngestSummary, ingest};

/// Embedding dimension of the small catalogues.
pub const DIM: usize = 4;

/// Header of the generic CSV catalogues of these tests.
pub const CSV_HEADER: &str = "track_id,title,artist,duration_s,tags,bpm,audio_emb";

/// One good track of a test catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub duration: f64,
    pub bpm: f64,
    pub tags: Vec<String>,
    pub emb: Vec<f32>,
}

/// A deterministic, never-zero vector.
pub fn vector(seed: usize, dim: usize) -> Vec<f32> {
    (0..dim)
        .map(|j| ((seed * 31 + j * 17 + 3) % 13) as f32 / 13.0 - 0.4)
        .collect()
}

/// `n` good rows with ids `{prefix}1..={prefix}n`; `seed` varies the vectors between catalogues.
pub fn rows(prefix: &str, n: usize, seed: usize) -> Vec<Row> {
    (1..=n)
        .map(|i| Row {
            id: format!("{prefix}{i}"),
            title: format!("Song {prefix}{i}"),
            duration: 60.0 + i as f64 * 1.5,
            bpm: 90.0 + i as f64,
            tags: vec!["mood:calm".into(), format!("genre:g{}", i % 3)],
            emb: vector(seed * 1000 + i, DIM),
        })
        .collect()
}

fn join<T: ToString>(v: &[T]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

pub fn csv_line(r: &Row) -> String {
    format!(
        "{},{},Someone,{},{},{},{}",
        r.id,
        r.title,
        r.duration,
        join(&r.tags),
        r.bpm,
        join(&r.emb)
    )
}

pub fn csv_doc(rows: &[Row]) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(&csv_line(r));
        s.push('\n');
    }
    s
}

/// Five good `t1..t5` rows in CSV with data row `row` (1-based) replaced by `line`.
pub fn csv_with(row: usize, line: &[u8]) -> Vec<u8> {
    let rs = rows("t", 5, 1);
    let mut out = Vec::new();
    out.extend_from_slice(CSV_HEADER.as_bytes());
    out.push(b'\n');
    for (i, r) in rs.iter().enumerate() {
        if i + 1 == row {
            out.extend_from_slice(line);
        } else {
            out.extend_from_slice(csv_line(r).as_bytes());
        }
        out.push(b'\n');
    }
    out
}

pub fn json_obj(r: &Row) -> serde_json::Value {
    serde_json::json!({
        "track_id": r.id,
        "title": r.title,
        "artist": "Someone",
        "duration_s": r.duration,
        "tags": r.tags,
        "bpm": r.bpm,
        "audio_emb": r.emb,
    })
}

pub fn jsonl_doc(rows: &[Row]) -> String {
    rows.iter().map(|r| format!("{}\n", json_obj(r))).collect()
}

/// Five good `t1..t5` JSON lines with line `row` (1-based) replaced by `line`.
pub fn jsonl_with(row: usize, line: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, r) in rows("t", 5, 1).iter().enumerate() {
        if i + 1 == row {
            out.extend_from_slice(line);
        } else {
            out.extend_from_slice(json_obj(r).to_string().as_bytes());
        }
        out.push(b'\n');
    }
    out
}

/// Five good `t1..t5` JSON objects with object `row` (1-based) edited by `edit`.
pub fn jsonl_edit(
    row: usize,
    edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Vec<u8> {
    let r = &rows("t", 5, 1)[row - 1];
    let mut o = json_obj(r);
    edit(o.as_object_mut().expect("an object"));
    jsonl_with(row, o.to_string().as_bytes())
}

/// A Parquet row where every field may be null (and embedding elements too).
#[derive(Debug, Clone, PartialEq)]
pub struct PqRow {
    pub id: Option<String>,
    pub title: Option<String>,
    pub duration: Option<f64>,
    pub bpm: Option<f64>,
    pub tags: Vec<String>,
    pub emb: Option<Vec<Option<f32>>>,
}

impl From<&Row> for PqRow {
    fn from(r: &Row) -> Self {
        PqRow {
            id: Some(r.id.clone()),
            title: Some(r.title.clone()),
            duration: Some(r.duration),
            bpm: Some(r.bpm),
            tags: r.tags.clone(),
            emb: Some(r.emb.iter().copied().map(Some).collect()),
        }
    }
}

/// Five good `t1..t5` Parquet rows with row `row` (1-based) edited by `edit`.
pub fn pq_rows_with(row: usize, edit: impl FnOnce(&mut PqRow)) -> Vec<PqRow> {
    let mut v: Vec<PqRow> = rows("t", 5, 1).iter().map(PqRow::from).collect();
    edit(&mut v[row - 1]);
    v
}

/// The Arrow batch of `rows`; `fixed` writes `audio_emb` as `FixedSizeList<f32, DIM>`, else `List<f32>`.
pub fn pq_batch(rows: &[PqRow], fixed: bool) -> RecordBatch {
    let ids: StringArray = rows.iter().map(|r| r.id.clone()).collect();
    let titles: StringArray = rows.iter().map(|r| r.title.clone()).collect();
    let durations: Float64Array = rows.iter().map(|r| r.duration).collect();
    let bpms: Float64Array = rows.iter().map(|r| r.bpm).collect();
    let mut tags = ListBuilder::new(StringBuilder::new());
    for r in rows {
        for t in &r.tags {
            tags.values().append_value(t);
        }
        tags.append(true);
    }
    let item = Arc::new(Field::new("item", DataType::Float32, true));
    let emb: ArrayRef = if fixed {
        let mut values = Vec::new();
        let mut valid = Vec::new();
        for r in rows {
            match &r.emb {
                Some(v) => {
                    assert_eq!(v.len(), DIM, "a fixed-size list needs {DIM} elements");
                    values.extend(v.iter().copied());
                    valid.push(true);
                }
                None => {
                    values.extend(std::iter::repeat_n(Some(0.0), DIM));
                    valid.push(false);
                }
            }
        }
        Arc::new(FixedSizeListArray::new(
            item.clone(),
            DIM as i32,
            Arc::new(Float32Array::from(values)),
            Some(valid.into()),
        ))
    } else {
        let mut b = ListBuilder::new(Float32Builder::new()).with_field(item.clone());
        for r in rows {
            match &r.emb {
                Some(v) => {
                    for x in v {
                        b.values().append_option(*x);
                    }
                    b.append(true);
                }
                None => b.append(false),
            }
        }
        Arc::new(b.finish())
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(ids),
        Arc::new(titles),
        Arc::new(durations),
        Arc::new(bpms),
        Arc::new(tags.finish()),
        emb.clone(),
    ];
    let schema = Schema::new(vec![
        Field::new("track_id", DataType::Utf8, true),
        Field::new("title", DataType::Utf8, true),
        Field::new("duration_s", DataType::Float64, true),
        Field::new("bpm", DataType::Float64, true),
        Field::new("tags", columns[4].data_type().clone(), true),
        Field::new("audio_emb", emb.data_type().clone(), true),
    ]);
    RecordBatch::try_new(Arc::new(schema), columns).expect("a valid batch")
}

/// Parquet bytes of one batch.
pub fn parquet_bytes(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), None).expect("parquet writer");
    w.write(batch).expect("write parquet");
    w.close().expect("close parquet");
    out
}

pub fn pq_doc(rows: &[PqRow], fixed: bool) -> Vec<u8> {
    parquet_bytes(&pq_batch(rows, fixed))
}

// ---------------------------------------------------------------------------------------------
// Running ingests.

/// Options with small batches off (the default size) and no progress bar.
pub fn opts(catalog: &Path) -> IngestOptions {
    IngestOptions::new(catalog)
}

pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).expect("write catalogue");
    p
}

/// Ingests `bytes` (written to `cat_dir/name`) into `lib` and expects success.
pub fn ingest_ok(lib: &Path, cat_dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> IngestSummary {
    let p = write(cat_dir, name, bytes);
    ingest(lib, &opts(&p)).unwrap_or_else(|e| panic!("ingest of {} failed: {e}", p.display()))
}

// ---------------------------------------------------------------------------------------------
// Reading a library back.

pub fn open(lib: &Path) -> Library {
    Library::open(lib).unwrap_or_else(|e| panic!("open {}: {e}", lib.display()))
}

/// What a reader sees of a published version.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub version: u64,
    pub rows: u64,
    pub ids: Vec<String>,
    pub titles: Vec<Option<String>>,
    pub audio: Vec<Vec<f32>>,
}

pub fn snapshot_of(l: &Library) -> Snapshot {
    let ids = l.track_ids().expect("track ids");
    let all: Vec<u64> = (0..l.rows()).collect();
    let titles = strings(l, &all, "title");
    let audio = match l.vectors(EmbeddingKind::Audio) {
        Some(v) => (0..v.rows() as usize).map(|i| v.row(i).to_vec()).collect(),
        None => vec![],
    };
    Snapshot {
        version: l.version(),
        rows: l.rows(),
        ids,
        titles,
        audio,
    }
}

pub fn snapshot(lib: &Path) -> Snapshot {
    snapshot_of(&open(lib))
}

/// Values of a string column at `rows` (via `Library::take`).
pub fn strings(l: &Library, rows: &[u64], column: &str) -> Vec<Option<String>> {
    let b = l.take(rows, &[column]).expect("take");
    let a = b.column(0).as_string::<i32>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
        .collect()
}

/// Values of a float32 column at `rows`.
pub fn floats(l: &Library, rows: &[u64], column: &str) -> Vec<Option<f32>> {
    let b = l.take(rows, &[column]).expect("take");
    let a = b.column(0).as_primitive::<Float32Type>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect()
}

/// The tags of one row.
pub fn tags(l: &Library, row: u64) -> Vec<String> {
    let b = l.take(&[row], &["tags"]).expect("take");
    let list = b.column(0).as_list::<i32>().value(0);
    list.as_string::<i32>()
        .iter()
        .flatten()
        .map(String::from)
        .collect()
}

/// `v` scaled to unit length, the way the library stores it.
pub fn normalised(v: &[f32]) -> Vec<f32> {
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    let inv = (1.0 / norm) as f32;
    v.iter().map(|x| x * inv).collect()
}

pub fn assert_close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-6,
            "{what}: element {i}: {x} vs {y} ({a:?} vs {b:?})"
        );
    }
}

/// Checks that the library's ids are exactly `ids` in order, that it has one vector per id, and
/// that row `i`'s vector is the normalised catalogue vector of `track_ids()[i]`.
pub fn assert_contents(l: &Library, ids: &[&str], catalogue: &HashMap<String, Vec<f32>>) {
    let got = l.track_ids().expect("track ids");
    assert_eq!(got, ids, "track ids in row order");
    assert_eq!(l.rows(), ids.len() as u64);
    let v = l.vectors(EmbeddingKind::Audio).expect("audio vectors");
    assert_eq!(v.rows(), got.len() as u64, "one vector per track");
    for (i, id) in got.iter().enumerate() {
        let want = catalogue
            .get(id)
            .unwrap_or_else(|| panic!("{id} is not in the catalogues"));
        assert_close(
            v.row(i),
            &normalised(want),
            &format!("vector row {i} ({id})"),
        );
    }
}

/// Id → embedding of all the given rows (later rows win).
pub fn vectors_of<'a>(rows: impl IntoIterator<Item = &'a Row>) -> HashMap<String, Vec<f32>> {
    rows.into_iter()
        .map(|r| (r.id.clone(), r.emb.clone()))
        .collect()
}

pub fn ids(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| r.id.as_str()).collect()
}

pub fn assert_not_a_library(lib: &Path) {
    match Library::open(lib) {
        Err(IndexError::NotALibrary { .. }) => {}
        Err(e) => panic!("expected NotALibrary for {}, got {e:?}", lib.display()),
        Ok(l) => panic!(
            "expected no library in {}, found version {}",
            lib.display(),
            l.version()
        ),
    }
}

/// Every file in `vectors/` is one the manifest names; no staging or temp files are left.
pub fn assert_no_garbage(lib: &Path) {
    let named: Vec<String> = match Library::open(lib) {
        Ok(l) => l.manifest().files.iter().map(|f| f.path.clone()).collect(),
        Err(_) => vec![],
    };
    if let Ok(rd) = fs::read_dir(lib.join("vectors")) {
        for e in rd.flatten() {
            let rel = format!("vectors/{}", e.file_name().to_string_lossy());
            assert!(
                named.contains(&rel),
                "{rel} is left over (manifest names {named:?})"
            );
        }
    }
    for d in [lib.to_path_buf(), lib.join("reports")] {
        if let Ok(rd) = fs::read_dir(&d) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                assert!(
                    !name.contains(".tmp-"),
                    "temp file {name} left in {}",
                    d.display()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input.

/// What a rejected catalogue must report.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// `BadRow` at this 1-based data row and field; `id` is the track id the error carries.
    Row {
        row: u64,
        field: &'static str,
        id: Option<&'static str>,
        reason: &'static str,
    },
    /// `BadFile` whose reason contains this text.
    File { reason: &'static str },
}

pub fn bad_row(
    row: u64,
    field: &'static str,
    id: Option<&'static str>,
    reason: &'static str,
) -> Expect {
    Expect::Row {
        row,
        field,
        id,
        reason,
    }
}

pub fn bad_file(reason: &'static str) -> Expect {
    Expect::File { reason }
}

/// Asserts `err` is what `expect` says, about `file`.
pub fn check_error(err: &IngestError, file: &Path, expect: Expect) {
    let msg = err.to_string();
    assert!(
        msg.contains(&file.display().to_string()),
        "the message names the file: {msg}"
    );
    match (err, expect) {
        (
            IngestError::BadRow { file: f, error },
            Expect::Row {
                row,
                field,
                id,
                reason,
            },
        ) => {
            assert_eq!(f, file, "{msg}");
            assert_eq!(error.row, row, "row: {msg}");
            assert_eq!(error.field, field, "field: {msg}");
            assert_eq!(error.track_id.as_deref(), id, "track id: {msg}");
            assert!(
                error.reason.contains(reason),
                "reason should mention {reason:?}: {msg}"
            );
            assert!(
                msg.contains(&format!("row {row}")) && msg.contains(field),
                "{msg}"
            );
        }
        (IngestError::BadFile { file: f, reason: r }, Expect::File { reason }) => {
            assert_eq!(f, file, "{msg}");
            assert!(
                r.contains(reason),
                "reason should mention {reason:?}: {msg}"
            );
        }
        _ => panic!("expected {expect:?}, got {err:?}"),
    }
}

/// Ingests the bad catalogue `name` (holding `bytes`) with `batch_rows` and checks the error.
fn ingest_bad(lib: &Path, catalog: &Path, batch_rows: usize, expect: Expect) {
    let mut o = opts(catalog);
    o.batch_rows = batch_rows;
    let err = ingest(lib, &o).expect_err("a bad catalogue must be refused");
    check_error(&err, catalog, expect);
}

/// The whole bad-input contract for one catalogue: as a first ingest it is refused, nothing is
/// published and a good ingest then works in the same directory; appended to that library it is
/// refused again (with small and default batches) and the library is unchanged.
pub fn assert_rejected(name: &str, bytes: &[u8], expect: Expect) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cat_dir = tmp.path().join("catalogues");
    fs::create_dir(&cat_dir).expect("mkdir");
    let lib = tmp.path().join("lib");
    let bad = write(&cat_dir, name, bytes);

    // First ingest into an empty directory (small batches: the bad row is met while Lance writes).
    ingest_bad(&lib, &bad, 2, expect);
    assert_not_a_library(&lib);
    assert!(
        !lib.join("tracks.lance").exists(),
        "staged Lance data of a failed first ingest is removed"
    );
    assert_no_garbage(&lib);

    // A good ingest into the same directory works.
    let base = rows("base-", 3, 7);
    let s = ingest_ok(&lib, &cat_dir, "base.csv", csv_doc(&base));
    assert_eq!((s.library_version, s.total_tracks), (1, 3));
    let before = snapshot(&lib);
    assert_eq!(before.ids, ids(&base));

    // Appending the bad catalogue is refused and publishes nothing.
    for batch_rows in [2, 8192] {
        ingest_bad(&lib, &bad, batch_rows, expect);
        assert_eq!(
            snapshot(&lib),
            before,
            "the library is unchanged (batch_rows {batch_rows})"
        );
        assert_no_garbage(&lib);
    }
    open(&lib).verify().expect("verify");
}
