//! Evaluation on a small hand-made catalogue: operators, nulls, NOT, case.

use roaring::RoaringBitmap;

use crate::filter::{Filter, FilterColumns, FilterRow, allowed_rows};

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// Six tracks; row 3 has every optional field null.
fn catalogue() -> FilterColumns {
    let tags = |t: &[&str]| t.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let rows = [
        FilterRow {
            track_id: s("t0"),
            title: s("Calm Sea"),
            artist: s("X"),
            album: s("Blue"),
            duration_s: Some(30.0),
            has_vocals: Some(false),
            bpm: Some(80.0),
            energy: Some(0.1),
            loudness_db: Some(-20.0),
            tags: tags(&["mood:calm", "genre:ambient"]),
            ..FilterRow::default()
        },
        FilterRow {
            track_id: s("t1"),
            title: s("Run"),
            artist: s("Y"),
            duration_s: Some(60.0),
            has_vocals: Some(true),
            bpm: Some(90.0),
            energy: Some(0.7),
            loudness_db: Some(-8.0),
            tags: tags(&["Mood:Energetic", "genre:hip hop"]),
            ..FilterRow::default()
        },
        FilterRow {
            track_id: s("t2"),
            title: s("Drift"),
            artist: s("x"),
            duration_s: Some(120.0),
            has_vocals: Some(false),
            bpm: Some(120.0),
            energy: Some(0.4),
            valence: Some(0.5),
            danceability: Some(0.6),
            spectral_centroid: Some(1500.0),
            tags: tags(&["mood:calm", "MOOD:CALM"]),
            ..FilterRow::default()
        },
        FilterRow {
            track_id: s("t3"),
            duration_s: Some(45.0),
            ..FilterRow::default()
        },
        FilterRow {
            track_id: s("t4"),
            title: s("Hip Hop Song"),
            artist: s("Z Band"),
            duration_s: Some(200.0),
            has_vocals: Some(true),
            bpm: Some(100.5),
            energy: Some(f32::NAN),
            tags: tags(&["genre:hip hop", "mood:calm"]),
            ..FilterRow::default()
        },
        FilterRow {
            track_id: s("t5"),
            artist: s("Y"),
            duration_s: Some(45.0),
            has_vocals: Some(false),
            bpm: Some(121.0),
            tags: tags(&["mood:energetic"]),
            ..FilterRow::default()
        },
    ];
    FilterColumns::from_rows(&rows).unwrap()
}

fn rows(filter: &str) -> Vec<u32> {
    let cols = catalogue();
    match Filter::parse(filter) {
        Ok(f) => f.evaluate(&cols).iter().collect(),
        Err(e) => panic!("{filter:?}: {e}"),
    }
}

#[test]
fn numeric_operators_skip_nulls() {
    assert_eq!(rows("bpm = 90"), [1]);
    assert_eq!(rows("bpm != 90"), [0, 2, 4, 5]);
    assert_eq!(rows("bpm < 100.5"), [0, 1]);
    assert_eq!(rows("bpm <= 100.5"), [0, 1, 4]);
    assert_eq!(rows("bpm > 100.5"), [2, 5]);
    assert_eq!(rows("bpm >= 100.5"), [2, 4, 5]);
    assert_eq!(rows("bpm BETWEEN 90 AND 120"), [1, 2, 4]);
    assert_eq!(rows("bpm BETWEEN 120 AND 90"), Vec::<u32>::new());
    assert_eq!(
        rows("energy = 0.1"),
        [0],
        "literal rounds to f32 like the column"
    );
    assert_eq!(rows("loudness_db > -10"), [1]);
    assert_eq!(rows("valence >= 0.5 AND danceability > 0.5"), [2]);
    assert_eq!(rows("spectral_centroid < 2000"), [2]);
    assert_eq!(rows("duration_s = 45"), [3, 5]);
}

#[test]
fn nan_is_null() {
    assert_eq!(rows("energy != 0.5"), [0, 1, 2]);
    assert_eq!(rows("NOT energy >= 0"), [3, 4, 5]);
}

