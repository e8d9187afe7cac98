//! Libraries written by earlier format versions stay readable.

use std::path::PathBuf;

use segue_index::{EmbeddingKind, Library};

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/golden")
        .join(name)
}

#[test]
fn format_1_library_opens_with_its_tracks_and_vectors() {
    let lib = Library::open(&golden("v1-library")).unwrap();
    assert_eq!(lib.manifest().format_version, 1);
    assert_eq!(lib.version(), 2);
    assert_eq!(lib.rows(), 50);
    let ids = lib.track_ids().unwrap();
    let expected: Vec<String> = (0..50).map(|i| format!("synth-{i:08}")).collect();
    assert_eq!(ids, expected);
    assert_eq!(lib.dims().audio, Some(8));
    assert_eq!(lib.dims().text, Some(4));
    lib.verify().unwrap();
    let audio = lib.vectors(EmbeddingKind::Audio).unwrap();
    for i in 0..50 {
        let norm: f32 = audio.row(i).iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "row {i} has norm {norm}");
    }
    let ingests = &lib.manifest().build.ingests;
    assert_eq!(ingests.len(), 2);
    assert_eq!(
        (ingests[1].rows_added, ingests[1].rows_skipped_duplicate),
        (10, 40)
    );
}
