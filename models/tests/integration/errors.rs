//! Files that are not usable audio fail with an error naming them, never a panic.

use segue_models::{AudioAnalyzer, ModelError};

fn analyze(name: &str, bytes: &[u8]) -> (String, ModelError) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    let e = AudioAnalyzer::features_only(1).analyze(&p).unwrap_err();
    (p.display().to_string(), e)
}

#[test]
fn corrupt_files_are_clear_errors() {
    let cases: [(&str, &[u8]); 5] = [
        (
            "random.wav",
            &[
                0x13, 0x77, 0x42, 0x00, 0x99, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70,
            ],
        ),
        (
            "text.mp3",
            b"this is a text file, not an mp3 at all; it has no frames whatsoever......",
        ),
        ("empty.flac", b""),
        ("truncated.wav", b"RIFF\x24\x00\x00\x00WAVEfmt "),
        (
            "fake.ogg",
            b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00garbage",
        ),
    ];
    for (name, bytes) in cases {
        let (path, e) = analyze(name, bytes);
        let msg = e.to_string();
        assert!(msg.contains(&path), "{name}: {msg}");
        assert!(
            matches!(
                e,
                ModelError::AudioDecode { .. }
                    | ModelError::AudioUnsupported { .. }
                    | ModelError::AudioEmpty { .. }
            ),
            "{name}: {e:?}"
        );
    }
}

#[test]
fn a_wav_with_a_header_and_no_samples_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nothing.wav");
    crate::synthetic_audio::write_wav(&p, &[], 16_000, 1);
    let e = AudioAnalyzer::features_only(1).analyze(&p).unwrap_err();
    assert!(e.to_string().contains("nothing.wav"), "{e}");
    assert!(
        matches!(
            e,
            ModelError::AudioEmpty { .. } | ModelError::AudioDecode { .. }
        ),
        "{e:?}"
    );
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let e = AudioAnalyzer::features_only(1)
        .analyze(std::path::Path::new("/nonexistent/track.wav"))
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/track.wav"), "{e}");
}
