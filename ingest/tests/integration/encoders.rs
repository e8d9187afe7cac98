//! Ingest with the encoders: caption embeddings fill `text_emb`, audio analysis fills the
//! acoustic columns and `audio_emb`, the encoder is recorded, and bad audio rejects its row only.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use segue_index::EmbeddingKind;
use segue_ingest::models::audio::wav;
use segue_ingest::models::{
    AudioAnalyzer, AudioAnalyzerOptions, Precision, TextEncoder, TextEncoderOptions,
};
use segue_ingest::{AudioIngest, IngestError, IngestOptions, OnDuplicate, ingest};

use crate::helpers::{floats, open, strings, tags, write};

fn text_encoder(precision: Precision) -> Arc<TextEncoder> {
    static FP32: OnceLock<Arc<TextEncoder>> = OnceLock::new();
    static INT8: OnceLock<Arc<TextEncoder>> = OnceLock::new();
    let cell = match precision {
        Precision::Fp32 => &FP32,
        Precision::Int8 => &INT8,
    };
    cell.get_or_init(|| {
        Arc::new(
            TextEncoder::load(&TextEncoderOptions {
                precision,
                intra_threads: 2,
                ..TextEncoderOptions::default()
            })
            .expect("text encoder"),
        )
    })
    .clone()
}

fn analyzer() -> Arc<AudioAnalyzer> {
    static A: OnceLock<Arc<AudioAnalyzer>> = OnceLock::new();
    A.get_or_init(|| {
        Arc::new(
            AudioAnalyzer::load(&AudioAnalyzerOptions {
                threads: 2,
                ..AudioAnalyzerOptions::default()
            })
            .expect("audio analyser"),
        )
    })
    .clone()
}

fn with_text(catalog: &Path, precision: Precision) -> IngestOptions {
    IngestOptions {
        text_encoder: Some(text_encoder(precision)),
        ..IngestOptions::new(catalog)
    }
}

fn with_audio(catalog: &Path, dir: Option<PathBuf>) -> IngestOptions {
    IngestOptions {
        audio: Some(AudioIngest::new(analyzer(), dir)),
        ..IngestOptions::new(catalog)
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// PCM16 mono WAV of a click track at `bpm` with a tone underneath.
fn write_clicks(path: &Path, bpm: f64, seconds: f64) {
    let sr = 22_050u32;
    let n = (f64::from(sr) * seconds) as usize;
    let beat = 60.0 / bpm;
    let samples: Vec<i16> = (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(sr);
            let tb = t % beat;
            let click = 0.7 * (-tb / 0.01).exp() * (2.0 * PI * 2000.0 * tb).sin();
            let hum = 0.05 * (2.0 * PI * 220.0 * t).sin();
            ((click + hum) * 32_000.0) as i16
        })
        .collect();
    std::fs::write(path, wav::pcm16_wav(&samples, 1, sr).unwrap()).unwrap();
}

#[test]
fn captions_and_composed_captions_fill_text_emb_and_the_encoder_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    let cat = write(
        dir.path(),
        "c.csv",
        "track_id,title,artist,duration_s,tags,bpm,caption\n\
         a,Sunny Road,The Band,120,genre:pop;mood:happy,121,warm acoustic guitar for a road trip\n\
         b,Night Drive,Synth Co,200,genre:electronic,100,\n",
    );
    let s = ingest(&lib, &with_text(&cat, Precision::Fp32)).unwrap();
    assert_eq!(s.text_embedded, 2);
    assert_eq!(
        s.encoders,
        vec![("text_emb".to_string(), "all-MiniLM-L6-v2/fp32".to_string())]
    );
    let l = open(&lib);
    assert_eq!(l.dims().text, Some(384));
    assert_eq!(
        l.manifest().embeddings["text_emb"].encoder.as_deref(),
        Some("all-MiniLM-L6-v2/fp32")
    );
    let enc = text_encoder(Precision::Fp32);
    let want = enc
        .embed(&[
            "warm acoustic guitar for a road trip",
            "Night Drive by Synth Co. electronic. 100 BPM.",
        ])
        .unwrap();
    let v = l.vectors(EmbeddingKind::Text).unwrap();
    assert!(dot(v.row(0), &want[0]) > 0.9999);
    assert!(dot(v.row(1), &want[1]) > 0.9999);

    // Appending with the same encoder fills the new rows too.
    let more = write(
        dir.path(),
        "d.csv",
        "track_id,title,duration_s\nc,Calm Waters,90\n",
    );
    ingest(&lib, &with_text(&more, Precision::Fp32)).unwrap();
    assert_eq!(open(&lib).rows(), 3);

    // Another encoder's vectors are not comparable: refused, library unchanged.
    let other = write(dir.path(), "e.csv", "track_id,title,duration_s\nd,X,90\n");
    let err = ingest(&lib, &with_text(&other, Precision::Int8)).unwrap_err();
    assert!(matches!(err, IngestError::InvalidOptions(_)), "{err:?}");
    assert!(err.to_string().contains("all-MiniLM-L6-v2/fp32"), "{err}");
    assert_eq!(open(&lib).rows(), 3);

    // Duplicates the encoders pass over are settled by the duplicate policy, not validation.
    let again = ingest(
        &lib,
        &IngestOptions {
            on_duplicate: OnDuplicate::Skip,
            ..with_text(&cat, Precision::Fp32)
        },
    )
    .unwrap();
    assert_eq!((again.rows_skipped_duplicate, again.text_embedded), (2, 0));
    let err = ingest(&lib, &with_text(&cat, Precision::Fp32)).unwrap_err();
    assert!(err.to_string().contains("already in the library"), "{err}");
}

