//! Searches against real libraries (built from the seeded fixtures or from small CSVs): the
//! graph against exact search and a brute-force reference, filters of every kind returning `k`
//! allowed rows whenever `k` rows match, appended rows searchable at once, tag and word queries,
//! hybrid fusion, more-like/unlike, damaged and mismatched index files, reopening, and the
//! `segue search` command's output.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;

use segue::fixtures::{CatalogSpec, write_catalog_parquet};
use segue::query::QueryError;
use segue::query::search::fusion::reciprocal_rank_fusion;
use segue::query::search::vector::Plan;
use segue::search::{Field, LikeStrategy, SearchHit, SearchRequest, SearchStats, Searcher};
use segue::{EmbeddingKind, IndexError, IngestOptions, Library};

mod appends;
mod cli_output;
mod damage;
mod filters;
mod graph;
mod like;
mod quantised;
mod reopen;
mod rerank;
mod words;

const AUDIO: usize = 32;
const K: usize = 10;

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers.

fn segue_cmd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segue"))
}

/// A library of `tracks` generated tracks with 32-d audio embeddings (and `text_dim`-d text
/// embeddings when non-zero), indexed with the default plan (HNSW graphs and the text index).
fn generated(dir: &Path, tracks: u64, seed: u64, text_dim: usize) -> PathBuf {
    let catalog = dir.join("catalog.parquet");
    let spec = CatalogSpec {
        tracks,
        audio_dim: AUDIO,
        text_dim,
        seed,
        ..CatalogSpec::default()
    };
    write_catalog_parquet(&spec, &catalog, &mut |_| {}).unwrap();
    let lib = dir.join("lib");
    ingest(&lib, &catalog);
    lib
}

fn ingest(lib: &Path, catalog: &Path) {
    let mut o = IngestOptions::new(catalog);
    o.progress = false;
    segue::ingest(lib, &o).unwrap_or_else(|e| panic!("ingesting {}: {e}", catalog.display()));
}

/// Writes `csv` to `dir/name` and ingests it into `lib` (creating or appending).
fn ingest_csv(lib: &Path, dir: &Path, name: &str, csv: &str) {
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    ingest(lib, &path);
}

