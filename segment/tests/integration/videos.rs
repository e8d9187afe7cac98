use segue_segment::{
    BoundaryKind, Count, Method, SegmentError, SegmentOptions, VideoOptions, segment_video,
};

use segue_fixtures::video_files::{FPS, Scene, cut_video, fade_video};

const FRAME: f64 = 1.0 / FPS as f64;

fn colour(c: &'static str, seconds: f64) -> Scene {
    // `color` takes its colour as the first option.
    Scene {
        source: match c {
            "red" => "color=c=red",
            "blue" => "color=c=blue",
            "green" => "color=c=green",
            _ => "color=c=white",
        },
        seconds,
    }
}

#[test]
fn hard_cuts_between_colours_patterns_and_noise_are_found_within_one_frame() {
    let dir = tempfile::tempdir().unwrap();
    let scenes = [
        colour("red", 3.0),
        Scene {
            source: "testsrc2",
            seconds: 4.0,
        },
        colour("blue", 2.5),
        Scene {
            source: "nullsrc,geq=lum=random(1)*255:cb=128:cr=128",
            seconds: 3.0,
        },
        colour("green", 2.0),
    ];
    let (path, cuts) = cut_video(dir.path(), "cuts", &scenes).unwrap();
    let got = segment_video(&path, &VideoOptions::default()).unwrap();
    let found: Vec<f64> = got
        .shots
        .iter()
        .filter(|s| s.kind == BoundaryKind::Cut)
        .map(|s| s.time)
        .collect();
    assert_eq!(found.len(), cuts.len(), "cuts {cuts:?}, found {found:?}");
    for (want, have) in cuts.iter().zip(&found) {
        assert!(
            (want - have).abs() <= FRAME + 1e-6,
            "cut at {want} found at {have}"
        );
    }
    assert!(
        (got.duration - 14.5).abs() <= 2.0 * FRAME,
        "{}",
        got.duration
    );
    // The segments tile the video and carry their shot counts.
    let segs = &got.video.segments;
    assert!((segs[0].start - 0.0).abs() < 1e-9);
    assert!((segs.last().unwrap().end - got.duration).abs() < 0.1);
    let shots: u32 = segs.iter().map(|s| s.shot_count.unwrap()).sum();
    assert_eq!(shots as usize, cuts.len() + 1);
}

/// Issue 17 (found by benches `segment_bench`, textures and colours sets): a shot of heavy grain,
/// whose content difference reaches the threshold at every frame, was cut again every 0.6 s, and
/// a black shot between two cuts got a third boundary in its middle, as if it were a fade.
#[test]
fn issue_17_grain_is_one_shot_and_a_black_shot_is_not_a_fade() {
    let dir = tempfile::tempdir().unwrap();
    let scenes = [
        colour("red", 3.0),
        Scene {
            // Dark red with temporal noise: its hue wraps around 0/179 from frame to frame.
            source: "color=c=0x602020,noise=alls=30:allf=t",
            seconds: 3.0,
        },
        colour("blue", 3.0),
        Scene {
            source: "color=c=black",
            seconds: 3.0,
        },
        colour("green", 3.0),
    ];
    let (path, cuts) = cut_video(dir.path(), "grain", &scenes).unwrap();
    let got = segment_video(&path, &VideoOptions::default()).unwrap();
    let found: Vec<(f64, BoundaryKind)> = got.shots.iter().map(|s| (s.time, s.kind)).collect();
    assert_eq!(found.len(), cuts.len(), "cuts {cuts:?}, found {found:?}");
    for (want, (have, kind)) in cuts.iter().zip(&found) {
        assert!(
            (want - have).abs() <= FRAME + 1e-6 && *kind == BoundaryKind::Cut,
            "cut at {want} found at {have} ({kind:?})"
        );
    }
}

#[test]
fn a_fade_through_black_is_one_boundary_in_the_middle_of_the_black() {
    let dir = tempfile::tempdir().unwrap();
    let (path, middle) = fade_video(dir.path(), 4.0, 1.0, 1.0, 10.0).unwrap();
    let got = segment_video(&path, &VideoOptions::default()).unwrap();
    let fades: Vec<f64> = got
        .shots
        .iter()
        .filter(|s| s.kind == BoundaryKind::Fade)
        .map(|s| s.time)
        .collect();
    assert_eq!(fades.len(), 1, "{:?}", got.shots);
    assert!(
        (fades[0] - middle).abs() <= 0.5,
        "fade at {middle} found at {}",
        fades[0]
    );
    assert!(
        got.shots.iter().all(|s| s.kind == BoundaryKind::Fade),
        "a fade is not also a cut: {:?}",
        got.shots
    );
}

#[test]
fn a_video_without_a_cut_is_one_shot_and_segments_keep_the_minimum_length() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = cut_video(
        dir.path(),
        "still",
        &[Scene {
            source: "testsrc2",
            seconds: 30.0,
        }],
    )
    .unwrap();
    let got = segment_video(&path, &VideoOptions::default()).unwrap();
    assert!(got.shots.is_empty(), "{:?}", got.shots);
    let min = SegmentOptions::default().min_length;
    for s in &got.video.segments {
        assert!(s.end - s.start >= min - 1e-6, "{s:?}");
        assert!(s.motion.unwrap() >= 0.0);
    }
    // Asking for more segments than the minimum length allows is capped, not violated.
    let mut opts = VideoOptions::default();
    opts.segments.count = Count::Segments(10);
    let got = segment_video(&path, &opts).unwrap();
    assert!(
        got.video.segments.len() <= 3,
        "{}",
        got.video.segments.len()
    );
    for s in &got.video.segments {
        assert!(s.end - s.start >= min - 1e-6, "{s:?}");
    }
}

#[test]
fn segments_from_shots_start_where_the_shots_start() {
    let dir = tempfile::tempdir().unwrap();
    let scenes = [
        colour("red", 9.0),
        colour("blue", 9.0),
        colour("green", 9.0),
    ];
    let (path, cuts) = cut_video(dir.path(), "shots", &scenes).unwrap();
    let mut opts = VideoOptions::default();
    opts.segments.method = Method::Shots;
    let got = segment_video(&path, &opts).unwrap();
    let starts: Vec<f64> = got.video.segments[1..].iter().map(|s| s.start).collect();
    assert_eq!(starts.len(), cuts.len(), "{starts:?}");
    for (want, have) in cuts.iter().zip(&starts) {
        assert!((want - have).abs() <= FRAME + 1e-6, "{want} vs {have}");
    }
}

#[test]
fn a_missing_or_corrupt_video_is_a_clear_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here.mp4");
    let err = segment_video(&missing, &VideoOptions::default()).unwrap_err();
    assert!(matches!(err, SegmentError::BadVideo { .. }), "{err}");
    assert!(err.to_string().contains("nothing-here.mp4"), "{err}");

    let corrupt = dir.path().join("corrupt.mp4");
    std::fs::write(
        &corrupt,
        b"\x00\x00\x00\x18ftypmp42 this is not a video at all",
    )
    .unwrap();
    let err = segment_video(&corrupt, &VideoOptions::default()).unwrap_err();
    assert!(matches!(err, SegmentError::BadVideo { .. }), "{err}");
    assert!(err.to_string().contains("corrupt.mp4"), "{err}");
}
