//! Features of audio the tests make themselves: click tracks, tones, silence, noise.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use segue_models::audio::wav;
use segue_models::{AudioAnalyzer, AudioAnalyzerOptions};

/// Writes a PCM16 WAV file; `channels` interleaved copies of `mono`.
pub fn write_wav(path: &Path, mono: &[f32], sample_rate: u32, channels: u16) {
    let interleaved: Vec<f32> = mono
        .iter()
        .flat_map(|&x| std::iter::repeat_n(x, usize::from(channels)))
        .collect();
    wav::write_pcm16_wav(path, &interleaved, channels, sample_rate).unwrap();
}

/// A click (a 2 kHz burst decaying over ~10 ms) on every beat.
pub fn click_track(bpm: f64, sample_rate: u32, seconds: f64) -> Vec<f32> {
    let sr = f64::from(sample_rate);
    let n = (sr * seconds) as usize;
    let mut x = vec![0f32; n];
    let period = 60.0 / bpm;
    let mut t = 0.05;
    while t < seconds {
        let start = (t * sr) as usize;
        for i in 0..(0.03 * sr) as usize {
            if start + i >= n {
                break;
            }
            let tt = i as f64 / sr;
            x[start + i] += (0.8 * (-tt / 0.01).exp() * (2.0 * PI * 2000.0 * tt).sin()) as f32;
        }
        t += period;
    }
    x
}

pub fn tone(freq: f64, sample_rate: u32, seconds: f64, amp: f64) -> Vec<f32> {
    (0..(f64::from(sample_rate) * seconds) as usize)
        .map(|i| (amp * (2.0 * PI * freq * i as f64 / f64::from(sample_rate)).sin()) as f32)
        .collect()
}

/// Deterministic white noise in [-amp, amp] (xorshift).
pub fn noise(n: usize, amp: f32) -> Vec<f32> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amp
        })
        .collect()
}

fn wav(dir: &Path, name: &str, mono: &[f32], sr: u32, channels: u16) -> PathBuf {
    let p = dir.join(name);
    write_wav(&p, mono, sr, channels);
    p
}

#[test]
fn click_tracks_at_known_tempos() {
    let dir = tempfile::tempdir().unwrap();
    let a = AudioAnalyzer::features_only(2);
    for (bpm, sr, ch) in [(80.0, 22_050, 1), (120.0, 44_100, 2), (150.0, 16_000, 1)] {
        let p = wav(
            dir.path(),
            &format!("click{bpm}.wav"),
            &click_track(bpm, sr, 20.0),
            sr,
            ch,
        );
        let f = a.analyze(&p).unwrap();
        let got = f64::from(f.bpm.expect("a click track has a tempo"));
        assert!(
            (got - bpm).abs() <= 2.0,
            "{bpm} BPM click track: estimated {got}"
        );
        assert!((f.duration_s - 20.0).abs() < 1e-3, "{}", f.duration_s);
        assert_eq!(f.channels, ch);
        assert_eq!(f.sample_rate, sr);
    }
}

#[test]
fn centroid_of_a_pure_tone_is_its_frequency() {
    let dir = tempfile::tempdir().unwrap();
    let a = AudioAnalyzer::features_only(1);
    for (freq, sr) in [(440.0, 44_100), (1000.0, 16_000), (3000.0, 48_000)] {
        let p = wav(
            dir.path(),
            &format!("tone{freq}.wav"),
            &tone(freq, sr, 3.0, 0.5),
            sr,
            1,
        );
        let f = a.analyze(&p).unwrap();
        let c = f64::from(f.spectral_centroid_hz);
        assert!(
            (c - freq).abs() / freq < 0.05,
            "{freq} Hz tone: centroid {c}"
        );
        // RMS of a sine of amplitude 0.5 is 0.5/√2.
        assert!(
            (f64::from(f.rms) - 0.5 / 2f64.sqrt()).abs() < 0.01,
            "rms {}",
            f.rms
        );
        assert_eq!(f.bpm, None, "a steady tone has no beat");
    }
}

#[test]
fn silence_has_no_nan() {
    let dir = tempfile::tempdir().unwrap();
    let p = wav(dir.path(), "silence.wav", &vec![0.0; 16_000 * 4], 16_000, 2);
    let f = AudioAnalyzer::features_only(1).analyze(&p).unwrap();
    assert_eq!(f.bpm, None);
    assert_eq!(f.rms, 0.0);
    assert_eq!(f.spectral_centroid_hz, 0.0);
    assert!(f.mfcc.iter().all(|x| x.is_finite()), "{:?}", f.mfcc);
    assert!((f.duration_s - 4.0).abs() < 1e-9);
}

#[test]
fn noise_is_bright_and_finite_and_gets_an_embedding() {
    let dir = tempfile::tempdir().unwrap();
    let p = wav(dir.path(), "noise.wav", &noise(16_000 * 7, 0.3), 16_000, 1);
    let a = AudioAnalyzer::load(&AudioAnalyzerOptions {
        threads: 1,
        ..Default::default()
    })
    .unwrap();
    let f = a.analyze(&p).unwrap();
    // White noise up to 8 kHz has its centroid near the middle of the band.
    assert!(
        f.spectral_centroid_hz > 3000.0 && f.spectral_centroid_hz < 5000.0,
        "{}",
        f.spectral_centroid_hz
    );
    assert!(f.mfcc.iter().all(|x| x.is_finite()));
    let e = f.embedding.unwrap();
    assert_eq!(e.len(), 200);
    assert!(e.iter().all(|x| x.is_finite()));
    assert!(e.iter().any(|&x| x != 0.0));
}