#[test]
fn a_text_space_of_unknown_origin_is_not_mixed_with_encoder_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    let first = write(
        dir.path(),
        "a.csv",
        "track_id,duration_s,text_emb\na,60,\"[0.1,0.2,0.3]\"\n",
    );
    ingest(&lib, &IngestOptions::new(&first)).unwrap();
    let second = write(dir.path(), "b.csv", "track_id,duration_s\nb,60\n");
    let err = ingest(&lib, &with_text(&second, Precision::Fp32)).unwrap_err();
    assert!(err.to_string().contains("no recorded encoder"), "{err}");
}

#[test]
fn audio_analysis_fills_features_embedding_and_tags_and_rejects_bad_audio() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    let audio = dir.path().join("audio");
    std::fs::create_dir(&audio).unwrap();
    write_clicks(&audio.join("one.wav"), 120.0, 8.0);
    write_clicks(&audio.join("two.wav"), 90.0, 8.0);
    std::fs::write(
        audio.join("broken.mp3"),
        b"not audio at all, just some bytes",
    )
    .unwrap();
    let cat = write(
        dir.path(),
        "c.csv",
        "track_id,title,duration_s,bpm,audio_path\n\
         t1,One,,,audio/one.wav\n\
         t2,Two,7.5,95,audio/two.wav\n\
         t3,Broken,,,audio/broken.mp3\n\
         t4,Missing,,,audio/nowhere.wav\n",
    );
    // Without --skip-bad-rows the first bad file stops the ingest and nothing is published.
    let err = ingest(&lib, &with_audio(&cat, None)).unwrap_err();
    match &err {
        IngestError::BadRow { error, .. } => {
            assert_eq!(error.row, 3);
            assert_eq!(error.field, "audio_path");
            assert!(error.reason.contains("broken.mp3"), "{}", error.reason);
        }
        other => panic!("expected a bad row, got {other:?}"),
    }
    assert!(!lib.join("MANIFEST.json").exists());

    let s = ingest(
        &lib,
        &IngestOptions {
            skip_bad_rows: true,
            ..with_audio(&cat, None)
        },
    )
    .unwrap();
    assert_eq!((s.rows_added, s.rows_rejected, s.audio_analyzed), (2, 2, 2));
    let rejects = std::fs::read_to_string(s.rejects_file.unwrap()).unwrap();
    assert!(
        rejects.contains("broken.mp3") && rejects.contains("nowhere.wav"),
        "{rejects}"
    );
    let l = open(&lib);
    assert_eq!(l.dims().audio, Some(200));
    assert_eq!(
        l.manifest().embeddings["audio_emb"].encoder.as_deref(),
        Some("musicnn-MTT/penultimate-mean")
    );
    let d = floats(&l, &[0, 1], "duration_s");
    assert!((d[0].unwrap() - 8.0).abs() < 1e-3, "{d:?}");
    assert_eq!(d[1], Some(7.5), "the catalogue's duration wins");
    let bpm = floats(&l, &[0, 1], "bpm");
    assert!((bpm[0].unwrap() - 120.0).abs() <= 2.0, "{bpm:?}");
    assert_eq!(bpm[1], Some(95.0), "the catalogue's BPM wins");
    for c in ["energy", "spectral_centroid"] {
        assert!(
            floats(&l, &[0, 1], c)
                .iter()
                .all(|x| x.is_some_and(|v| v > 0.0)),
            "{c}"
        );
    }
    assert!(
        !tags(&l, 0).is_empty() || !tags(&l, 1).is_empty(),
        "musicnn tags"
    );
    // The file analysed, as an absolute path (the catalogue said `audio/one.wav`).
    let stored = strings(&l, &[0], "audio_path")[0].clone().unwrap();
    assert!(Path::new(&stored).is_absolute(), "{stored}");
    assert!(stored.ends_with("audio/one.wav"), "{stored}");
}

#[test]
fn an_audio_folder_is_a_catalogue_and_files_are_found_by_track_id() {
    let dir = tempfile::tempdir().unwrap();
    let audio = dir.path().join("music");
    std::fs::create_dir_all(audio.join("album")).unwrap();
    write_clicks(&audio.join("album/intro.wav"), 100.0, 4.0);
    write_clicks(&audio.join("outro.wav"), 140.0, 4.0);
    std::fs::write(audio.join("notes.txt"), "not a track").unwrap();

    let lib = dir.path().join("lib");
    let s = ingest(&lib, &with_audio(&audio, Some(audio.clone()))).unwrap();
    assert_eq!(s.format, "audio-dir");
    assert_eq!(s.rows_added, 2);
    let l = open(&lib);
    assert_eq!(l.track_ids().unwrap(), vec!["album/intro", "outro"]);
    assert_eq!(
        strings(&l, &[0, 1], "title"),
        vec![Some("intro".to_string()), Some("outro".to_string())]
    );

    // A catalogue without audio_path: DIR/<track_id>.<ext>, with captions embedded too.
    let lib2 = dir.path().join("lib2");
    let cat = write(
        dir.path(),
        "c.csv",
        "track_id,title,tags\noutro,Outro,rock\n",
    );
    let s = ingest(
        &lib2,
        &IngestOptions {
            text_encoder: Some(text_encoder(Precision::Fp32)),
            ..with_audio(&cat, Some(audio.clone()))
        },
    )
    .unwrap();
    assert_eq!((s.rows_added, s.audio_analyzed, s.text_embedded), (1, 1, 1));
    let l = open(&lib2);
    assert_eq!(l.dims().audio, Some(200));
    assert_eq!(l.dims().text, Some(384));
    assert!(
        strings(&l, &[0], "audio_path")[0]
            .as_deref()
            .is_some_and(|p| p.ends_with("outro.wav"))
    );
}
