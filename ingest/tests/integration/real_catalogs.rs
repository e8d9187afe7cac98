//! The two real catalogues, detected with `CatalogFormat::Auto`. Skipped (with a note) when the
//! shared data folder is not there, failed when `SEGUE_REQUIRE_SHARED=1`.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use arrow_array::Array;
use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;

use segue_index::Dims;
use segue_ingest::{CatalogFormat, ingest};

use crate::helpers::*;

fn data_file(rel: &str) -> Option<PathBuf> {
    segue_fixtures::shared::shared_path(&format!("data/{rel}"))
}

/// Every row's (track id, tags, duration, bpm) in row order.
type Scanned = Vec<(String, Vec<String>, f32, Option<f32>)>;

fn scan(l: &segue_index::Library) -> Scanned {
    let mut out = Vec::new();
    for b in l
        .scan(&["track_id", "tags", "duration_s", "bpm"])
        .expect("scan")
    {
        let ids = b.column(0).as_string::<i32>();
        let tags = b.column(1).as_list::<i32>();
        let dur = b.column(2).as_primitive::<Float32Type>();
        let bpm = b.column(3).as_primitive::<Float32Type>();
        for i in 0..b.num_rows() {
            let t = tags.value(i);
            let t: Vec<String> = t
                .as_string::<i32>()
                .iter()
                .flatten()
                .map(String::from)
                .collect();
            out.push((
                ids.value(i).to_string(),
                t,
                dur.value(i),
                (!bpm.is_null(i)).then(|| bpm.value(i)),
            ));
        }
    }
    out
}

#[test]
fn mtg_jamendo_autotagging() {
    let Some(path) = data_file("mtg-jamendo/autotagging_reconstructed.tsv") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let mut o = opts(&path);
    o.format = CatalogFormat::Auto;
    let s = ingest(&lib, &o).expect("ingest MTG-Jamendo");
    assert_eq!(s.format, "jamendo");
    assert_eq!(
        (s.rows_read, s.rows_added, s.rows_rejected, s.total_tracks),
        (55_525, 55_525, 0, 55_525)
    );

    let l = open(&lib);
    assert_eq!((l.version(), l.rows()), (1, 55_525));
    assert_eq!(l.dims(), Dims::default(), "no embeddings");
    let rows = scan(&l);
    assert_eq!(rows.len(), 55_525);
    let unique: BTreeSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(unique.len(), 55_525, "track ids are unique");

    // A known row.
    let at = rows
        .iter()
        .position(|r| r.0 == "track_0000214")
        .expect("track_0000214");
    assert_eq!(rows[at].1, vec!["genre:punkrock".to_string()]);
    assert!((rows[at].2 - 124.6).abs() < 1e-3, "duration {}", rows[at].2);
    assert_eq!(rows[at].3, None, "no bpm in this catalogue");
    let at = at as u64;
    assert_eq!(
        strings(&l, &[at], "artist"),
        vec![Some("artist_000014".to_string())]
    );
    assert_eq!(
        strings(&l, &[at], "album"),
        vec![Some("album_000031".to_string())]
    );
    assert_eq!(
        strings(&l, &[at], "audio_path"),
        vec![Some("14/214.mp3".to_string())]
    );

    // Tags: kind:value with the dataset's three kinds, counts as the dataset's README states.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        assert!(!r.1.is_empty(), "{} has no tags", r.0);
        for t in &r.1 {
            *counts.entry(t.as_str()).or_default() += 1;
        }
    }
    for t in counts.keys() {
        assert!(
            ["genre:", "mood:", "instrument:"]
                .iter()
                .any(|k| t.starts_with(k))
                && !t.contains("---"),
            "unexpected tag {t:?}"
        );
    }
    assert_eq!(counts.len(), 187, "distinct tags");
    assert_eq!(counts.get("genre:electronic"), Some(&16_480));
    assert_eq!(counts.get("genre:soundtrack"), Some(&8_094));
    assert_eq!(counts.get("instrument:piano"), Some(&7_750));
    assert!(counts.contains_key("mood:calm"));
    let total: usize = counts.values().sum();
    assert!(
        (4.1..4.25).contains(&(total as f64 / 55_525.0)),
        "{total} tags"
    );
}