#[test]
fn silence_through_the_model_is_finite() {
    let dir = tempfile::tempdir().unwrap();
    // Shorter than one 3 s patch: padded to one.
    let p = wav(dir.path(), "short.wav", &vec![0.0; 8_000], 16_000, 1);
    let a = AudioAnalyzer::load(&AudioAnalyzerOptions {
        threads: 1,
        ..Default::default()
    })
    .unwrap();
    let f = a.analyze(&p).unwrap();
    assert!(f.embedding.unwrap().iter().all(|x| x.is_finite()));
    assert!(
        f.tag_probabilities
            .unwrap()
            .iter()
            .all(|x| (0.0..=1.0).contains(x))
    );
}

#[test]
fn many_files_in_parallel_keep_their_order_and_their_own_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good1 = wav(
        dir.path(),
        "a.wav",
        &tone(500.0, 16_000, 1.0, 0.3),
        16_000,
        1,
    );
    let bad = dir.path().join("b.wav");
    std::fs::write(&bad, b"RIFF garbage").unwrap();
    let good2 = wav(
        dir.path(),
        "c.wav",
        &tone(2000.0, 16_000, 1.0, 0.3),
        16_000,
        1,
    );
    let a = AudioAnalyzer::features_only(2);
    let count = std::sync::atomic::AtomicUsize::new(0);
    let out = a.analyze_many(&[good1, bad, good2], &|| {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(count.into_inner(), 3);
    assert!(out[0].as_ref().unwrap().spectral_centroid_hz < 1000.0);
    assert!(out[1].is_err());
    assert!(out[2].as_ref().unwrap().spectral_centroid_hz > 1500.0);
}

/// Writes a mono 16-bit FLAC file with VERBATIM subframes (no compression, but a real FLAC
/// stream: STREAMINFO, frame headers with CRC-8, frames with CRC-16).
pub fn write_flac(path: &Path, mono: &[f32], sample_rate: u32) {
    const BLOCK: usize = 4096;
    fn crc8(data: &[u8]) -> u8 {
        let mut crc = 0u8;
        for &b in data {
            crc ^= b;
            for _ in 0..8 {
                crc = if crc & 0x80 != 0 {
                    (crc << 1) ^ 0x07
                } else {
                    crc << 1
                };
            }
        }
        crc
    }
    fn crc16(data: &[u8]) -> u16 {
        let mut crc = 0u16;
        for &b in data {
            crc ^= u16::from(b) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x8005
                } else {
                    crc << 1
                };
            }
        }
        crc
    }
    let mut out = b"fLaC".to_vec();
    out.extend_from_slice(&[0x80, 0x00, 0x00, 34]); // last metadata block, STREAMINFO, 34 bytes
    out.extend_from_slice(&(BLOCK as u16).to_be_bytes());
    out.extend_from_slice(&(BLOCK as u16).to_be_bytes());
    out.extend_from_slice(&[0; 6]); // frame sizes unknown
    // sample rate (20 bits), channels − 1 = 0 (3 bits), bits − 1 = 15 (5 bits), samples (36).
    let packed: u64 = (u64::from(sample_rate) << 44) | (15u64 << 36) | mono.len() as u64;
    out.extend_from_slice(&packed.to_be_bytes());
    out.extend_from_slice(&[0; 16]); // MD5 unknown
    for (n, block) in mono.chunks(BLOCK).enumerate() {
        assert!(n < 128, "one-byte frame numbers only");
        let mut frame = vec![0xFF, 0xF8, 0x70, 0x08, n as u8];
        frame.extend_from_slice(&((block.len() - 1) as u16).to_be_bytes());
        frame.push(crc8(&frame));
        frame.push(0x02); // VERBATIM subframe
        for &x in block {
            frame.extend_from_slice(&((x.clamp(-1.0, 1.0) * 32_767.0) as i16).to_be_bytes());
        }
        let crc = crc16(&frame);
        frame.extend_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(&frame);
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn flac_decodes_to_the_same_analysis_as_wav() {
    let dir = tempfile::tempdir().unwrap();
    let x = click_track(120.0, 22_050, 12.0);
    let flac = dir.path().join("clicks.flac");
    write_flac(&flac, &x, 22_050);
    let wav = wav(dir.path(), "clicks.wav", &x, 22_050, 1);
    let a = AudioAnalyzer::features_only(1);
    let from_flac = a.analyze(&flac).unwrap();
    let from_wav = a.analyze(&wav).unwrap();
    assert_eq!(from_flac, from_wav);
    assert!((f64::from(from_flac.bpm.unwrap()) - 120.0).abs() <= 2.0);
    assert!((from_flac.duration_s - 12.0).abs() < 1e-3);
}