#[test]
fn has_vocals_null_matches_neither() {
    assert_eq!(rows("has_vocals = true"), [1, 4]);
    assert_eq!(rows("has_vocals = false"), [0, 2, 5]);
    assert_eq!(rows("has_vocals != true"), [0, 2, 5]);
    assert_eq!(rows("NOT has_vocals = true"), [0, 2, 3, 5]);
}

#[test]
fn text_equality_ignores_case_and_skips_nulls() {
    assert_eq!(rows("artist:X"), [0, 2]);
    assert_eq!(rows("artist = \"x\""), [0, 2]);
    assert_eq!(rows("artist != x"), [1, 4, 5]);
    assert_eq!(rows("NOT artist:\"X\""), [1, 3, 4, 5]);
    assert_eq!(rows("artist:\"z band\""), [4]);
    assert_eq!(rows("artist:Nobody"), Vec::<u32>::new());
    assert_eq!(rows("artist != Nobody"), [0, 1, 2, 4, 5]);
    assert_eq!(rows("title:\"calm sea\""), [0]);
    assert_eq!(rows("album:BLUE"), [0]);
    assert_eq!(rows("track_id:T3 OR track_id = t5"), [3, 5]);
}

#[test]
fn tags_ignore_case_and_duplicates() {
    assert_eq!(rows("tag:mood:calm"), [0, 2, 4]);
    assert_eq!(rows("tag:MOOD:ENERGETIC"), [1, 5]);
    assert_eq!(rows("tag:\"genre:hip hop\""), [1, 4]);
    assert_eq!(rows("tag:genre:hip"), Vec::<u32>::new());
    assert_eq!(rows("tag:nothing"), Vec::<u32>::new());
    assert_eq!(rows("NOT tag:nothing"), [0, 1, 2, 3, 4, 5]);
    let cols = catalogue();
    let mut counts: Vec<_> = cols.tag_counts().collect();
    counts.sort();
    assert_eq!(
        counts,
        [
            ("genre:ambient", 1),
            ("genre:hip hop", 2),
            ("mood:calm", 3),
            ("mood:energetic", 2)
        ]
    );
}

#[test]
fn boolean_structure() {
    assert_eq!(rows("tag:mood:calm AND has_vocals = false"), [0, 2]);
    assert_eq!(rows("tag:mood:calm OR bpm > 120"), [0, 2, 4, 5]);
    assert_eq!(rows("bpm < 85 OR bpm > 120 AND has_vocals = true"), [0]);
    assert_eq!(
        rows("(bpm < 85 OR bpm > 120) AND has_vocals = false"),
        [0, 5]
    );
    assert_eq!(rows("NOT tag:mood:calm AND bpm > 0"), [1, 5]);
    assert_eq!(rows("NOT (tag:mood:calm AND bpm > 0)"), [1, 3, 5]);
    assert_eq!(rows("NOT NOT tag:mood:calm"), [0, 2, 4]);
    assert_eq!(rows("tag:nothing AND bpm > 0"), Vec::<u32>::new());
}

#[test]
fn the_example_filter() {
    let f = "bpm >= 90 AND bpm <= 120 AND duration_s >= 45 AND tag:mood:calm \
             AND NOT artist:\"X\" AND has_vocals = false";
    assert_eq!(rows(f), Vec::<u32>::new());
    let f = "bpm >= 90 AND bpm <= 120 AND duration_s >= 45 AND tag:mood:calm AND NOT artist:\"Y\"";
    assert_eq!(rows(f), [2, 4]);
}

#[test]
fn empty_columns_and_all_rows() {
    let empty = FilterColumns::from_rows(&[]).unwrap();
    assert_eq!(empty.rows(), 0);
    let f = Filter::parse("NOT tag:x").unwrap();
    assert!(f.evaluate(&empty).is_empty());
    let cols = catalogue();
    assert_eq!(cols.rows(), 6);
    assert_eq!(cols.all_rows(), (0..6).collect::<RoaringBitmap>());
    assert_eq!(
        allowed_rows("bpm = 90", &cols).unwrap(),
        RoaringBitmap::from_iter([1])
    );
    let e = allowed_rows("bpm = ", &cols).unwrap_err();
    assert!(e.to_string().starts_with("filter error at column 7"), "{e}");
}
