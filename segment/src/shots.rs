//! Shot boundaries in a frame series: hard cuts where the content difference reaches a
//! threshold (PySceneDetect's `ContentDetector`), and fades through black (a run of dark frames
//! between two lit ones: the boundary is the run's middle).
//!
//! Frames at the threshold closer together than a shot are one event (PySceneDetect's "merge"
//! flash filter): a cut, a flash, or a stretch whose content changes at every frame (heavy grain,
//! noise, strobe). A cut or a flash starts one shot; a stretch at least a shot long is a shot of
//! its own, with a boundary where it starts and one where it ends, not a cut every shot length.

use crate::analysis::FrameSeries;

/// How shots are found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShotOptions {
    /// Content difference (0–255 scale) at which a frame starts a new shot. PySceneDetect's
    /// default is 27; JenBridge used 30.
    pub threshold: f64,
    /// Shots shorter than this (seconds) are not cut again.
    pub min_shot: f64,
    /// Mean luminance (0–255) below which a frame counts as black, for fades.
    pub fade_threshold: f64,
}

impl Default for ShotOptions {
    fn default() -> Self {
        ShotOptions {
            threshold: 27.0,
            min_shot: 0.6,
            fade_threshold: 12.0,
        }
    }
}

/// How a shot boundary was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundaryKind {
    Cut,
    Fade,
}

/// A shot boundary: the time the new shot starts.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ShotBoundary {
    pub time: f64,
    pub kind: BoundaryKind,
}

/// Frames at the threshold closer than this many seconds (or than the minimum shot, when it is
/// shorter) belong to one event. PySceneDetect's default minimum scene (15 frames at 25 fps).
const EVENT_GAP: f64 = 0.6;

