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
    segue::search::open_searcher(lib).unwrap_or_else(|e| panic!("{e}"))
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

// ---------------------------------------------------------------------------------------------
// 1. The graph against exact search.

#[test]
fn graph_search_recalls_the_exact_top_k_and_exact_search_is_the_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 3000, 21, 0);
    let s = searcher(&lib_dir);
    let lib = s.library();
    assert_eq!(lib.manifest().ann["audio_emb"].rows, 3000);
    // The ef measured at build time is the default, and it is what the graph needs.
    let tuned = s.default_ef(EmbeddingKind::Audio);
    assert_eq!(
        lib.manifest().ann["audio_emb"].search_ef,
        Some(tuned as u32)
    );
    let mut rng = Rng(7);
    let queries = 50;
    let (mut found, mut found_wide) = (0, 0);
    for i in 0..queries {
        // Half the queries near a track, half far from any (between the clusters).
        let q = rng.near_random_row(lib, if i % 2 == 0 { 0.05 } else { 0.3 });
        let req = audio_query(q.clone()).fields(&[]);
        let (graph, gs) = run(&s, &req);
        let (exact, es) = run(&s, &req.clone().exact(true));
        let (wide, ws) = run(&s, &req.clone().ef(256).unwrap());
        assert_eq!(gs.plan, Some(Plan::Graph { ef: tuned }), "query {i}");
        assert_eq!(ws.plan, Some(Plan::Graph { ef: 256 }), "query {i}");
        assert_eq!(es.plan, Some(Plan::Exact), "query {i}");
        assert_eq!(gs.allowed_rows, None);
        assert_eq!((graph.len(), exact.len(), wide.len()), (K, K, K));
        assert_best_first(&graph, "graph");
        // Exact search is the scalar reference's ranking.
        let reference = brute_force(lib, &q, |_| true, K);
        assert_same_ranking(&exact, &reference, &format!("exact query {i}"));
        // The graph's scores are true similarities, never better than the exact k-th.
        for (h, e) in graph.iter().zip(&exact) {
            assert!(
                h.score <= e.score + 1e-5,
                "query {i}: {graph:?} vs {exact:?}"
            );
            let true_score = dot(&normalised(&q), &audio_row(lib, h.row));
            assert!((h.score - true_score).abs() < 1e-5);
        }
        found += overlap(&graph, &reference);
        found_wide += overlap(&wide, &reference);
    }
    let recall = found as f64 / (queries * K) as f64;
    let recall_wide = found_wide as f64 / (queries * K) as f64;
    eprintln!(
        "recall@10 over {queries} queries: tuned ef {tuned} {recall:.3}, ef 256 {recall_wide:.3}"
    );
    assert!(recall >= 0.95, "recall@10 at the default ef: {recall}");
    assert!(recall_wide >= 0.95, "recall@10 at ef 256: {recall_wide}");
}

// ---------------------------------------------------------------------------------------------
// 2. Filters.

type Pred = Box<dyn Fn(&Track) -> bool>;

