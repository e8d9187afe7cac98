//! `segue analyze`: a generated 4/4 drum loop's tempo, beats and bars as JSON; a file that is
//! not audio is named in the error while the other files are still analysed.

use std::path::Path;

use serde_json::Value;

use super::helpers::{segue, succeeded};

/// 16-bit mono WAV.
fn write_wav(path: &Path, samples: &[f32], rate: u32) {
    segue::models::audio::wav::write_pcm16_wav(path, samples, 1, rate).unwrap();
}

/// 20 s at 120 BPM from 0.5 s: a kick on each bar's first beat, a snare on 2 and 4, a
/// hi-hat tick on every beat.
fn drum_loop(rate: u32) -> Vec<f32> {
    let sr = f64::from(rate);
    let mut x = vec![0f32; (20.0 * sr) as usize];
    let mut seed = 7u64;
    let mut noise = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        ((seed >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
    };
    for beat in 0..38 {
        let start = ((0.5 + beat as f64 * 0.5) * sr) as usize;
        for i in 0..(0.2 * sr) as usize {
            let t = i as f64 / sr;
            let mut v = 0.08 * (-t * 150.0).exp() * noise();
            if beat % 4 == 0 {
                v += 0.8 * (-t * 18.0).exp() * (2.0 * std::f64::consts::PI * 55.0 * t).sin();
            }
            if beat % 2 == 1 {
                v += 0.3 * (-t * 30.0).exp() * noise();
            }
            if let Some(s) = x.get_mut(start + i) {
                *s += v as f32;
            }
        }
    }
    x
}

#[test]
fn a_drum_loop_gives_its_tempo_beats_and_bars() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("loop.wav");
    write_wav(&wav, &drum_loop(22_050), 22_050);
    let out = segue()
        .args(["analyze", "--json"])
        .arg(&wav)
        .output()
        .unwrap();
    succeeded(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v["bpm"].as_f64().unwrap() - 120.0).abs() < 2.0, "{v}");
    assert_eq!(v["beats_per_bar"], 4, "{v}");
    let beats: Vec<f64> = serde_json::from_value(v["beats"].clone()).unwrap();
    let downbeats: Vec<f64> = serde_json::from_value(v["downbeats"].clone()).unwrap();
    assert!(beats.len() >= 36, "{beats:?}");
    // Every beat within 70 ms of the loop's grid, every downbeat on a kick.
    for b in &beats {
        let k = ((b - 0.5) / 0.5).round();
        assert!((b - (0.5 + k * 0.5)).abs() < 0.07, "beat at {b}");
    }
    for d in &downbeats {
        let k = ((d - 0.5) / 2.0).round();
        assert!((d - (0.5 + k * 2.0)).abs() < 0.07, "downbeat at {d}");
    }
    assert!(downbeats.len() >= 9, "{downbeats:?}");
    assert_eq!(v["file"], wav.display().to_string());
}

#[test]
fn a_file_that_is_not_audio_is_named_and_the_others_still_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("loop.wav");
    write_wav(&wav, &drum_loop(16_000), 16_000);
    let bad = dir.path().join("notes.wav");
    std::fs::write(&bad, "these are not samples").unwrap();
    let out = segue().arg("analyze").arg(&bad).arg(&wav).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("notes.wav"), "{stderr}");
    assert!(stderr.contains("1 of 2 files"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("loop.wav") && stdout.contains("120."),
        "{stdout}"
    );
}