fn searcher(lib: &Path) -> Searcher {
    segue::search::open_searcher(lib, &segue::EncoderOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// One track as stored, read back from Lance independently of the search code.
#[derive(Debug, Clone, PartialEq)]
struct Track {
    id: String,
    title: Option<String>,
    artist: Option<String>,
    album: Option<String>,
    caption: Option<String>,
    duration_s: Option<f32>,
    bpm: Option<f32>,
    energy: Option<f32>,
    has_vocals: Option<bool>,
    tags: Vec<String>,
}

impl Track {
    fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
    }

    /// The words a field-less text query looks up: tags, caption, title, artist and album split
    /// on anything that is not a letter or digit, lower-cased.
    fn words(&self) -> HashSet<String> {
        let mut text = self.tags.join(" ");
        for s in [&self.caption, &self.title, &self.artist, &self.album]
            .into_iter()
            .flatten()
        {
            text.push(' ');
            text.push_str(s);
        }
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }
}

fn tracks(lib: &Library) -> Vec<Track> {
    let cols = [
        "track_id",
        "title",
        "artist",
        "album",
        "caption",
        "duration_s",
        "bpm",
        "energy",
        "has_vocals",
        "tags",
    ];
    let mut out = Vec::new();
    for b in lib.scan(&cols).unwrap() {
        let text = |name: &str, i: usize| {
            let a = b.column_by_name(name).unwrap().as_string::<i32>();
            a.is_valid(i).then(|| a.value(i).to_string())
        };
        let num = |name: &str, i: usize| {
            let a = b
                .column_by_name(name)
                .unwrap()
                .as_primitive::<Float32Type>();
            a.is_valid(i).then(|| a.value(i)).filter(|x| x.is_finite())
        };
        let vocals = b.column_by_name("has_vocals").unwrap().as_boolean();
        let tags = b.column_by_name("tags").unwrap().as_list::<i32>();
        for i in 0..b.num_rows() {
            out.push(Track {
                id: text("track_id", i).unwrap(),
                title: text("title", i),
                artist: text("artist", i),
                album: text("album", i),
                caption: text("caption", i),
                duration_s: num("duration_s", i),
                bpm: num("bpm", i),
                energy: num("energy", i),
                has_vocals: vocals.is_valid(i).then(|| vocals.value(i)),
                tags: if tags.is_valid(i) {
                    let v = tags.value(i);
                    v.as_string::<i32>()
                        .iter()
                        .flatten()
                        .map(str::to_string)
                        .collect()
                } else {
                    vec![]
                },
            });
        }
    }
    assert_eq!(out.len() as u64, lib.rows());
    out
}

fn run(s: &Searcher, r: &SearchRequest) -> (Vec<SearchHit>, SearchStats) {
    s.search(r).unwrap_or_else(|e| panic!("{r:?}: {e}"))
}

fn hit_rows(hits: &[SearchHit]) -> Vec<u64> {
    hits.iter().map(|h| h.row).collect()
}

fn hit_ids(hits: &[SearchHit]) -> Vec<&str> {
    hits.iter().map(|h| h.track_id.as_str()).collect()
}

fn audio_query(v: Vec<f32>) -> SearchRequest {
    SearchRequest::vector(EmbeddingKind::Audio, v).unwrap()
}

/// The normalised audio vector of `row` (what the searcher scores with).
fn audio_row(lib: &Library, row: u64) -> Vec<f32> {
    lib.vectors(EmbeddingKind::Audio)
        .unwrap()
        .row(row as usize)
        .to_vec()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum::<f64>() as f32
}

fn normalised(v: &[f32]) -> Vec<f32> {
    let n = dot(v, v).sqrt();
    v.iter().map(|x| x / n).collect()
}

/// The scalar reference: every allowed row scored by a plain dot product, best first (ties by
/// lower row), at most `k`.
fn brute_force(
    lib: &Library,
    query: &[f32],
    allowed: impl Fn(u64) -> bool,
    k: usize,
) -> Vec<(u64, f32)> {
    let vectors = lib.vectors(EmbeddingKind::Audio).unwrap();
    let q = normalised(query);
    let mut scored: Vec<(u64, f32)> = (0..vectors.rows())
        .filter(|r| allowed(*r))
        .map(|r| (r, dot(&q, vectors.row(r as usize))))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(k);
    scored
}

/// `got` is the ranking `want`: the same scores in order, and the same rows except where two
/// scores tie to within rounding (the SIMD kernel and the f64 reference may order those apart).
fn assert_same_ranking(got: &[SearchHit], want: &[(u64, f32)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g.score - w.1).abs() < 1e-5,
            "{what}: hit {i} scores {} (row {}), the reference {} (row {})",
            g.score,
            g.row,
            w.1,
            w.0
        );
    }
    let got_rows: BTreeSet<u64> = got.iter().map(|h| h.row).collect();
    let want_rows: BTreeSet<u64> = want.iter().map(|w| w.0).collect();
    if got_rows != want_rows {
        let last = want.last().map_or(0.0, |w| w.1);
        for r in got_rows.symmetric_difference(&want_rows) {
            let s = got
                .iter()
                .find(|h| h.row == *r)
                .map(|h| h.score)
                .or_else(|| want.iter().find(|w| w.0 == *r).map(|w| w.1))
                .unwrap();
            assert!(
                (s - last).abs() < 1e-5,
                "{what}: row {r} (score {s}) differs from the reference beyond a tie at {last}"
            );
        }
    }
}

fn assert_best_first(hits: &[SearchHit], what: &str) {
    for w in hits.windows(2) {
        assert!(w[0].score >= w[1].score, "{what}: not best first: {hits:?}");
    }
}