#[test]
fn filtered_searches_return_only_matching_rows_and_k_of_them_whenever_k_match() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 3000, 23, 0);
    let s = searcher(&lib_dir);
    let lib = s.library();
    let all = tracks(lib);
    let n = all.len();
    let mut rng = Rng(11);
    let queries: Vec<Vec<f32>> = (0..3).map(|_| rng.near_random_row(lib, 0.05)).collect();

    // Values some track really has, for the equality operators.
    let t0 = &all[17];
    let energy0 = t0.energy.unwrap();
    let bpm0 = t0.bpm.unwrap();
    let artist = {
        let mut counts = std::collections::BTreeMap::<&str, usize>::new();
        for t in &all {
            *counts.entry(t.artist.as_deref().unwrap()).or_default() += 1;
        }
        counts
            .into_iter()
            .max_by_key(|c| (c.1, c.0))
            .unwrap()
            .0
            .to_string()
    };
    let title0 = all[40].title.clone().unwrap();
    let album0 = all[41].album.clone().unwrap();
    let id0 = all[42].id.clone();

    let a = artist.clone();
    let a2 = artist.clone();
    let (ti, al, id) = (title0.clone(), album0.clone(), id0.clone());
    let cases: Vec<(String, Pred)> = vec![
        (
            "bpm >= 100".into(),
            Box::new(|t: &Track| t.bpm >= Some(100.0)),
        ),
        (
            "bpm > 100 AND bpm < 120".into(),
            Box::new(|t: &Track| t.bpm.is_some_and(|b| b > 100.0 && b < 120.0)),
        ),
        (
            "energy <= 0.3".into(),
            Box::new(|t: &Track| t.energy.is_some_and(|e| e <= 0.3)),
        ),
        (
            format!("energy = {energy0}"),
            Box::new(move |t: &Track| t.energy == Some(energy0)),
        ),
        (
            format!("bpm != {bpm0}"),
            Box::new(move |t: &Track| t.bpm.is_some_and(|b| b != bpm0)),
        ),
        (
            "duration_s BETWEEN 60 AND 120".into(),
            Box::new(|t: &Track| t.duration_s.is_some_and(|d| (60.0..=120.0).contains(&d))),
        ),
        (
            "duration_s = 30".into(),
            Box::new(|t: &Track| t.duration_s == Some(30.0)),
        ),
        (
            "has_vocals = true".into(),
            Box::new(|t: &Track| t.has_vocals == Some(true)),
        ),
        (
            "has_vocals = false".into(),
            Box::new(|t: &Track| t.has_vocals == Some(false)),
        ),
        (
            "has_vocals != true".into(),
            Box::new(|t: &Track| t.has_vocals == Some(false)),
        ),
        // NOT is the complement: tracks of unknown vocals come back.
        (
            "NOT has_vocals = true".into(),
            Box::new(|t: &Track| t.has_vocals != Some(true)),
        ),
        (
            "tag:mood:calm".into(),
            Box::new(|t: &Track| t.has_tag("mood:calm")),
        ),
        (
            "tag:\"genre:ambient\" OR tag:\"genre:jazz\"".into(),
            Box::new(|t: &Track| t.has_tag("genre:ambient") || t.has_tag("genre:jazz")),
        ),
        (
            "NOT tag:mood:calm AND (bpm < 80 OR energy > 0.9)".into(),
            Box::new(|t: &Track| {
                !t.has_tag("mood:calm")
                    && (t.bpm.is_some_and(|b| b < 80.0) || t.energy.is_some_and(|e| e > 0.9))
            }),
        ),
        // Text equality ignores case; keywords and field names are case-insensitive.
        (
            format!("ARTIST:\"{}\"", artist.to_uppercase()),
            Box::new(move |t: &Track| t.artist.as_deref() == Some(a.as_str())),
        ),
        (
            format!("not artist:\"{artist}\""),
            Box::new(move |t: &Track| t.artist.as_deref() != Some(a2.as_str())),
        ),
        (
            format!("title = \"{title0}\""),
            Box::new(move |t: &Track| {
                t.title.as_deref().map(str::to_lowercase) == Some(ti.to_lowercase())
            }),
        ),
        (
            format!("album != \"{album0}\""),
            Box::new(move |t: &Track| {
                t.album
                    .as_deref()
                    .is_some_and(|x| !x.eq_ignore_ascii_case(&al))
            }),
        ),
        (
            format!("track_id:{id0}"),
            Box::new(move |t: &Track| t.id.eq_ignore_ascii_case(&id)),
        ),
        (
            "Tag:MOOD:CALM and BPM >= 70".into(),
            Box::new(|t: &Track| t.has_tag("mood:calm") && t.bpm >= Some(70.0)),
        ),
    ];
    let mut graph_planned = 0;
    for (expr, pred) in &cases {
        let expected: BTreeSet<u64> = (0..n as u64).filter(|&r| pred(&all[r as usize])).collect();
        assert!(
            !expected.is_empty(),
            "{expr} matches nothing: a useless case"
        );
        for q in &queries {
            let req = audio_query(q.clone()).filter(expr).unwrap();
            let (hits, stats) = run(&s, &req);
            assert_eq!(stats.allowed_rows, Some(expected.len() as u64), "{expr}");
            assert_eq!(hits.len(), K.min(expected.len()), "{expr}: {hits:?}");
            for h in &hits {
                assert!(
                    expected.contains(&h.row),
                    "{expr}: row {} does not match",
                    h.row
                );
                let t = &all[h.row as usize];
                assert_eq!(h.track_id, t.id);
                assert_eq!(h.fields.bpm, t.bpm);
                assert_eq!(h.fields.has_vocals, t.has_vocals);
                assert_eq!(h.fields.tags.as_deref(), Some(&t.tags[..]));
            }
            if matches!(stats.plan, Some(Plan::Graph { .. })) {
                graph_planned += 1;
            } else {
                let want = brute_force(lib, q, |r| expected.contains(&r), K);
                assert_same_ranking(&hits, &want, expr);
            }
        }
    }
    assert!(graph_planned > 0, "no case took the graph");

    // Exactly k rows match: exactly those come back. Fewer than k: all of them, no others.
    let mut by_bpm: Vec<(f32, u64)> = all
        .iter()
        .enumerate()
        .map(|(r, t)| (t.bpm.unwrap(), r as u64))
        .collect();
    by_bpm.sort_by(|a, b| b.0.total_cmp(&a.0));
    for m in [K, 7, 1] {
        assert!(by_bpm[m].0 < by_bpm[m - 1].0, "bpm ties at the cut");
        let expr = format!("bpm >= {}", by_bpm[m - 1].0);
        let want: BTreeSet<u64> = by_bpm[..m].iter().map(|x| x.1).collect();
        for q in &queries {
            for exact in [false, true] {
                let req = audio_query(q.clone()).filter(&expr).unwrap().exact(exact);
                let (hits, stats) = run(&s, &req);
                assert_eq!(stats.allowed_rows, Some(m as u64));
                let got: BTreeSet<u64> = hit_rows(&hits).into_iter().collect();
                assert_eq!(got, want, "{expr}");
                assert_best_first(&hits, &expr);
            }
        }
    }
    let ids: Vec<String> = (0..K).map(|i| all[i * 97].id.clone()).collect();
    let expr = ids
        .iter()
        .map(|id| format!("track_id = \"{id}\""))
        .collect::<Vec<_>>()
        .join(" OR ");
    let (hits, _) = run(&s, &audio_query(queries[0].clone()).filter(&expr).unwrap());
    let mut got: Vec<&str> = hit_ids(&hits);
    got.sort_unstable();
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(got, want);
    // No row matches: no hits, not an error.
    let (hits, stats) = run(
        &s,
        &audio_query(queries[0].clone())
            .filter("bpm > 1000")
            .unwrap(),
    );
    assert!(hits.is_empty());
    assert_eq!(stats.allowed_rows, Some(0));

    // A broad filter (about half the rows) walks the graph; a selective one (1–2%) scans.
    let broad = "energy >= 0.5";
    let broad_rows = all.iter().filter(|t| t.energy >= Some(0.5)).count();
    let selective = "tag:mood:calm AND bpm BETWEEN 70 AND 75";
    let selective_pred =
        |t: &Track| t.has_tag("mood:calm") && t.bpm.is_some_and(|b| (70.0..=75.0).contains(&b));
    let selective_rows = all.iter().filter(|t| selective_pred(t)).count();
    eprintln!("broad filter: {broad_rows} of {n} rows; selective: {selective_rows} rows");
    assert!(
        (0.35..0.65).contains(&(broad_rows as f64 / n as f64)),
        "{broad_rows}"
    );
    assert!(
        (0.005..0.025).contains(&(selective_rows as f64 / n as f64)) && selective_rows >= K,
        "{selective_rows}"
    );
    let (mut found, mut total) = (0, 0);
    for i in 0..20 {
        let q = rng.near_random_row(lib, 0.05);
        let (hits, stats) = run(&s, &audio_query(q.clone()).filter(broad).unwrap());
        assert_eq!(
            stats.plan,
            Some(Plan::Graph {
                ef: s.default_ef(EmbeddingKind::Audio)
            }),
            "broad query {i}"
        );
        assert_eq!(hits.len(), K);
        assert!(hits.iter().all(|h| all[h.row as usize].energy >= Some(0.5)));
        let want = brute_force(lib, &q, |r| all[r as usize].energy >= Some(0.5), K);
        found += overlap(&hits, &want);
        total += K;

        let (hits, stats) = run(&s, &audio_query(q.clone()).filter(selective).unwrap());
        assert_eq!(stats.plan, Some(Plan::Exact), "selective query {i}");
        let want = brute_force(lib, &q, |r| selective_pred(&all[r as usize]), K);
        assert_same_ranking(&hits, &want, selective);
    }
    let broad_recall = found as f64 / total as f64;
    eprintln!("recall@10 with the broad filter: {broad_recall:.3}");
    assert!(broad_recall >= 0.9, "{broad_recall}");

    // A narrow ef puts a ~25% filter on the graph too; a filter that excludes the query's own
    // neighbourhood makes the walk go far for its k rows. Either way: k allowed rows.
    let mid = "bpm >= 110";
    let mid_rows = all.iter().filter(|t| t.bpm >= Some(110.0)).count();
    assert!(
        (0.15..0.45).contains(&(mid_rows as f64 / n as f64)),
        "{mid_rows}"
    );
    let calm: Vec<u64> = (0..n as u64)
        .filter(|&r| all[r as usize].has_tag("mood:calm"))
        .collect();
    let (mut mid_found, mut walked) = (0, 0);
    for i in 0..10 {
        let q = rng.near_random_row(lib, 0.05);
        let (hits, stats) = run(
            &s,
            &audio_query(q.clone()).filter(mid).unwrap().ef(16).unwrap(),
        );
        // The walk may give up on its budget (BPM follows the clusters, so this filter is
        // correlated with the vectors) and scan instead; most of these queries walk.
        match stats.plan {
            Some(Plan::Graph { .. }) => walked += 1,
            Some(Plan::GraphThenExact) => {}
            other => panic!("mid query {i}: {other:?}"),
        }
        assert_eq!(hits.len(), K);
        assert!(hits.iter().all(|h| all[h.row as usize].bpm >= Some(110.0)));
        let want = brute_force(lib, &q, |r| all[r as usize].bpm >= Some(110.0), K);
        mid_found += overlap(&hits, &want);

        let q = rng.near(&audio_row(lib, calm[i * 7 % calm.len()]), 0.02);
        let (hits, stats) = run(
            &s,
            &audio_query(q)
                .filter("NOT tag:\"mood:calm\"")
                .unwrap()
                .ef(10)
                .unwrap(),
        );
        assert!(stats.plan.is_some());
        assert_eq!(hits.len(), K);
        assert!(
            hits.iter()
                .all(|h| !all[h.row as usize].has_tag("mood:calm"))
        );
    }

    assert!(
        walked >= 7,
        "only {walked} of 10 mid queries walked the graph"
    );
    let mid_recall = mid_found as f64 / (10 * K) as f64;
    eprintln!("recall@10 with a {mid_rows}-row filter at ef 16: {mid_recall:.3}");
    assert!(mid_recall >= 0.8, "{mid_recall}");

    // Bad filters are clear errors that say where.
    for (expr, needle) in [
        ("bpm >= 90 AND colour = red", "column 15"),
        ("bpm >>= 3", "column"),
        ("(bpm > 3", "column"),
        ("bpm BETWEEN 5", "column"),
        ("has_vocals = maybe", "column 14"),
    ] {
        let e = audio_query(queries[0].clone()).filter(expr).unwrap_err();
        let QueryError::BadFilter(f) = &e else {
            panic!("{expr}: {e:?}");
        };
        // The position reaches the API as data, not only inside the message.
        assert_eq!(f.column, expr[..f.position].chars().count() + 1, "{f:?}");
        assert!(needle == "column" || needle == format!("column {}", f.column));
        let msg = e.to_string();
        assert!(
            msg.starts_with("bad filter: filter error at ") && msg.contains(needle),
            "{expr}: {msg}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Appends.

#[test]
fn appended_tracks_are_searchable_at_once_beside_the_carried_over_graph() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 1000, 31, 0);
    let old = Library::open(&lib_dir).unwrap();
    let mut rng = Rng(3);
    // 95 new tracks (8.7% of the rows, so the graph is carried over): the first 20
    // near-duplicates of old rows, the rest random directions.
    let mut csv = String::from("track_id,title,artist,duration_s,bpm,tags,audio_emb\n");
    let mut new_vectors = Vec::new();
    for i in 0..95u64 {
        let v = if i < 20 {
            normalised(&rng.near(&audio_row(&old, i * 50), 0.01))
        } else {
            rng.unit(AUDIO)
        };
        csv.push_str(&format!(
            "new-{i:03},Zebrafish Nocturne {i},Appendix Band,{},100,mood:calm;extra:appended,{}\n",
            90 + i,
            semicolons(&v)
        ));
        new_vectors.push(v);
    }
    drop(old);
    ingest_csv(&lib_dir, tmp.path(), "more.csv", &csv);

    let s = searcher(&lib_dir);
    let lib = s.library();
    let m = lib.manifest();
    assert_eq!((m.library_version, lib.rows()), (2, 1095));
    let ann = &m.ann["audio_emb"];
    assert_eq!((ann.rows, ann.built_in_version), (1000, 1), "{ann:?}");
    assert_eq!(lib.ann(EmbeddingKind::Audio).unwrap().rows(), 1000);
    assert_eq!(m.text_index.as_ref().unwrap().docs, 1095);

    let row_of = |id: &str| 1000 + id[4..].parse::<u64>().unwrap();
    for (i, v) in new_vectors.iter().enumerate() {
        let id = format!("new-{i:03}");
        // Its own embedding finds it first, through the graph plan (tail scanned and merged).
        // (ef 64: at the default ef, a library this small is scanned exactly.)
        let (hits, stats) = run(&s, &audio_query(v.clone()).ef(64).unwrap());
        assert_eq!(stats.plan, Some(Plan::Graph { ef: 64 }));
        assert_eq!(hits.len(), K);
        assert_eq!(hits[0].track_id, id, "{:?}", hit_ids(&hits));
        assert_eq!(hits[0].row, row_of(&id));
        assert!((hits[0].score - 1.0).abs() < 1e-5);
        assert_eq!(
            hits[0].fields.title.as_deref(),
            Some(&*format!("Zebrafish Nocturne {i}"))
        );
        let (exact, _) = run(&s, &audio_query(v.clone()).exact(true));
        assert_eq!(hits[0].row, exact[0].row);
        if i < 20 {
            // The old track it duplicates comes from the graph, the new one from the tail.
            let old_row = i as u64 * 50;
            let (hits, _) = run(&s, &audio_query(audio_row(lib, old_row)));
            let top2: BTreeSet<u64> = hit_rows(&hits[..2]).into_iter().collect();
            assert_eq!(top2, BTreeSet::from([old_row, row_of(&id)]), "{hits:?}");
            assert_same_ranking(
                &hits[..2],
                &brute_force(lib, &audio_row(lib, old_row), |_| true, 2),
                "old and new",
            );
        }
        // A filter allowing only new rows, and one allowing some of each.
        let (hits, _) = run(
            &s,
            &audio_query(v.clone())
                .filter("artist:\"appendix band\"")
                .unwrap(),
        );
        assert_eq!(hits.len(), K);
        assert_eq!(hits[0].track_id, id);
        assert!(hits.iter().all(|h| h.row >= 1000));
        let (hits, stats) = run(
            &s,
            &audio_query(v.clone())
                .filter("bpm >= 100 OR energy >= 0.3")
                .unwrap(),
        );
        assert!(matches!(stats.plan, Some(Plan::Graph { .. })), "{stats:?}");
        assert_eq!(hits[0].track_id, id);
        // A filter allowing only new rows scans them: none of the graph's rows pass, so walking
        // the graph could find nothing.
        let (hits, stats) = run(
            &s,
            &audio_query(v.clone())
                .filter("tag:extra:appended")
                .unwrap()
                .ef(1)
                .unwrap(),
        );
        assert_eq!(stats.plan, Some(Plan::Exact), "{stats:?}");
        assert_eq!(hits[0].track_id, id);
        let tail_only = brute_force(lib, v, |r| r >= 1000, K);
        assert_same_ranking(&hits, &tail_only, "tail only");
    }
    // Nulls: the new rows have no energy, so no comparison holds for them, but NOT keeps them.
    let q = new_vectors[30].clone();
    let (hits, _) = run(&s, &audio_query(q.clone()).filter("energy < 0.3").unwrap());
    assert!(hits.iter().all(|h| h.row < 1000));
    let (hits, _) = run(&s, &audio_query(q).filter("NOT energy >= 0.3").unwrap());
    assert_eq!(hits[0].track_id, "new-030");
    // The text index covers the new rows too.
    let (hits, _) = run(
        &s,
        &SearchRequest::words("zebrafish").unwrap().k(100).unwrap(),
    );
    assert_eq!(hits.len(), 95);
    assert!(hits.iter().all(|h| h.track_id.starts_with("new-")));
    let (hits, _) = run(
        &s,
        &SearchRequest::words("tag:\"extra:appended\"")
            .unwrap()
            .filter("duration_s < 100")
            .unwrap(),
    );
    assert_eq!(hits.len(), K);
    assert!(hits.iter().all(|h| h.fields.duration_s < Some(100.0)));
    drop(s);

    // Past 10% of rows outside the graph, the next version rebuilds it over every row.
    let mut csv = String::from("track_id,duration_s,audio_emb\n");
    for i in 0..80 {
        csv.push_str(&format!(
            "late-{i:03},120,{}\n",
            semicolons(&rng.unit(AUDIO))
        ));
    }
    ingest_csv(&lib_dir, tmp.path(), "late.csv", &csv);
    let s = searcher(&lib_dir);
    let ann = &s.library().manifest().ann["audio_emb"];
    assert_eq!((ann.rows, ann.built_in_version), (1175, 3), "{ann:?}");
    let (hits, _) = run(&s, &audio_query(new_vectors[25].clone()));
    assert_eq!(hits[0].track_id, "new-025");
}

