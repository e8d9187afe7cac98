//! Issue 14: `segue repair` restores a library from Lance after each kind of damage to its
//! derived files or manifest, without losing a track; a lost manifest is never taken for an
//! empty directory.

use std::fs;
use std::path::{Path, PathBuf};

use segue_index::manifest::{MANIFEST_BACKUP_FILE, MANIFEST_FILE};
use segue_index::writer::ManifestSource;
use segue_index::{IndexError, Library, LibraryWriter};
use segue_ingest::{IngestError, ingest};

use super::helpers::*;

/// A library of two versions (so the vector file was copied once), with graph and text index.
fn library() -> (tempfile::TempDir, PathBuf, Snapshot) {
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    ingest_ok(&lib, tmp.path(), "a.csv", csv_doc(&rows("a", 30, 1)));
    ingest_ok(&lib, tmp.path(), "b.csv", csv_doc(&rows("b", 12, 2)));
    let before = snapshot(&lib);
    let l = open(&lib);
    assert!(l.ann(segue_index::EmbeddingKind::Audio).is_some());
    assert!(l.text_index().is_some());
    (tmp, lib, before)
}

/// The repaired library opens, verifies, and holds exactly the tracks and vectors it held.
fn assert_restored(lib: &Path, before: &Snapshot) {
    let l = open(lib);
    l.verify()
        .unwrap_or_else(|e| panic!("verify after repair: {e}"));
    let after = snapshot_of(&l);
    assert_eq!(after.ids, before.ids);
    assert_eq!(after.titles, before.titles);
    assert_eq!(after.audio, before.audio, "vectors as before the damage");
    assert!(
        l.ann(segue_index::EmbeddingKind::Audio).is_some(),
        "graph rebuilt"
    );
    let text = l.text_index().expect("text index rebuilt");
    assert_eq!(
        text.search("calm", None, 100).unwrap().len(),
        before.ids.len()
    );
    assert_no_garbage(lib);
}

fn repair(lib: &Path) -> segue_index::writer::RepairReport {
    LibraryWriter::repair(lib, None).unwrap_or_else(|e| panic!("repair: {e}"))
}

fn derived(lib: &Path, prefix: &str) -> PathBuf {
    let m = open(lib).manifest().clone();
    let f = m.files.iter().find(|f| f.path.starts_with(prefix)).unwrap();
    lib.join(&f.path)
}

fn flip_byte(path: &Path, at_from_end: Option<u64>, at: u64) {
    let mut bytes = fs::read(path).unwrap();
    let i = at_from_end.map_or(at as usize, |back| bytes.len() - back as usize);
    bytes[i] ^= 0x40;
    fs::write(path, bytes).unwrap();
}

#[test]
fn repair_restores_damaged_truncated_or_deleted_vector_files() {
    type Damage = fn(&Path);
    let damages: [(&str, Damage); 4] = [
        ("flipped data byte", |p| flip_byte(p, None, 100)),
        ("flipped norms byte", |p| flip_byte(p, Some(3), 0)),
        ("truncated", |p| {
            let len = fs::metadata(p).unwrap().len();
            fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
        }),
        ("deleted", |p| fs::remove_file(p).unwrap()),
    ];
    for (what, damage) in damages {
        let (_tmp, lib, before) = library();
        damage(&derived(&lib, "vectors/"));
        // Damage is found by opening (size) or verifying (checksums).
        let found = Library::open(&lib).and_then(|l| l.verify());
        assert!(found.is_err(), "{what}: damage not detected");
        let report = repair(&lib);
        assert_eq!(report.manifest_source, ManifestSource::Published, "{what}");
        assert_restored(&lib, &before);
    }
}

#[test]
fn repair_rebuilds_a_damaged_graph_and_text_index() {
    let (_tmp, lib, before) = library();
    let graph = derived(&lib, "ann/");
    let len = fs::metadata(&graph).unwrap().len();
    fs::File::options()
        .write(true)
        .open(&graph)
        .unwrap()
        .set_len(len - 8)
        .unwrap();
    assert!(Library::open(&lib).is_err(), "damaged graph detected");
    repair(&lib);
    assert_restored(&lib, &before);

    let text_file = derived(&lib, "text/");
    fs::remove_file(&text_file).unwrap();
    assert!(Library::open(&lib).is_err(), "missing text file detected");
    repair(&lib);
    assert_restored(&lib, &before);
}

#[test]
fn repair_restores_a_damaged_or_lost_manifest_from_its_backup() {
    let (_tmp, lib, before) = library();
    let history = open(&lib).manifest().build.ingests.clone();
    // One whitespace character changed: the checksum no longer matches.
    let path = lib.join(MANIFEST_FILE);
    let text = fs::read_to_string(&path).unwrap();
    let at = text.find(": ").unwrap();
    fs::write(&path, format!("{}:  {}", &text[..at], &text[at + 2..])).unwrap();
    match Library::open(&lib) {
        Err(IndexError::Corrupt { .. }) => {}
        other => panic!("expected a corrupt manifest, got {other:?}"),
    }
    let report = repair(&lib);
    assert_eq!(report.manifest_source, ManifestSource::Backup);
    assert_eq!(
        report.manifest_problems.len(),
        1,
        "{:?}",
        report.manifest_problems
    );
    assert_restored(&lib, &before);
    assert_eq!(open(&lib).manifest().build.ingests, history, "history kept");

    fs::remove_file(&path).unwrap();
    assert_eq!(repair(&lib).manifest_source, ManifestSource::Backup);
    assert_restored(&lib, &before);
}

#[test]
fn repair_rebuilds_the_manifest_from_lance_when_both_copies_are_gone() {
    let (_tmp, lib, before) = library();
    let version = open(&lib).version();
    fs::remove_file(lib.join(MANIFEST_FILE)).unwrap();
    fs::write(lib.join(MANIFEST_BACKUP_FILE), b"{}").unwrap();
    let report = repair(&lib);
    assert_eq!(report.manifest_source, ManifestSource::RebuiltFromLance);
    assert!(
        report.manifest.library_version > version,
        "no version number reused"
    );
    assert_restored(&lib, &before);
}

/// Issue 14: with MANIFEST.json gone, the next ingest took the directory for an interrupted
/// first ingest and deleted the library's Lance data.
#[test]
fn an_ingest_into_a_library_without_manifest_is_refused_and_deletes_nothing() {
    let (tmp, lib, before) = library();
    fs::remove_file(lib.join(MANIFEST_FILE)).unwrap();
    for also_backup in [false, true] {
        if also_backup {
            fs::remove_file(lib.join(MANIFEST_BACKUP_FILE)).unwrap();
        }
        let cat = write(tmp.path(), "c.csv", csv_doc(&rows("c", 5, 3)));
        match ingest(&lib, &opts(&cat)) {
            Err(IngestError::Index(IndexError::NeedsRepair { reason, .. })) => {
                assert!(reason.contains("MANIFEST.json is missing"), "{reason}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(lib.join("tracks.lance").is_dir(), "Lance data kept");
    }
    repair(&lib);
    assert_restored(&lib, &before);
}
