//! `FilterColumns::from_library` on the golden library, checked against rows read naively.

use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, RecordBatch};

use crate::Library;
use crate::filter::{Filter, FilterColumns, FilterRow, NumField, TextField};
use crate::schema::col;

fn golden() -> Library {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/golden/v1-library");
    Library::open(&dir).unwrap()
}

/// Every filterable field of every row, one row at a time, the slow obvious way.
fn naive_rows(lib: &Library) -> Vec<FilterRow> {
    let mut names: Vec<&str> = NumField::ALL.iter().map(|f| f.column()).collect();
    names.extend(TextField::ALL.iter().map(|f| f.column()));
    names.extend([col::HAS_VOCALS, col::TAGS]);
    let mut out = Vec::new();
    for b in lib.scan(&names).unwrap() {
        for i in 0..b.num_rows() {
            out.push(naive_row(&b, i));
        }
    }
    out
}

fn naive_row(b: &RecordBatch, i: usize) -> FilterRow {
    let num = |f: NumField| {
        let a = b
            .column_by_name(f.column())
            .unwrap()
            .as_primitive::<Float32Type>();
        a.is_valid(i).then(|| a.value(i))
    };
    let text = |f: TextField| {
        let a = b.column_by_name(f.column()).unwrap().as_string::<i32>();
        a.is_valid(i).then(|| a.value(i).to_string())
    };
    let hv = b.column_by_name(col::HAS_VOCALS).unwrap().as_boolean();
    let tags = b
        .column_by_name(col::TAGS)
        .unwrap()
        .as_list::<i32>()
        .value(i);
    FilterRow {
        track_id: text(TextField::TrackId),
        title: text(TextField::Title),
        artist: text(TextField::Artist),
        album: text(TextField::Album),
        duration_s: num(NumField::DurationS),
        has_vocals: hv.is_valid(i).then(|| hv.value(i)),
        bpm: num(NumField::Bpm),
        energy: num(NumField::Energy),
        spectral_centroid: num(NumField::SpectralCentroid),
        valence: num(NumField::Valence),
        danceability: num(NumField::Danceability),
        loudness_db: num(NumField::LoudnessDb),
        tags: tags
            .as_string::<i32>()
            .iter()
            .flatten()
            .map(String::from)
            .collect(),
    }
}

#[test]
fn library_columns_match_rows_read_one_by_one() {
    let lib = golden();
    let cols = FilterColumns::from_library(&lib).unwrap();
    assert_eq!(cols.rows(), 50);
    let rows = naive_rows(&lib);
    assert_eq!(rows.len(), 50);
    let by_hand = FilterColumns::from_rows(&rows).unwrap();

    let some_tag = rows.iter().flat_map(|r| &r.tags).next().unwrap().clone();
    let some_artist = rows.iter().find_map(|r| r.artist.clone()).unwrap();
    let median_bpm = {
        let mut b: Vec<f32> = rows.iter().filter_map(|r| r.bpm).collect();
        b.sort_by(f32::total_cmp);
        b[b.len() / 2]
    };
    let filters = [
        format!("tag:\"{some_tag}\""),
        format!("artist = \"{some_artist}\""),
        format!("bpm >= {median_bpm}"),
        format!("NOT bpm < {median_bpm} AND has_vocals = true"),
        "has_vocals = false OR energy > 0.5".to_string(),
        "duration_s > 0 AND NOT title = nothing".to_string(),
        "valence BETWEEN 0.2 AND 0.8 OR danceability < 0.3 OR loudness_db < -10".to_string(),
        "spectral_centroid > 0 AND album != nothing".to_string(),
        "track_id = \"SYNTH-00000003\"".to_string(),
    ];
    for text in &filters {
        let f = Filter::parse(text).unwrap();
        assert_eq!(f.evaluate(&cols), f.evaluate(&by_hand), "{text}");
    }
    let three: Vec<u32> = Filter::parse("track_id:synth-00000003")
        .unwrap()
        .evaluate(&cols)
        .iter()
        .collect();
    assert_eq!(three, [3]);
    let tagged = Filter::parse(&filters[0]).unwrap().evaluate(&cols);
    assert!(!tagged.is_empty());
}