// ---------------------------------------------------------------------------------------------
// 4. Tags, words and hybrid search.

#[test]
fn tag_and_word_queries_find_exactly_the_matching_rows_within_the_filter() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 1500, 41, 0);
    let s = searcher(&lib_dir);
    let all = tracks(s.library());
    let n = all.len() as u64;
    let with_caption =
        |r: SearchRequest| r.fields(&[Field::Title, Field::Tags, Field::Bpm, Field::Caption]);
    // Asked deep enough, a query returns exactly the rows that match it.
    let set = |q: &str, filter: &str| -> (Vec<SearchHit>, BTreeSet<u64>) {
        let req = with_caption(SearchRequest::words(q).unwrap())
            .filter(filter)
            .unwrap()
            .k(2000)
            .unwrap();
        let (hits, stats) = run(&s, &req);
        assert_eq!(stats.plan, None);
        assert_best_first(&hits, q);
        let rows = hit_rows(&hits).into_iter().collect();
        (hits, rows)
    };
    let expect = |pred: &dyn Fn(&Track) -> bool| -> BTreeSet<u64> {
        (0..n).filter(|&r| pred(&all[r as usize])).collect()
    };

    let calm = expect(&|t| t.has_tag("mood:calm"));
    assert!(calm.len() > K, "{}", calm.len());
    assert_eq!(set("tag:\"mood:calm\"", "").1, calm);
    assert_eq!(
        set("tag:\"MOOD:Calm\"", "").1,
        calm,
        "whole tags ignore case"
    );
    // Tags are also indexed word by word: the phrase "mood calm" in `tags` is the same rows.
    assert_eq!(set("tags:\"mood calm\"", "").1, calm);

    let both = expect(&|t| {
        let w = t.words();
        w.contains("calm") && w.contains("piano") && t.bpm >= Some(70.0)
    });
    assert!(both.len() > K, "{}", both.len());
    let (hits, rows) = set("calm AND piano", "bpm >= 70");
    assert_eq!(rows, both);
    for h in &hits {
        assert!(h.fields.bpm >= Some(70.0));
        assert!(h.fields.caption.is_some());
    }
    // The first k are the top of the deep list (BM25 ranking, ties by row).
    let (top, _) = run(
        &s,
        &SearchRequest::words("calm AND piano")
            .unwrap()
            .filter("bpm >= 70")
            .unwrap(),
    );
    assert_eq!(hit_rows(&top), hit_rows(&hits[..K]));

    let either = expect(&|t| {
        let w = t.words();
        w.contains("calm") || w.contains("piano")
    });
    let (hits, rows) = set("calm piano", "");
    assert_eq!(rows, either);
    let w0 = all[hits[0].row as usize].words();
    assert!(
        w0.contains("calm") && w0.contains("piano"),
        "rows with both words come first"
    );

    let without = expect(&|t| {
        let w = t.words();
        w.contains("piano") && !w.contains("vocals")
    });
    assert_eq!(set("piano -vocals", "").1, without);
    assert_eq!(set("piano AND NOT vocals", "").1, without);

    // k results whenever k rows match the filter: a filter leaving exactly k (and fewer) calm rows.
    let mut calm_bpm: Vec<(f32, u64)> = calm
        .iter()
        .map(|&r| (all[r as usize].bpm.unwrap(), r))
        .collect();
    calm_bpm.sort_by(|a, b| b.0.total_cmp(&a.0));
    for m in [K, 3] {
        assert!(calm_bpm[m].0 < calm_bpm[m - 1].0);
        let filter = format!("bpm >= {}", calm_bpm[m - 1].0);
        let (hits, _) = run(
            &s,
            &SearchRequest::words("tag:\"mood:calm\"")
                .unwrap()
                .filter(&filter)
                .unwrap(),
        );
        let got: BTreeSet<u64> = hit_rows(&hits).into_iter().collect();
        assert_eq!(
            got,
            calm_bpm[..m].iter().map(|x| x.1).collect::<BTreeSet<_>>()
        );
    }

    // Bad word queries are clear errors naming the query.
    for (q, needle) in [("calm AND (piano", "syntax error"), ("-vocals", "")] {
        let e = s.search(&SearchRequest::words(q).unwrap()).unwrap_err();
        assert!(
            matches!(e, QueryError::Index(IndexError::TextQuery { .. })),
            "{q}: {e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("{q:?}")) && msg.contains(needle),
            "{q}: {msg}"
        );
    }
}

