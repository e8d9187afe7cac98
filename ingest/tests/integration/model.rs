//! Random sequences of library operations against a plain in-memory model: ingest into a new
//! library, append, replace (`OnDuplicate::Replace`), delete (`VersionChange::delete_track_ids`
//! through `LibraryWriter::publish`), reindex and reopen. After every step the published
//! version must hold exactly the model's tracks, in the model's row order, with their fields,
//! their normalised vectors, and the exact search results the model computes.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

use segue_index::exact::top_k;
use segue_index::{EmbeddingKind, IngestRecord, Library, LibraryWriter, VersionChange};
use segue_ingest::{OnDuplicate, ingest};

use crate::helpers::*;

/// One step of a run. Indices pick tracks of the model modulo its size.
#[derive(Debug, Clone)]
enum Op {
    /// New tracks (the first step creates the library with them).
    Append(Vec<Fields>),
    /// A catalogue mixing new versions of existing tracks and new tracks, in this order.
    Replace(Vec<(Option<usize>, Fields)>),
    /// Remove these tracks (at least one track always stays).
    Delete(Vec<usize>),
    Reindex,
    Reopen,
}

/// What a catalogue row sets; the id comes from the model.
#[derive(Debug, Clone)]
struct Fields {
    title: u8,
    bpm: u8,
    tag: u8,
    /// Index into the run's small vector pool, so that equal vectors (exact ties) are common.
    vector: usize,
}

/// The model: the tracks of the published version, in row order.
#[derive(Debug, Default)]
struct Model {
    tracks: Vec<Row>,
    version: u64,
    next_id: usize,
}

