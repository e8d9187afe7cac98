//! Issue 14: inputs from a hostile test of the program that crashed it, were accepted though
//! they later broke searches, or were reported misleadingly.

use std::io::Write;

use crate::helpers::*;

/// 4 × 3e38 (the hostile test used 32 × 1e38): every value is a finite f32, the length is
/// not; such a vector later turned scores into NaN.
#[test]
fn an_embedding_whose_length_overflows_f32_is_refused() {
    let huge = ["3e38"; DIM].join(";");
    let bytes = csv_with(2, format!("t2,Song,Someone,120,a,100,{huge}").as_bytes());
    assert_rejected(
        "c.csv",
        &bytes,
        bad_row(2, "audio_emb", Some("t2"), "too large"),
    );
}

#[test]
fn energy_outside_zero_to_one_is_refused() {
    let text = "track_id\tduration_s\tenergy\taudio_emb\n\
                t1\t60\t0.5\t0.5;0.1;0.2;1\n\
                t2\t60\t7\t0.5;0.1;0.2;2\n";
    assert_rejected(
        "c.tsv",
        text.as_bytes(),
        bad_row(2, "energy", Some("t2"), "[0, 1]"),
    );
}

#[test]
fn a_compressed_catalogue_is_called_compressed() {
    let mut gz = vec![0x1f, 0x8b, 0x08, 0x00];
    gz.extend_from_slice(&[0u8; 32]);
    assert_rejected("c.csv", &gz, bad_file("gzip-compressed"));
}

#[test]
fn a_wrong_delimiter_is_hinted_at() {
    let text = "track_id;duration_s;audio_emb\nt1;60;0.5\n";
    assert_rejected("c.csv", text.as_bytes(), bad_file("seems delimited by ';'"));
}

#[cfg(unix)]
#[test]
fn a_pipe_is_not_called_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("c.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        panic!("mkfifo is needed for this test");
    }
    let err = segue_ingest::ingest(&tmp.path().join("lib"), &opts(&fifo)).unwrap_err();
    check_error(&err, &fifo, bad_file("not a regular file"));
    // Nothing was created for the refused catalogue.
    assert!(!tmp.path().join("lib/tracks.lance").exists());
}

#[test]
fn a_raw_embedding_file_of_dimension_zero_is_an_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = write(tmp.path(), "c.csv", "track_id,duration_s\nt1,60\n");
    let raw = tmp.path().join("e.f32");
    std::fs::File::create(&raw)
        .unwrap()
        .write_all(&[0u8; 16])
        .unwrap();
    let mut o = opts(&cat);
    o.audio_emb_file = Some(raw);
    o.audio_dim = Some(0);
    let err = segue_ingest::ingest(&tmp.path().join("lib"), &o).unwrap_err();
    assert!(err.to_string().contains("at least 1"), "{err}");
}