#[test]
fn hybrid_search_is_rrf_of_both_lists_with_the_filter_applied_to_both() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 1500, 43, 0);
    let s = searcher(&lib_dir);
    let lib = s.library();
    let all = tracks(lib);
    let calm = (0..all.len())
        .find(|&r| all[r].has_tag("mood:calm"))
        .unwrap() as u64;
    let q = audio_row(lib, calm);
    let words = "piano";
    let filter = "bpm >= 65 AND NOT tag:\"genre:jazz\"";
    let ok = |r: u64| {
        let t = &all[r as usize];
        t.bpm >= Some(65.0) && !t.has_tag("genre:jazz")
    };
    // The two lists the hybrid search fuses: each side alone, as deep as the fusion reads them
    // (4k, at least 100).
    let depth = |k: usize| (4 * k).max(100);
    let vector_side = |filter: &str, depth: usize| {
        let r = audio_query(q.clone())
            .exact(true)
            .k(depth)
            .unwrap()
            .filter(filter)
            .unwrap();
        hit_rows(&run(&s, &r).0)
    };
    let word_side = |filter: &str, depth: usize| {
        let r = SearchRequest::words(words)
            .unwrap()
            .k(depth)
            .unwrap()
            .filter(filter)
            .unwrap();
        hit_rows(&run(&s, &r).0)
    };
    let (v, w) = (vector_side(filter, 100), word_side(filter, 100));
    assert!(v.iter().chain(&w).all(|&r| ok(r)));
    // Without the filter the lists hold rows the filter removes: it really applies to both.
    assert!(vector_side("", 100).iter().any(|&r| !ok(r)));
    assert!(word_side("", 100).iter().any(|&r| !ok(r)));
    let in_both: Vec<u64> = v.iter().copied().filter(|r| w.contains(r)).collect();
    assert!(!in_both.is_empty());

    let hybrid = |rrf_k: f32, k: usize| {
        let r = audio_query(q.clone())
            .exact(true)
            .with_words(words)
            .unwrap()
            .filter(filter)
            .unwrap()
            .rrf_k(rrf_k)
            .unwrap()
            .k(k)
            .unwrap();
        assert!(r.is_hybrid());
        let (hits, stats) = run(&s, &r);
        assert_eq!(stats.plan, Some(Plan::Exact));
        hits
    };
    let mut orders = Vec::new();
    for rrf_k in [60.0, 0.0, 5.0] {
        for k in [K, 30] {
            let hits = hybrid(rrf_k, k);
            let (v, w) = (vector_side(filter, depth(k)), word_side(filter, depth(k)));
            let fused = reciprocal_rank_fusion(&[&v, &w], rrf_k, k);
            assert_eq!(hits.len(), k);
            assert_eq!(
                hit_rows(&hits),
                fused.iter().map(|f| f.0).collect::<Vec<_>>(),
                "rrf_k {rrf_k}"
            );
            for (h, f) in hits.iter().zip(&fused) {
                assert!((h.score - f.1).abs() < 1e-6);
                assert!(ok(h.row));
            }
            if k == K {
                orders.push(hit_rows(&hits));
            }
        }
    }
    // The default constant (60) rewards agreement: the first hit is a row of both lists (so
    // the vector side's best comes first only if the words vote for it too). With rrf_k = 0 a
    // first place in one list (score 1) beats anything ranked lower in both.
    let at60 = hybrid(60.0, K);
    assert!(in_both.contains(&at60[0].row), "{at60:?}");
    if !w.contains(&v[0]) {
        assert_ne!(at60[0].row, v[0]);
    }
    let at0 = hybrid(0.0, K);
    assert!(at0[0].score >= 1.0 - 1e-6, "{at0:?}");
    assert_ne!(orders[0], orders[1], "rrf_k changes the order");
    // Through the default (graph-planned) vector side too: k hits, every one allowed.
    let r = audio_query(q.clone())
        .with_words(words)
        .unwrap()
        .filter(filter)
        .unwrap();
    let (hits, stats) = run(&s, &r);
    assert!(matches!(
        stats.plan,
        Some(Plan::Graph { .. }) | Some(Plan::Exact)
    ));
    assert_eq!(hits.len(), K);
    assert!(hits.iter().all(|h| ok(h.row)));
}

