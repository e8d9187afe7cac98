//! Shot boundaries in a frame series: hard cuts where the content difference reaches a
//! threshold (PySceneDetect's `ContentDetector`), and fades through black (a run of dark frames
//! between two lit ones: the boundary is the run's middle).

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

/// The shot boundaries of `series`, in time order, no two closer than `min_shot`.
pub fn detect_shots(series: &FrameSeries, opts: &ShotOptions) -> Vec<ShotBoundary> {
    let fps = series.fps;
    let min_frames = ((opts.min_shot * fps).round() as usize).max(1);
    let mut found: Vec<(usize, BoundaryKind)> = Vec::new();
    let mut last_cut = 0usize;
    for (i, &c) in series.content.iter().enumerate().skip(1) {
        if c >= opts.threshold && i - last_cut >= min_frames {
            found.push((i, BoundaryKind::Cut));
            last_cut = i;
        }
    }
    // Fades: runs of dark frames with lit frames on both sides.
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
        if start > 0 && i < dark.len() {
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
