//! Renders of every transition kind over generated tracks, checked sample by sample.

use std::path::{Path, PathBuf};

use segue_query::arrange::{
    Arrangement, Bridge, Clip, ClipRole, DECLICK_S, Fade, Transition, TransitionKind,
};
use segue_render::loudness::{integrated_lufs, normalise};
use segue_render::{RenderError, RenderOptions, encode, mix, otio};

const RATE: u32 = 44_100;

/// A stereo tone track: `hz` on the left, `1.5 × hz` on the right, `seconds` long.
fn tone(dir: &Path, name: &str, hz: f32, seconds: f32, amplitude: f32) -> PathBuf {
    let path = dir.join(name);
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..(seconds * RATE as f32) as usize {
        let t = i as f32 / RATE as f32;
        let tau = std::f32::consts::TAU;
        w.write_sample(amplitude * (tau * hz * t).sin()).unwrap();
        w.write_sample(amplitude * (tau * 1.5 * hz * t).sin())
            .unwrap();
    }
    w.finalize().unwrap();
    path
}

fn clip(track: &str, source_in: f64, t_in: f64, t_out: f64, fade_in: f64, fade_out: f64) -> Clip {
    Clip {
        track_id: track.into(),
        row: 0,
        audio_path: None,
        role: ClipRole::Main,
        source_in,
        source_out: source_in + (t_out - t_in),
        timeline_in: t_in,
        timeline_out: t_out,
        gain_db: 0.0,
        fade_in: Fade::equal_power(fade_in),
        fade_out: Fade::equal_power(fade_out),
    }
}

/// Two clips joined by `kind` around 4 s, in a 10 s mix (a bridge: clips "a", "c", "b", the
/// bridge crossfading in over 3–4 s and out over 6–7 s).
fn two_clips(kind: TransitionKind) -> Arrangement {
    let mut bridge = None;
    let (a, b) = match kind {
        TransitionKind::Cut => (
            clip("a", 1.0, 0.0, 4.0 + DECLICK_S, DECLICK_S, DECLICK_S),
            clip("b", 2.0, 4.0, 10.0, DECLICK_S, 2.0),
        ),
        TransitionKind::Crossfade => (
            clip("a", 1.0, 0.0, 4.0, DECLICK_S, 2.0),
            clip("b", 2.0, 2.0, 10.0, 2.0, 2.0),
        ),
        TransitionKind::Fade => (
            clip("a", 1.0, 0.0, 4.0, DECLICK_S, 1.0),
            clip("b", 2.0, 4.0, 10.0, 1.0, 2.0),
        ),
        TransitionKind::Gap => (
            clip("a", 1.0, 0.0, 4.0, DECLICK_S, DECLICK_S),
            clip("b", 2.0, 4.5, 10.0, DECLICK_S, 2.0),
        ),
        TransitionKind::Bridge => {
            let mut c = clip("c", 0.5, 3.0, 7.0, 1.0, 1.0);
            c.role = ClipRole::Bridge;
            bridge = Some(c);
            (
                clip("a", 1.0, 0.0, 4.0, DECLICK_S, 1.0),
                clip("b", 2.0, 6.0, 10.0, 1.0, 2.0),
            )
        }
    };
    Arrangement {
        duration: 10.0,
        transitions: vec![Transition {
            segment: 1,
            kind,
            reason: "test".into(),
            from_track: "a".into(),
            to_track: "b".into(),
            boundary: 4.0,
            out_fade_start: a.timeline_out - a.fade_out.seconds,
            out_end: a.timeline_out,
            in_start: b.timeline_in,
            in_full: b.timeline_in + b.fade_in.seconds,
            beats: None,
            out_on_downbeat: true,
            in_on_downbeat: true,
            bridge: bridge.as_ref().map(|c| Bridge {
                track_id: c.track_id.clone(),
                row: c.row,
                similarity: 0.9,
                start: c.timeline_in,
                end: c.timeline_out,
                bars: 2,
            }),
        }],
        clips: match bridge {
            Some(c) => vec![a, c, b],
            None => vec![a, b],
        },
        ends_on_bar: true,
    }
}

fn no_progress(_: usize, _: usize) {}

fn unnormalised() -> RenderOptions {
    RenderOptions {
        target_lufs: None,
        ..Default::default()
    }
}

/// The largest step between neighbouring samples of `x` over `range`.
fn max_step(x: &[f32], range: std::ops::Range<usize>) -> f32 {
    x[range.start.max(1)..range.end.min(x.len())]
        .iter()
        .zip(&x[range.start.max(1) - 1..])
        .map(|(b, a)| (b - a).abs())
        .fold(0.0, f32::max)
}