// ---------------------------------------------------------------------------------------------
// 5. More like these, unlike those.

#[test]
fn like_and_unlike_rank_by_both_strategies_and_never_return_the_examples() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 1500, 47, 0);
    let s = searcher(&lib_dir);
    let lib = s.library();
    let all = tracks(lib);
    let (p1, p2, neg) = (5u64, 900u64, 333u64);
    let ids = |rows: &[u64]| -> Vec<String> {
        rows.iter().map(|&r| all[r as usize].id.clone()).collect()
    };
    let (pos_ids, neg_ids) = (ids(&[p1, p2]), ids(&[neg]));
    let pos: Vec<&str> = pos_ids.iter().map(String::as_str).collect();
    let negs: Vec<&str> = neg_ids.iter().map(String::as_str).collect();
    let examples = [p1, p2, neg];
    let like = |negatives: &[&str], strategy: LikeStrategy, exact: bool| {
        let r = SearchRequest::like(EmbeddingKind::Audio, &pos, negatives, strategy)
            .unwrap()
            .exact(exact);
        let (hits, _) = run(&s, &r);
        assert_eq!(hits.len(), K);
        assert_best_first(&hits, "like");
        assert!(hits.iter().all(|h| !examples.contains(&h.row)), "{hits:?}");
        hits
    };
    let not_examples = |r: u64| !examples[..2].contains(&r);
    // Average vector: the normalised mean of the positives (minus half the negatives' mean).
    let mean = |rows: &[u64]| -> Vec<f32> {
        let mut m = vec![0f32; AUDIO];
        for &r in rows {
            for (a, b) in m.iter_mut().zip(audio_row(lib, r)) {
                *a += b / rows.len() as f32;
            }
        }
        m
    };
    let avg = mean(&[p1, p2]);
    let exact = like(&[], LikeStrategy::AverageVector, true);
    assert_same_ranking(&exact, &brute_force(lib, &avg, not_examples, K), "average");
    let graph = like(&[], LikeStrategy::AverageVector, false);
    assert!(overlap(&graph, &brute_force(lib, &avg, not_examples, K)) >= 8);
    let rocchio: Vec<f32> = avg
        .iter()
        .zip(mean(&[neg]))
        .map(|(p, n)| p - 0.5 * n)
        .collect();
    let exact = like(&negs, LikeStrategy::AverageVector, true);
    assert_same_ranking(
        &exact,
        &brute_force(lib, &rocchio, |r| !examples.contains(&r), K),
        "average with a negative",
    );
    // Best score: each candidate's best similarity to a positive.
    let best = |r: u64| {
        let v = audio_row(lib, r);
        dot(&v, &audio_row(lib, p1)).max(dot(&v, &audio_row(lib, p2)))
    };
    let mut want: Vec<(u64, f32)> = (0..all.len() as u64)
        .filter(|&r| not_examples(r))
        .map(|r| (r, best(r)))
        .collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    want.truncate(K);
    let exact = like(&[], LikeStrategy::BestScore, true);
    assert_same_ranking(&exact, &want, "best score");
    let graph = like(&[], LikeStrategy::BestScore, false);
    assert!(overlap(&graph, &want) >= 8, "{graph:?} vs {want:?}");
    let with_neg = like(&negs, LikeStrategy::BestScore, false);
    assert!(with_neg.iter().all(|h| h.score <= want[0].1 + 1e-5));

    // With a filter: only matching rows, and k of them when k match besides the examples.
    let mood = all[p1 as usize]
        .tags
        .iter()
        .find(|t| t.starts_with("mood:"))
        .unwrap()
        .clone();
    let filter = format!("tag:\"{mood}\"");
    for strategy in [LikeStrategy::AverageVector, LikeStrategy::BestScore] {
        let r = SearchRequest::like(EmbeddingKind::Audio, &pos, &[], strategy)
            .unwrap()
            .filter(&filter)
            .unwrap();
        let (hits, _) = run(&s, &r);
        assert_eq!(hits.len(), K);
        assert!(
            hits.iter()
                .all(|h| all[h.row as usize].has_tag(&mood) && not_examples(h.row))
        );
        // The examples and exactly k others pass: the k others come back.
        let others: Vec<u64> = (100..100 + K as u64).collect();
        let expr = [p1, p2]
            .iter()
            .chain(&others)
            .map(|&r| format!("track_id:{}", all[r as usize].id))
            .collect::<Vec<_>>()
            .join(" OR ");
        let r = SearchRequest::like(EmbeddingKind::Audio, &pos, &[], strategy)
            .unwrap()
            .filter(&expr)
            .unwrap();
        let (hits, _) = run(&s, &r);
        let got: BTreeSet<u64> = hit_rows(&hits).into_iter().collect();
        assert_eq!(
            got,
            others.iter().copied().collect::<BTreeSet<_>>(),
            "{strategy:?}"
        );
    }

    // Made hybrid with a word query that matches the examples themselves: they still never
    // come back (the word side is searched without them too).
    let exact_ids = format!("track_id:\"{}\" OR track_id:\"{}\"", pos[0], pos[1]);
    for strategy in [LikeStrategy::AverageVector, LikeStrategy::BestScore] {
        let r = SearchRequest::like(EmbeddingKind::Audio, &pos, &negs, strategy)
            .unwrap()
            .with_words(&exact_ids)
            .unwrap();
        let (hits, _) = run(&s, &r);
        assert_eq!(hits.len(), K);
        assert!(hits.iter().all(|h| !examples.contains(&h.row)), "{hits:?}");
    }

    // Unknown ids are a clear error listing them.
    let e = s
        .search(
            &SearchRequest::like(
                EmbeddingKind::Audio,
                &[pos[0], "nope", "nada"],
                &[],
                LikeStrategy::BestScore,
            )
            .unwrap(),
        )
        .unwrap_err();
    match &e {
        QueryError::UnknownTracks(m) => assert_eq!(m, "nope, nada"),
        other => panic!("{other:?}"),
    }
    assert_eq!(e.to_string(), "no such track in the library: nope, nada");
    let e = s
        .search(
            &SearchRequest::like(
                EmbeddingKind::Audio,
                &[pos[0]],
                &["gone"],
                LikeStrategy::AverageVector,
            )
            .unwrap(),
        )
        .unwrap_err();
    assert!(
        matches!(&e, QueryError::UnknownTracks(m) if m == "gone"),
        "{e:?}"
    );
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