/// The shot boundaries of `series`, in time order, no two closer than `min_shot`.
pub fn detect_shots(series: &FrameSeries, opts: &ShotOptions) -> Vec<ShotBoundary> {
    let fps = series.fps;
    let min_frames = ((opts.min_shot * fps).round() as usize).max(1);
    let gap = min_frames.min(((EVENT_GAP * fps).round() as usize).max(1));
    // A content jump at frame `i` or next to it (the encoder may smear a cut over two frames).
    let hard = |i: usize| {
        series.content[i.saturating_sub(1)..(i + 2).min(series.content.len())]
            .iter()
            .any(|&c| c >= opts.threshold)
    };
    let mut found: Vec<(usize, BoundaryKind)> = Vec::new();
    let mut last_cut = 0usize;
    for (first, last) in events(&series.content, opts.threshold, gap) {
        // A long stretch also ends a shot where the content settles.
        let ends = if last - first >= gap {
            &[first, last][..]
        } else {
            &[first][..]
        };
        for &i in ends {
            if i - last_cut >= min_frames {
                found.push((i, BoundaryKind::Cut));
                last_cut = i;
            }
        }
    }
    // Fades: runs of dark frames with lit frames on both sides. A run entered and left by hard
    // cuts and longer than an event is a black shot: its cuts are its boundaries (shorter, it
    // is a dip to black: one boundary).
    let dark: Vec<bool> = series
        .luma
        .iter()
        .map(|&l| l < opts.fade_threshold)
        .collect();
    let mut i = 0;
    while i < dark.len() {
        if !dark[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < dark.len() && dark[i] {
            i += 1;
        }
        let black_shot = i - start >= gap && hard(start) && hard(i);
        if start > 0 && i < dark.len() && !black_shot {
            found.push(((start + i) / 2, BoundaryKind::Fade));
        }
    }
    found.sort_by_key(|f| f.0);
    // A cut into or out of a fade's black is the same boundary: keep the first of any pair
    // closer than a shot, preferring the fade's middle when they collide.
    let mut kept: Vec<(usize, BoundaryKind)> = Vec::new();
    for f in found {
        match kept.last_mut() {
            Some(last) if f.0 - last.0 < min_frames => {
                if f.1 == BoundaryKind::Fade {
                    *last = f;
                }
            }
            _ => kept.push(f),
        }
    }
    kept.into_iter()
        .map(|(i, kind)| ShotBoundary {
            time: i as f64 / fps,
            kind,
        })
        .collect()
}

/// `(first, last)` frame of each run of frames (from frame 1) whose content difference reaches
/// `threshold`, frames less than `gap` apart belonging to the same run.
fn events(content: &[f64], threshold: f64, gap: usize) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, &c) in content.iter().enumerate().skip(1) {
        if c < threshold {
            continue;
        }
        match runs.last_mut() {
            Some(run) if i - run.1 < gap => run.1 = i,
            _ => runs.push((i, i)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(content: Vec<f64>, luma: Vec<f64>) -> FrameSeries {
        FrameSeries {
            fps: 10.0,
            content,
            luma,
        }
    }

    #[test]
    fn cuts_at_the_threshold_no_closer_than_a_shot() {
        let mut c = vec![1.0; 50];
        c[10] = 40.0;
        c[12] = 40.0; // too close to the previous cut
        c[30] = 27.0;
        let s = detect_shots(&series(c, vec![100.0; 50]), &ShotOptions::default());
        let t: Vec<f64> = s.iter().map(|b| b.time).collect();
        assert_eq!(t, vec![1.0, 3.0]);
        assert!(s.iter().all(|b| b.kind == BoundaryKind::Cut));
    }

    #[test]
    fn a_stretch_changing_at_every_frame_is_one_shot_not_a_cut_every_shot_length() {
        // Calm, then 3 s of grain over the threshold at every frame (cut into it at frame 20),
        // then a calm shot from frame 50.
        let mut c = vec![1.0; 80];
        for x in &mut c[20..50] {
            *x = 36.0;
        }
        c[50] = 100.0;
        let s = detect_shots(&series(c.clone(), vec![100.0; 80]), &ShotOptions::default());
        let t: Vec<f64> = s.iter().map(|b| b.time).collect();
        assert_eq!(t, vec![2.0, 5.0]);
        // A flash (two frames over the threshold) is one boundary, not two.
        let mut c = vec![1.0; 40];
        c[10] = 80.0;
        c[12] = 80.0;
        let s = detect_shots(&series(c, vec![100.0; 40]), &ShotOptions::default());
        assert_eq!(s.len(), 1);
        assert!((s[0].time - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_black_shot_between_two_cuts_is_two_cuts_not_a_fade() {
        let mut luma = vec![120.0; 80];
        let mut c = vec![1.0; 80];
        for l in &mut luma[20..60] {
            *l = 0.0;
        }
        c[20] = 90.0;
        c[60] = 90.0;
        let s = detect_shots(&series(c, luma.clone()), &ShotOptions::default());
        let t: Vec<(f64, BoundaryKind)> = s.iter().map(|b| (b.time, b.kind)).collect();
        assert_eq!(t, vec![(2.0, BoundaryKind::Cut), (6.0, BoundaryKind::Cut)]);
        // Shorter than a shot, the same black is a dip to black: one boundary in its middle.
        let mut luma = vec![120.0; 80];
        let mut c = vec![1.0; 80];
        for l in &mut luma[20..24] {
            *l = 0.0;
        }
        c[20] = 90.0;
        c[24] = 90.0;
        let s = detect_shots(&series(c, luma), &ShotOptions::default());
        let t: Vec<(f64, BoundaryKind)> = s.iter().map(|b| (b.time, b.kind)).collect();
        assert_eq!(t, vec![(2.2, BoundaryKind::Fade)]);
        // A black shot shorter than a long minimum shot is still a shot, not a fade: its first
        // cut stays (the second is too close to it).
        let mut luma = vec![120.0; 140];
        let mut c = vec![1.0; 140];
        for l in &mut luma[50..80] {
            *l = 0.0;
        }
        c[50] = 90.0;
        c[80] = 90.0;
        let opts = ShotOptions {
            min_shot: 4.0,
            ..ShotOptions::default()
        };
        let s = detect_shots(&series(c, luma), &opts);
        let t: Vec<(f64, BoundaryKind)> = s.iter().map(|b| (b.time, b.kind)).collect();
        assert_eq!(t, vec![(5.0, BoundaryKind::Cut)]);
    }

    #[test]
    fn a_fade_through_black_is_a_boundary_at_its_middle() {
        let mut luma = vec![120.0; 60];
        for l in &mut luma[20..30] {
            *l = 3.0;
        }
        // Black at the very start and end is not a boundary.
        luma[0] = 0.0;
        luma[59] = 0.0;
        let s = detect_shots(&series(vec![1.0; 60], luma), &ShotOptions::default());
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, BoundaryKind::Fade);
        assert!((s[0].time - 2.5).abs() < 1e-9);
    }
}