#[test]
fn every_transition_renders_its_gain_curves_exactly_and_never_clicks() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, hz| {
        let path = tone(dir.path(), name, hz, 12.0, 0.5);
        let stereo = segue_models::audio::decode::decode_stereo(&path).unwrap();
        (path, stereo)
    };
    let (a, b, c) = (
        file("a.wav", 220.0),
        file("b.wav", 330.0),
        file("c.wav", 275.0),
    );
    for kind in TransitionKind::ALL {
        let arr = two_clips(kind);
        let sources: Vec<_> = arr
            .clips
            .iter()
            .map(|clip| match clip.track_id.as_str() {
                "a" => &a,
                "b" => &b,
                _ => &c,
            })
            .collect();
        let paths: Vec<PathBuf> = sources.iter().map(|s| s.0.clone()).collect();
        let m = mix(&arr, &paths, &unnormalised(), &no_progress).unwrap();
        assert_eq!(
            m.frames(),
            10 * RATE as usize,
            "{kind:?}: exactly the video's length"
        );
        // Every output sample is the sum of the sources under their envelopes.
        for n in (0..m.frames()).step_by(97) {
            let t = n as f64 / f64::from(RATE);
            let from = |c: &Clip, s: &segue_models::audio::decode::Stereo| {
                let start = (c.timeline_in * f64::from(RATE)).round() as usize;
                let end = (c.timeline_out * f64::from(RATE)).round() as usize;
                if n < start || n >= end {
                    return 0.0;
                }
                let k = (c.source_in * f64::from(RATE)).round() as usize + (n - start);
                s.left[k] * c.envelope(t) as f32
            };
            let want: f32 = arr
                .clips
                .iter()
                .zip(&sources)
                .map(|(clip, source)| from(clip, &source.1))
                .sum();
            assert!((m.left[n] - want).abs() < 1e-5, "{kind:?} at {t} s");
        }
        // No edit point steps further than the sources themselves do (their own largest step,
        // 0.5 × 2π × 495 Hz / 44.1 kHz ≈ 0.035).
        let own = sources
            .iter()
            .map(|s| max_step(&s.1.right, 0..s.1.right.len()))
            .fold(0.0, f32::max);
        for c in &arr.clips {
            for edge in [c.timeline_in, c.timeline_out] {
                let f = m.frame_at(edge);
                let around = f.saturating_sub(441)..f + 441;
                for ch in [&m.left, &m.right] {
                    let step = max_step(ch, around.clone());
                    assert!(
                        step <= own * 1.01,
                        "{kind:?}: step {step} at {edge} s > {own}"
                    );
                }
            }
        }
        // The gap is silent, the fade reaches silence on its edge.
        if kind == TransitionKind::Gap {
            let silent = m.frame_at(4.01)..m.frame_at(4.49);
            assert!(m.left[silent].iter().all(|x| *x == 0.0));
        }
        assert!(m.left[m.frames() - 1].abs() < 1e-3, "fades out at the end");
    }
}

#[test]
fn loudness_reaches_the_target_and_no_sample_clips() {
    let dir = tempfile::tempdir().unwrap();
    // Loud and peaky: −16 LUFS needs the limiter on these.
    let a = tone(dir.path(), "a.wav", 220.0, 12.0, 0.9);
    let b = tone(dir.path(), "b.wav", 330.0, 12.0, 0.05);
    let arr = two_clips(TransitionKind::Crossfade);
    for target in [-23.0, -16.0, -9.0] {
        let mut m = mix(&arr, &[a.clone(), b.clone()], &unnormalised(), &no_progress).unwrap();
        let report = normalise(&mut m, target, -1.0);
        let got = integrated_lufs(&m).unwrap();
        assert!(
            (got - target).abs() < 0.2,
            "target {target}: {got} ({report:?})"
        );
        assert!(m.peak() <= 10f32.powf(-1.0 / 20.0) + 1e-6, "{report:?}");
    }
}

#[test]
fn wav_and_flac_hold_the_mix() {
    let dir = tempfile::tempdir().unwrap();
    let a = tone(dir.path(), "a.wav", 220.0, 12.0, 0.5);
    let b = tone(dir.path(), "b.wav", 330.0, 12.0, 0.5);
    let arr = two_clips(TransitionKind::Fade);
    let m = mix(&arr, &[a, b], &unnormalised(), &no_progress).unwrap();
    let want = encode::to_i16_dithered(&m);
    for name in ["mix.wav", "mix.flac"] {
        let out = dir.path().join(name);
        encode::write(&m, &out).unwrap();
        let back = segue_models::audio::decode::decode_stereo(&out).unwrap();
        assert_eq!(back.sample_rate, RATE);
        assert_eq!(back.left.len(), m.frames(), "{name}");
        for n in (0..m.frames()).step_by(101) {
            let l = f32::from(want[2 * n]) / 32768.0;
            assert!((back.left[n] - l).abs() < 1e-4, "{name} frame {n}");
        }
    }
    let e = encode::write(&m, &dir.path().join("mix.mp3")).unwrap_err();
    assert!(matches!(e, RenderError::UnsupportedOutput { .. }), "{e}");
}