#[test]
fn an_unliked_tracks_near_duplicates_are_pushed_down() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = like_library(tmp.path());
    let s = searcher(&lib);
    let rank = |hits: &[SearchHit], prefix: &str| -> Vec<usize> {
        hits.iter()
            .enumerate()
            .filter(|(_, h)| h.track_id.starts_with(prefix))
            .map(|(i, _)| i)
            .collect()
    };
    for strategy in [LikeStrategy::AverageVector, LikeStrategy::BestScore] {
        let like = |neg: &[&str]| {
            let r = SearchRequest::like(EmbeddingKind::Audio, &["liked"], neg, strategy)
                .unwrap()
                .k(20)
                .unwrap();
            let (hits, _) = run(&s, &r);
            assert_eq!(hits.len(), 14 - 1 - neg.len(), "{strategy:?}");
            assert!(
                hits.iter()
                    .all(|h| h.track_id != "liked" && !neg.contains(&h.track_id.as_str()))
            );
            hits
        };
        // Liked alone: the unliked track and its duplicates are the nearest.
        let plain = like(&[]);
        assert_eq!(rank(&plain, "unliked").len(), 1);
        let mut top4: Vec<&str> = hit_ids(&plain[..4]);
        top4.sort_unstable();
        assert_eq!(top4, ["dup-1", "dup-2", "dup-3", "unliked"], "{strategy:?}");
        // Unliking it sinks its duplicates below every good track.
        let hits = like(&["unliked"]);
        let (dups, goods) = (rank(&hits, "dup-"), rank(&hits, "good-"));
        assert_eq!((dups.len(), goods.len()), (3, 3));
        assert!(
            goods.iter().max() < dups.iter().min(),
            "{strategy:?}: {:?}",
            hit_ids(&hits)
        );
        assert!(
            goods.iter().all(|&g| g < 3),
            "{strategy:?}: {:?}",
            hit_ids(&hits)
        );
        if strategy == LikeStrategy::BestScore {
            // Closer to a negative than to any positive: below every other candidate.
            assert_eq!(dups, vec![hits.len() - 3, hits.len() - 2, hits.len() - 1]);
            assert!(hits[hits.len() - 3..].iter().all(|h| h.score < 0.0));
        }
    }
    // Through the command line, too.
    let v = cli_json(
        &lib,
        &[
            "--like",
            "liked",
            "--unlike",
            "unliked",
            "--strategy",
            "best-score",
            "--k",
            "3",
        ],
    );
    let mut got = json_ids(&v);
    got.sort_unstable();
    assert_eq!(got, ["good-1", "good-2", "good-3"]);
    let out = cli_search(&lib, &["--like", "liked,missing"]);
    let (_, err) = out_text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("no such track in the library: missing"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Damaged and mismatched index files.

fn ann_file(lib: &Path, space: &str) -> PathBuf {
    let l = Library::open(lib).unwrap();
    lib.join(&l.manifest().ann[space].file)
}

/// Opening (through the library, the facade and the command) fails naming `file` and saying to
/// run `segue reindex`.
fn assert_open_fails_naming(lib: &Path, file: &Path) {
    let name = file.file_name().unwrap().to_str().unwrap();
    let e = Library::open(lib).unwrap_err();
    match &e {
        IndexError::Corrupt { path, .. } | IndexError::Incompatible { path, .. } => {
            assert_eq!(path.file_name(), file.file_name(), "{e}");
        }
        other => panic!("expected a corrupt-file error, got {other:?}"),
    }
    let msg = e.to_string();
    assert!(msg.contains(name) && msg.contains("segue reindex"), "{msg}");
    let msg = segue::search::open_searcher(lib).unwrap_err().to_string();
    assert!(msg.contains(name) && msg.contains("segue reindex"), "{msg}");
    let out = cli_search(lib, &["--like", "synth-00000001"]);
    let (_, err) = out_text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(name) && err.contains("segue reindex"), "{err}");
}