#[test]
fn tidytuesday_spotify_songs() {
    let Some(path) = data_file("tidytuesday-spotify/spotify_songs.csv") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let mut o = opts(&path);
    o.format = CatalogFormat::Auto;
    let s = ingest(&lib, &o).expect("ingest Spotify");
    assert_eq!(s.format, "spotify");
    assert_eq!(
        (s.rows_added, s.rows_rejected, s.total_tracks),
        (28_356, 0, 28_356)
    );

    // What the CSV says, per track: genres and subgenres of all its playlists; first row's tempo
    // and duration.
    struct Expected {
        tags: BTreeSet<String>,
        tempo: f64,
        duration_ms: f64,
    }
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
            .to_lowercase()
    };
    let mut expected: HashMap<String, Expected> = HashMap::new();
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (id, genre, sub, tempo, dur) = (
        col("track_id"),
        col("playlist_genre"),
        col("playlist_subgenre"),
        col("tempo"),
        col("duration_ms"),
    );
    let mut csv_rows = 0;
    for rec in reader.records() {
        let rec = rec.unwrap();
        csv_rows += 1;
        let e = expected
            .entry(rec[id].to_string())
            .or_insert_with(|| Expected {
                tags: BTreeSet::new(),
                tempo: rec[tempo].parse().unwrap(),
                duration_ms: rec[dur].parse().unwrap(),
            });
        e.tags.insert(format!("genre:{}", norm(&rec[genre])));
        e.tags.insert(format!("subgenre:{}", norm(&rec[sub])));
    }
    assert_eq!(csv_rows, 32_833);
    assert_eq!(expected.len(), 28_356);

    let l = open(&lib);
    assert_eq!((l.version(), l.rows()), (1, 28_356));
    let rows = scan(&l);
    assert_eq!(rows.len(), 28_356);
    let mut several = 0;
    for (track, tags, duration, bpm) in &rows {
        let e = expected
            .get(track)
            .unwrap_or_else(|| panic!("{track} is not in the CSV"));
        let got: BTreeSet<String> = tags.iter().cloned().collect();
        assert_eq!(got, e.tags, "tags of {track}");
        assert_eq!(got.len(), tags.len(), "tags of {track} are deduplicated");
        if e.tags.iter().filter(|t| t.starts_with("genre:")).count() > 1 {
            several += 1;
        }
        assert!(
            (f64::from(*duration) - e.duration_ms / 1000.0).abs() < 1e-3,
            "duration of {track}"
        );
        match bpm {
            None => assert_eq!(e.tempo, 0.0, "bpm of {track}"),
            Some(b) => assert!(
                (f64::from(*b) - e.tempo).abs() < 1e-3,
                "bpm of {track}: {b} vs {}",
                e.tempo
            ),
        }
    }
    assert!(
        several > 100,
        "tracks in playlists of several genres: {several}"
    );

    // One track in playlists of four genres.
    let at = rows
        .iter()
        .position(|r| r.0 == "6oJ6le65B3SEqPwMRNXWjY")
        .expect("Higher Love") as u64;
    let t = tags(&l, at);
    for want in [
        "genre:edm",
        "genre:latin",
        "genre:pop",
        "genre:r&b",
        "subgenre:big-room",
        "subgenre:latin-hip-hop",
    ] {
        assert!(t.contains(&want.to_string()), "{want} missing from {t:?}");
    }
    assert_eq!(floats(&l, &[at], "bpm"), vec![Some(103.952)]);
    assert_eq!(
        strings(&l, &[at], "title"),
        vec![Some("Higher Love".to_string())]
    );
}