/// How many of `want`'s rows `got` has.
fn overlap(got: &[SearchHit], want: &[(u64, f32)]) -> usize {
    let want: HashSet<u64> = want.iter().map(|w| w.0).collect();
    got.iter().filter(|h| want.contains(&h.row)).count()
}

/// A small deterministic generator (SplitMix64) for query vectors and sampled rows.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f32 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }

    /// `v` plus Gaussian noise of standard deviation `sd` per component.
    fn near(&mut self, v: &[f32], sd: f32) -> Vec<f32> {
        v.iter().map(|x| x + sd * self.normal()).collect()
    }

    /// A random row's vector plus noise.
    fn near_random_row(&mut self, lib: &Library, sd: f32) -> Vec<f32> {
        let row = self.below(lib.rows());
        self.near(&audio_row(lib, row), sd)
    }

    fn unit(&mut self, dim: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dim).map(|_| self.normal()).collect();
        normalised(&v)
    }
}

fn out_text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn cli_search(lib: &Path, args: &[&str]) -> Output {
    segue_cmd()
        .args(["search", "--library"])
        .arg(lib)
        .args(args)
        .output()
        .unwrap()
}

/// `segue search --json ...`, which must succeed: the parsed output.
fn cli_json(lib: &Path, args: &[&str]) -> serde_json::Value {
    let out = cli_search(lib, &[&["--json"], args].concat());
    let (stdout, stderr) = out_text(&out);
    assert!(out.status.success(), "segue search {args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn json_ids(v: &serde_json::Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["track_id"].as_str().unwrap().to_string())
        .collect()
}

fn json_scores(v: &serde_json::Value) -> Vec<f32> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["score"].as_f64().unwrap() as f32)
        .collect()
}

fn write_vector(path: &Path, v: &[f32]) {
    std::fs::write(path, serde_json::to_string(v).unwrap()).unwrap();
}

fn semicolons(v: &[f32]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(";")
}

/// A library where the liked track `liked` has an unliked neighbour `unliked` with three
/// near-duplicates, and three "good" tracks as similar to `liked` on the other side.
fn like_library(dir: &Path) -> PathBuf {
    let rows: &[(&str, [f32; 4])] = &[
        ("liked", [1.0, 0.0, 0.0, 0.0]),
        ("unliked", [0.82, 0.57, 0.0, 0.0]),
        ("dup-1", [0.82, 0.57, 0.02, 0.0]),
        ("dup-2", [0.82, 0.57, 0.0, 0.02]),
        ("dup-3", [0.83, 0.56, 0.01, 0.01]),
        ("good-1", [0.8, -0.6, 0.0, 0.0]),
        ("good-2", [0.8, -0.6, 0.02, 0.0]),
        ("good-3", [0.8, 0.0, -0.6, 0.0]),
        ("fill-1", [0.6, 0.0, 0.8, 0.0]),
        ("fill-2", [0.3, 0.0, 0.0, 0.95]),
        ("fill-3", [0.0, 0.0, 1.0, 0.0]),
        ("fill-4", [0.0, 0.0, 0.0, 1.0]),
        ("fill-5", [-1.0, 0.0, 0.0, 0.0]),
        ("fill-6", [0.1, 0.9, 0.4, 0.0]),
    ];
    let mut csv = String::from(
        "track_id,title,artist,album,duration_s,bpm,energy,has_vocals,tags,audio_emb\n",
    );
    for (i, (id, v)) in rows.iter().enumerate() {
        csv.push_str(&format!(
            "{id},Title {i},Artist {},Album {},{},{},{},{},mood:test;kind:{},{}\n",
            i % 3,
            i % 2,
            60 + i,
            80 + i,
            0.05 * i as f32,
            i % 2 == 0,
            id.split('-').next().unwrap(),
            semicolons(v)
        ));
    }
    let lib = dir.join("like-lib");
    ingest_csv(&lib, dir, "like.csv", &csv);
    lib
}