fn reindex_cli(lib: &Path) {
    reindex_cli_with(lib, &[]);
}

fn reindex_cli_with(lib: &Path, extra: &[&str]) {
    let out = segue_cmd()
        .args(["reindex", "--library"])
        .arg(lib)
        .args(extra)
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert!(out.status.success(), "segue reindex: {stderr}");
    assert!(stdout.contains("graphs: audio_emb"), "{stdout}");
}

#[test]
fn a_damaged_or_mismatched_index_fails_to_open_until_segue_reindex_repairs_it() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = generated(tmp.path(), 600, 51, 16);
    let q = audio_row(&Library::open(&lib).unwrap(), 12);
    let baseline = |lib: &Path| {
        let s = searcher(lib);
        let (exact, _) = run(&s, &audio_query(q.clone()).exact(true));
        // (ef 64: at the default ef, a library this small is scanned exactly.)
        let (graph, stats) = run(&s, &audio_query(q.clone()).ef(64).unwrap());
        assert_eq!(stats.plan, Some(Plan::Graph { ef: 64 }));
        assert_eq!(graph.len(), K);
        assert_eq!(graph[0].row, 12);
        hit_ids(&exact)
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let before = baseline(&lib);

    // One flipped byte in the middle of the audio graph.
    let graph = ann_file(&lib, "audio_emb");
    let mut bytes = std::fs::read(&graph).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&graph, &bytes).unwrap();
    assert_open_fails_naming(&lib, &graph);
    let e = Library::open(&lib).unwrap_err().to_string();
    assert!(e.contains("checksum"), "{e}");
    reindex_cli(&lib);
    assert_eq!(baseline(&lib), before);

    // The text space's graph in place of the audio space's.
    let (audio, text) = (ann_file(&lib, "audio_emb"), ann_file(&lib, "text_emb"));
    assert_ne!(audio, text);
    std::fs::copy(&text, &audio).unwrap();
    assert_open_fails_naming(&lib, &audio);
    reindex_cli(&lib);
    assert_eq!(baseline(&lib), before);

    // A graph of the same space from an earlier version in place of the current one. The
    // first 1024 rows are inserted on one thread, so rebuilding these 600 with the same
    // parameters gives the same bytes (a valid graph, however it got there); a rebuild with
    // other parameters does not.
    let stale_path = ann_file(&lib, "audio_emb");
    let stale = std::fs::read(&stale_path).unwrap();
    reindex_cli(&lib);
    assert_eq!(std::fs::read(ann_file(&lib, "audio_emb")).unwrap(), stale);
    reindex_cli_with(&lib, &["--m", "8"]);
    let current = ann_file(&lib, "audio_emb");
    assert_ne!(
        std::fs::read(&current).unwrap(),
        stale,
        "reindex --m 8 built the same graph bytes"
    );
    std::fs::write(&current, &stale).unwrap();
    assert_open_fails_naming(&lib, &current);
    reindex_cli(&lib);
    assert_eq!(baseline(&lib), before);

    // A text index file that changed size.
    let l = Library::open(&lib).unwrap();
    let file = lib.join(
        l.manifest()
            .text_index
            .as_ref()
            .unwrap()
            .files
            .iter()
            .max_by_key(|f| std::fs::metadata(lib.join(f)).map(|m| m.len()).unwrap_or(0))
            .unwrap(),
    );
    drop(l);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend_from_slice(b"junk");
    std::fs::write(&file, &bytes).unwrap();
    assert_open_fails_naming(&lib, &file);
    reindex_cli(&lib);
    assert_eq!(baseline(&lib), before);
    let s = searcher(&lib);
    let (hits, _) = run(&s, &SearchRequest::words("tag:\"mood:calm\"").unwrap());
    assert!(!hits.is_empty());
    assert!(Library::open(&lib).unwrap().verify().is_ok());
}

// ---------------------------------------------------------------------------------------------
// 7. Reopening.