fn fields() -> impl Strategy<Value = Fields> {
    (any::<u8>(), any::<u8>(), 0u8..4, 0usize..12).prop_map(|(title, bpm, tag, vector)| Fields {
        title,
        bpm,
        tag,
        vector,
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop::collection::vec(fields(), 1..6).prop_map(Op::Append),
        3 => prop::collection::vec((prop::option::of(0usize..64), fields()), 1..6)
            .prop_map(Op::Replace),
        2 => prop::collection::vec(0usize..64, 1..4).prop_map(Op::Delete),
        1 => Just(Op::Reindex),
        1 => Just(Op::Reopen),
    ]
}

/// A run: the embedding dimension, the vector pool, and the operations after the first ingest.
fn run() -> impl Strategy<Value = (usize, Vec<Fields>, Vec<Op>)> {
    (4usize..=8).prop_flat_map(|dim| {
        (
            Just(dim),
            prop::collection::vec(fields(), 1..8),
            prop::collection::vec(op(), 1..8),
        )
    })
}

/// Twelve vectors: small integers (so some cosines tie exactly) and never zero.
fn pool(dim: usize) -> Vec<Vec<f32>> {
    (0..12)
        .map(|i| {
            (0..dim)
                .map(|j| ((i * 7 + j * 3 + i * j) % 5) as f32 - 2.0)
                .map(|x| if x == 0.0 && i % 2 == 0 { 1.0 } else { x })
                .collect::<Vec<f32>>()
        })
        .map(|v| {
            if v.iter().all(|&x| x == 0.0) {
                vec![1.0; dim]
            } else {
                v
            }
        })
        .collect()
}

impl Model {
    fn row(&mut self, id: Option<String>, f: &Fields, pool: &[Vec<f32>]) -> Row {
        let id = id.unwrap_or_else(|| {
            self.next_id += 1;
            format!("m{}", self.next_id)
        });
        Row {
            title: format!("Title {}", f.title),
            duration: 30.0 + f64::from(f.title),
            bpm: 60.0 + f64::from(f.bpm),
            tags: vec![format!("genre:g{}", f.tag)],
            emb: pool[f.vector].clone(),
            id,
        }
    }

    fn pick(&self, i: usize) -> String {
        self.tracks[i % self.tracks.len()].id.clone()
    }
}

fn ingest_csv(lib: &Path, tmp: &Path, rows: &[Row], policy: OnDuplicate) {
    let cat = write(tmp, "step.csv", csv_doc(rows));
    let mut o = opts(&cat);
    o.on_duplicate = policy;
    ingest(lib, &o).unwrap_or_else(|e| panic!("ingest of {rows:?}: {e}"));
}

fn apply(op: &Op, m: &mut Model, lib: &Path, tmp: &Path, pool: &[Vec<f32>]) {
    match op {
        Op::Append(fs) => {
            let rows: Vec<Row> = fs.iter().map(|f| m.row(None, f, pool)).collect();
            ingest_csv(lib, tmp, &rows, OnDuplicate::Error);
            m.tracks.extend(rows);
            m.version += 1;
        }
        Op::Replace(picks) => {
            let mut rows: Vec<Row> = Vec::new();
            for (pick, f) in picks {
                let id = pick.map(|i| m.pick(i));
                // One row per id in a catalogue: a second pick of the same track is dropped.
                if id
                    .as_ref()
                    .is_some_and(|id| rows.iter().any(|r| &r.id == id))
                {
                    continue;
                }
                rows.push(m.row(id, f, pool));
            }
            ingest_csv(lib, tmp, &rows, OnDuplicate::Replace);
            // Surviving old rows keep their order; the catalogue's rows follow in its order.
            m.tracks.retain(|t| rows.iter().all(|r| r.id != t.id));
            m.tracks.extend(rows);
            m.version += 1;
        }
        Op::Delete(picks) => {
            let mut ids: Vec<String> = picks.iter().map(|&i| m.pick(i)).collect();
            ids.sort();
            ids.dedup();
            if ids.len() == m.tracks.len() {
                ids.pop();
            }
            m.tracks.retain(|t| !ids.contains(&t.id));
            delete(lib, ids, &m.tracks);
            m.version += 1;
        }
        Op::Reindex => {
            LibraryWriter::open(lib)
                .and_then(|mut w| w.reindex())
                .expect("reindex");
            m.version += 1;
        }
        Op::Reopen => {
            // A writer that opens and finds nothing to recover changes nothing.
            drop(LibraryWriter::open(lib).expect("reopen the writer"));
        }
    }
}

/// Deletes `ids` the way the index's public API allows: a version whose vector file holds the
/// surviving tracks (`survivors`, in row order) and whose change names the deleted ids.
fn delete(lib: &Path, ids: Vec<String>, survivors: &[Row]) {
    let mut w = LibraryWriter::open(lib).expect("open the writer");
    let dims = w.open_base().expect("base").expect("published").dims();
    let dim = dims.audio.expect("audio space");
    let (abs, rel) = w.next_vector_path(EmbeddingKind::Audio).unwrap();
    let mut vectors = segue_index::VectorFileWriter::create(&abs, dim).unwrap();
    for t in survivors {
        vectors.push(&t.emb).unwrap();
    }
    let fref = vectors.finish(&rel).unwrap();
    w.publish(VersionChange {
        staged: None,
        delete_track_ids: ids,
        dims,
        vectors: vec![(EmbeddingKind::Audio, fref)],
        rows: survivors.len() as u64,
        ingest: IngestRecord::default(),
        encoders: vec![],
        attachments: vec![],
    })
    .expect("publish a deletion");
}

/// The published version against the model: ids in row order, fields, vectors, exact search.
fn check(m: &Model, lib: &Path, pool: &[Vec<f32>], step: usize) {
    let l = Library::open(lib).unwrap_or_else(|e| panic!("step {step}: open: {e}"));
    assert_eq!(l.version(), m.version, "step {step}: version");
    let ids: Vec<&str> = m.tracks.iter().map(|t| t.id.as_str()).collect();
    assert_contents(&l, &ids, &vectors_of(&m.tracks));
    let all: Vec<u64> = (0..l.rows()).collect();
    let titles: Vec<Option<String>> = m.tracks.iter().map(|t| Some(t.title.clone())).collect();
    assert_eq!(strings(&l, &all, "title"), titles, "step {step}: titles");
    let bpm: Vec<Option<f32>> = m.tracks.iter().map(|t| Some(t.bpm as f32)).collect();
    assert_eq!(floats(&l, &all, "bpm"), bpm, "step {step}: bpm");
    for (row, t) in m.tracks.iter().enumerate() {
        assert_eq!(
            tags(&l, row as u64),
            t.tags,
            "step {step}: tags of row {row}"
        );
    }
    let unit: Vec<Vec<f32>> = m.tracks.iter().map(|t| normalised(&t.emb)).collect();
    for q in pool.iter().take(4) {
        for k in [1, 3, m.tracks.len() + 1] {
            check_search(&l, &unit, q, k, step);
        }
    }
}

/// The library's exact top-k against the model's: scores by the model's own dot products,
/// best first, ties (equal vectors) by lower row. Distinct vectors whose cosines are within
/// rounding of each other may come in either order; everything else must match exactly.
fn check_search(l: &Library, unit: &[Vec<f32>], query: &[f32], k: usize, step: usize) {
    let q = normalised(query);
    let score = |v: &[f32]| -> f64 {
        v.iter()
            .zip(&q)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum()
    };
    let mut want: Vec<(f64, u64)> = unit
        .iter()
        .enumerate()
        .map(|(row, v)| (score(v), row as u64))
        .collect();
    want.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let vectors = l.vectors(EmbeddingKind::Audio).expect("audio vectors");
    let got = top_k(vectors, query, k).unwrap_or_else(|e| panic!("step {step}: search: {e}"));
    assert_eq!(
        got.len(),
        k.min(unit.len()),
        "step {step}: hits for k = {k}"
    );
    const ROUNDING: f64 = 1e-5;
    // A row of the top k with a rival of another vector anywhere within rounding: the
    // library may rank either first (a group of such rivals can straddle rank k).
    let ambiguous = want.iter().take(k).any(|a| {
        want.iter()
            .any(|b| (a.0 - b.0).abs() < ROUNDING && unit[a.1 as usize] != unit[b.1 as usize])
    });
    for (i, hit) in got.iter().enumerate() {
        let model = score(&unit[hit.row as usize]);
        assert!(
            (f64::from(hit.score) - model).abs() < ROUNDING,
            "step {step}: row {} scored {} by the library, {model} by the model",
            hit.row,
            hit.score
        );
        if ambiguous {
            assert!(
                (model - want[i].0).abs() < ROUNDING,
                "step {step}: rank {i} is row {} ({model}), the model's is {:?}",
                hit.row,
                want[i]
            );
        } else {
            assert_eq!(hit.row, want[i].1, "step {step}: rank {i} for k = {k}");
        }
    }
}

fn config() -> Config {
    Config {
        cases: 16,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn operation_sequences_match_the_model((dim, first, ops) in run()) {
        let tmp = tempfile::tempdir().unwrap();
        let lib = tmp.path().join("lib");
        let pool = pool(dim);
        let mut m = Model::default();
        apply(&Op::Append(first), &mut m, &lib, tmp.path(), &pool);
        check(&m, &lib, &pool, 0);
        for (step, op) in ops.iter().enumerate() {
            apply(op, &mut m, &lib, tmp.path(), &pool);
            check(&m, &lib, &pool, step + 1);
        }
    }
}
