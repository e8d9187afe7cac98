//! A library written before the analysis columns existed (the golden format-1 library) opens
//! as it is and gains them, all null, at its next append; a crash in the middle of that schema
//! change leaves it at its last version, still without them.

use segue_fixtures::golden::copy_golden;
use segue_fixtures::{CatalogSpec, write_catalog_parquet};
use segue_index::schema::{ANALYSIS_COLUMNS, col};
use segue_ingest::{OnDuplicate, ingest};

use crate::crash::crash;
use crate::helpers::*;

#[test]
fn an_old_library_gains_the_analysis_columns_at_its_next_append() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    copy_golden("v1-library", &lib).unwrap();
    let old = open(&lib);
    assert!(ANALYSIS_COLUMNS.iter().all(|c| !old.has_column(c)));
    let before = snapshot_of(&old);
    drop(old);

    // The golden tracks again and ten more, with the golden dimensions.
    let catalog = tmp.path().join("more.parquet");
    let spec = CatalogSpec {
        tracks: 60,
        audio_dim: 8,
        text_dim: 4,
        seed: 1,
        ..Default::default()
    };
    write_catalog_parquet(&spec, &catalog, &mut |_| {}).unwrap();

    // Killed right after Lance committed the new columns: nobody sees them.
    crash("stage-after-schema-change", &lib, &catalog);
    let l = open(&lib);
    assert_eq!(snapshot_of(&l), before, "still the golden version");
    assert!(!l.has_column(col::KEY));
    l.verify().unwrap();
    drop(l);

    let mut o = opts(&catalog);
    o.on_duplicate = OnDuplicate::Skip;
    let s = ingest(&lib, &o).unwrap();
    assert_eq!((s.library_version, s.total_tracks), (3, 60));
    let l = open(&lib);
    assert!(ANALYSIS_COLUMNS.iter().all(|c| l.has_column(c)));
    let rows: Vec<u64> = (0..60).collect();
    assert!(strings(&l, &rows, col::KEY).iter().all(Option::is_none));
    assert!(
        floats(&l, &rows, col::TEMPO_STABILITY)
            .iter()
            .all(Option::is_none)
    );
    assert_eq!(l.count_where("beats IS NULL").unwrap(), 60);
    l.verify().unwrap();
    drop(l);
    assert_no_garbage(&lib);
}