#[test]
fn bad_plans_name_the_track_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = tone(dir.path(), "a.wav", 220.0, 12.0, 0.5);
    let arr = two_clips(TransitionKind::Cut);
    let missing = dir.path().join("gone.wav");
    let e = mix(
        &arr,
        &[a.clone(), missing.clone()],
        &unnormalised(),
        &no_progress,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("track b") && msg.contains("gone.wav"), "{msg}");
    let garbage = dir.path().join("noise.ogg");
    std::fs::write(&garbage, b"OggS but not really an ogg file at all").unwrap();
    let msg = mix(&arr, &[a.clone(), garbage], &unnormalised(), &no_progress)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("track b") && msg.contains("noise.ogg"),
        "{msg}"
    );
    let short = tone(dir.path(), "short.wav", 220.0, 1.0, 0.5);
    let msg = mix(&arr, &[a.clone(), short], &unnormalised(), &no_progress)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("track b") && msg.contains("only 1.000 s"),
        "{msg}"
    );
    let mut late = arr.clone();
    late.clips[1].timeline_out = 11.0;
    late.clips[1].source_out = late.clips[1].source_in + 7.0;
    let msg = mix(&late, &[a.clone(), a], &unnormalised(), &no_progress)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("after the video"), "{msg}");
}

#[test]
fn the_otio_timeline_puts_every_clip_where_the_edit_list_does() {
    let arr = two_clips(TransitionKind::Crossfade);
    let paths = vec![Some(PathBuf::from("/music/a.wav")), None];
    let t = otio::timeline(&arr, "v", &paths, RATE);
    let tracks = t["tracks"]["children"].as_array().unwrap();
    assert_eq!(tracks.len(), 2);
    let b = &tracks[1]["children"];
    assert_eq!(b[0]["OTIO_SCHEMA"], "Gap.1");
    assert_eq!(b[0]["source_range"]["duration"]["value"], 2.0 * RATE as f64);
    assert_eq!(b[1]["name"], "b");
    assert_eq!(
        b[1]["source_range"]["start_time"]["value"],
        2.0 * RATE as f64
    );
    assert_eq!(
        b[1]["media_references"]["DEFAULT_MEDIA"]["OTIO_SCHEMA"],
        "MissingReference.1"
    );
    let a = &tracks[0]["children"][0];
    assert_eq!(
        a["media_references"]["DEFAULT_MEDIA"]["target_url"],
        "file:///music/a.wav"
    );
    assert_eq!(t["tracks"]["markers"][0]["name"], "crossfade");

    // A bridge: its clip between the two sides on the other track, its role and its track
    // named in the metadata; the two sides share track A, one after the other.
    let arr = two_clips(TransitionKind::Bridge);
    let t = otio::timeline(&arr, "v", &[None, None, None], RATE);
    let tracks = t["tracks"]["children"].as_array().unwrap();
    let names = |k: usize| -> Vec<&str> {
        tracks[k]["children"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["OTIO_SCHEMA"] == "Clip.2")
            .map(|c| c["name"].as_str().unwrap())
            .collect()
    };
    assert_eq!((names(0), names(1)), (vec!["a", "b"], vec!["c"]));
    let bridge = &tracks[1]["children"][1];
    assert_eq!(bridge["metadata"]["segue"]["role"], "bridge");
    let marker = &t["tracks"]["markers"][0];
    assert_eq!(marker["name"], "bridge");
    assert_eq!(marker["metadata"]["segue"]["bridge_track"], "c");
}

/// A range decode (a seek, then decoding to the end of the range) gives exactly the samples of
/// a whole decode at the frame it reports, for WAV and for the real catalogue's Ogg Vorbis.
#[test]
fn a_range_decode_matches_the_whole_decode_at_its_frame() {
    use segue_models::audio::decode::{decode_stereo, decode_stereo_range};
    let dir = tempfile::tempdir().unwrap();
    let wav = tone(dir.path(), "a.wav", 220.0, 12.0, 0.5);
    let ogg = Path::new("/usr/share/games/wesnoth/1.16/data/core/music/defeat.ogg");
    let mut files = vec![wav];
    if ogg.is_file() {
        files.push(ogg.to_path_buf());
    }
    for file in files {
        let whole = decode_stereo(&file).unwrap();
        let rate = f64::from(whole.sample_rate);
        // defeat.ogg lasts 8.49 s.
        for (from, until) in [(3.0, 5.0), (6.25, 8.0), (0.0, 1.0)] {
            let (part, first) = decode_stereo_range(&file, from, until).unwrap();
            let first = first as usize;
            assert!(
                first as f64 <= from * rate,
                "{}: starts at {first}",
                file.display()
            );
            assert!(
                (first + part.left.len()) as f64 >= until * rate,
                "{} {from}–{until} s: {first} + {}",
                file.display(),
                part.left.len()
            );
            let worst = part
                .left
                .iter()
                .zip(&whole.left[first..])
                .chain(part.right.iter().zip(&whole.right[first..]))
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                worst < 1e-6,
                "{} {from}–{until} s: differs by {worst}",
                file.display()
            );
        }
    }
}