#[test]
fn results_are_identical_after_reopening_in_process_and_in_a_new_process() {
    let tmp = tempfile::tempdir().unwrap();
    let lib_dir = generated(tmp.path(), 800, 61, 0);
    let lib = Library::open(&lib_dir).unwrap();
    let all = tracks(&lib);
    let mut rng = Rng(99);
    let q = rng.near(&audio_row(&lib, 77), 0.05);
    drop(lib);
    let (a, b) = (all[10].id.clone(), all[500].id.clone());
    let requests: Vec<(SearchRequest, Vec<String>)> = {
        let p = tmp.path().join("q.json");
        write_vector(&p, &q);
        let vf = p.to_str().unwrap().to_string();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        vec![
            (audio_query(q.clone()), s(&["--vector-file", &vf])),
            (
                audio_query(q.clone())
                    .filter("bpm >= 90 AND NOT tag:\"mood:calm\"")
                    .unwrap()
                    .k(25)
                    .unwrap(),
                s(&[
                    "--vector-file",
                    &vf,
                    "--filter",
                    "bpm >= 90 AND NOT tag:\"mood:calm\"",
                    "--k",
                    "25",
                ]),
            ),
            (
                audio_query(q.clone()).exact(true),
                s(&["--vector-file", &vf, "--exact"]),
            ),
            (
                SearchRequest::words("calm AND piano")
                    .unwrap()
                    .filter("duration_s >= 60")
                    .unwrap(),
                s(&["--tags", "calm AND piano", "--filter", "duration_s >= 60"]),
            ),
            (
                audio_query(q.clone()).with_words("piano").unwrap(),
                s(&["--vector-file", &vf, "--tags", "piano"]),
            ),
            (
                SearchRequest::like(
                    EmbeddingKind::Audio,
                    &[&a, &b],
                    &[],
                    LikeStrategy::BestScore,
                )
                .unwrap(),
                s(&["--like", &format!("{a},{b}"), "--strategy", "best-score"]),
            ),
            (
                SearchRequest::like(
                    EmbeddingKind::Audio,
                    &[&a],
                    &[&b],
                    LikeStrategy::AverageVector,
                )
                .unwrap(),
                s(&["--like", &a, "--unlike", &b]),
            ),
        ]
    };
    let results = |s: &Searcher| -> Vec<Vec<SearchHit>> {
        requests.iter().map(|(r, _)| run(s, r).0).collect()
    };
    let first = results(&searcher(&lib_dir));
    for r in &first {
        assert!(!r.is_empty());
    }
    // A new Library::open, twice (the first searcher and library are dropped by now).
    assert_eq!(results(&searcher(&lib_dir)), first);
    assert_eq!(results(&searcher(&lib_dir)), first);
    // A new process: the command prints the same ids and scores.
    for ((_, args), hits) in requests.iter().zip(&first) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let v = cli_json(&lib_dir, &args);
        assert_eq!(json_ids(&v), hit_ids(hits), "{args:?}");
        assert_eq!(
            json_scores(&v),
            hits.iter().map(|h| h.score).collect::<Vec<_>>(),
            "{args:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 8. The command's output.

#[test]
fn search_cli_prints_hits_with_their_scalar_fields_as_json_and_as_a_table() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = like_library(tmp.path());
    let l = Library::open(&lib).unwrap();
    let all = tracks(&l);
    drop(l);
    let v = cli_json(
        &lib,
        &["--like", "liked", "--k", "5", "--filter", "bpm >= 81"],
    );
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 5, "{v}");
    assert!(v["stats"]["allowed_rows"].is_u64(), "{v}");
    for h in hits {
        let t = all
            .iter()
            .find(|t| t.id == h["track_id"].as_str().unwrap())
            .unwrap();
        assert!(h["score"].is_number(), "{h}");
        assert_eq!(h["title"].as_str(), t.title.as_deref(), "{h}");
        assert_eq!(h["artist"].as_str(), t.artist.as_deref(), "{h}");
        assert_eq!(h["album"].as_str(), t.album.as_deref(), "{h}");
        assert_eq!(
            h["duration_s"].as_f64().map(|x| x as f32),
            t.duration_s,
            "{h}"
        );
        assert_eq!(h["bpm"].as_f64().map(|x| x as f32), t.bpm, "{h}");
        assert!(t.bpm >= Some(81.0));
        assert_eq!(h["energy"].as_f64().map(|x| x as f32), t.energy, "{h}");
        assert_eq!(h["has_vocals"].as_bool(), t.has_vocals, "{h}");
        let tags: Vec<&str> = h["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(tags, t.tags, "{h}");
        assert!(h.get("caption").is_none(), "{h}");
    }
    // The vector forms (JSON and raw f32) give the same hits; the table has a header, one line a
    // hit and the summary.
    let q = [1.0f32, 0.1, 0.0, 0.0];
    let json_file = tmp.path().join("q.json");
    write_vector(&json_file, &q);
    let raw_file = tmp.path().join("q.f32");
    std::fs::write(
        &raw_file,
        q.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>(),
    )
    .unwrap();
    let a = cli_json(
        &lib,
        &["--vector-file", json_file.to_str().unwrap(), "--k", "4"],
    );
    let b = cli_json(
        &lib,
        &["--vector-file", raw_file.to_str().unwrap(), "--k", "4"],
    );
    assert_eq!(json_ids(&a), json_ids(&b));
    assert_eq!(json_ids(&a)[0], "liked");
    let out = cli_search(
        &lib,
        &[
            "--vector-file",
            json_file.to_str().unwrap(),
            "--k",
            "4",
            "--filter",
            "bpm >= 81",
        ],
    );
    let (table, err) = out_text(&out);
    assert!(out.status.success(), "{err}");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 6, "{table}");
    for col in [
        "#", "score", "track_id", "title", "artist", "bpm", "dur_s", "tags",
    ] {
        assert!(lines[0].split_whitespace().any(|w| w == col), "{table}");
    }
    assert!(lines[1].trim_start().starts_with("1 "), "{table}");
    assert!(
        lines[5].starts_with("4 hits in ") && lines[5].contains(" ms"),
        "{table}"
    );
    assert!(lines[5].ends_with(", 13 tracks pass the filter"), "{table}");

    // Bad input is a clear error (exit code 2).
    for (args, needle) in [
        (
            vec!["--like", "liked", "--filter", "bpm >>= 3"],
            "bad filter: filter error at column",
        ),
        (vec!["--tags", "calm AND ("], "syntax error"),
        (vec!["--unlike", "liked"], "--unlike needs --like"),
        (
            vec!["--unlike", "liked", "--tags", "test"],
            "--unlike needs --like",
        ),
        (vec!["--like", "liked", "--k", "0"], "k must be"),
    ] {
        let out = cli_search(&lib, &args);
        let (_, err) = out_text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }

    // In a generated library a track of unknown vocals simply has no `has_vocals` key.
    let gen_dir = tmp.path().join("gen");
    std::fs::create_dir(&gen_dir).unwrap();
    let glib = generated(&gen_dir, 300, 71, 0);
    let all = tracks(&Library::open(&glib).unwrap());
    let v = cli_json(&glib, &["--tags", "tag:\"mood:calm\"", "--k", "300"]);
    for h in v["hits"].as_array().unwrap() {
        let t = all
            .iter()
            .find(|t| t.id == h["track_id"].as_str().unwrap())
            .unwrap();
        assert_eq!(h["has_vocals"].as_bool(), t.has_vocals, "{h}");
        for key in [
            "title",
            "artist",
            "album",
            "duration_s",
            "bpm",
            "energy",
            "tags",
            "score",
            "row",
        ] {
            assert!(h.get(key).is_some(), "{key} missing: {h}");
        }
    }
}

/// Best-score with anti-similar candidates: a candidate nearer the unliked track than the liked
/// one sinks below every other, even when all similarities are negative.
#[test]
fn best_score_sinks_tracks_nearer_a_negative_even_at_negative_similarity() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    ingest_csv(
        &lib,
        tmp.path(),
        "anti.csv",
        "track_id,duration_s,audio_emb\n\
         liked,100,1;0;0\n\
         unliked,100,0;1;0\n\
         a,100,-0.9;-0.436;0\n\
         b,100,-0.5;-0.866;0\n\
         c,100,0;0;1\n",
    );
    let s = Searcher::new(std::sync::Arc::new(Library::open(&lib).unwrap()));
    let req = SearchRequest::like(
        EmbeddingKind::Audio,
        &["liked"],
        &["unliked"],
        LikeStrategy::BestScore,
    )
    .unwrap()
    .exact(true);
    let (hits, _) = s.search(&req).unwrap();
    let ids: Vec<&str> = hits.iter().map(|h| h.track_id.as_str()).collect();
    // c: 0 (orthogonal to both); b: −0.5 (nearer liked); a: nearer unliked, so last.
    assert_eq!(ids, ["c", "b", "a"], "{hits:?}");
    assert!(hits[2].score < -1.0, "{hits:?}");
}
