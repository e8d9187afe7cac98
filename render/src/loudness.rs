//! Loudness of a mix (EBU R128) and bringing it to a target without clipping: the gain that
//! reaches the target, then a look-ahead peak limiter for the few peaks it pushes over the
//! ceiling (gain reduction starts 5 ms before a peak and recovers over 50 ms, so no sample
//! exceeds the ceiling and no gain step clicks).

use std::collections::VecDeque;

use ebur128::{EbuR128, Mode};
use serde::Serialize;

use crate::mixer::{Mix, frame_at};

const LOOKAHEAD_S: f64 = 0.005;
const RELEASE_S: f64 = 0.050;
/// Limiting takes a little loudness away; this many passes of "measure, correct the gain"
/// land within 0.1 LU of the target on music.
const PASSES: usize = 3;

/// What normalisation did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoudnessReport {
    /// Integrated loudness of the mix as summed, LUFS (`None`: silence).
    pub before_lufs: Option<f64>,
    /// Integrated loudness written, LUFS.
    pub after_lufs: Option<f64>,
    /// The gain applied before limiting, dB.
    pub gain_db: f64,
    /// Sample peak written, dBFS.
    pub peak_dbfs: f64,
    /// Share of frames whose gain the limiter reduced.
    pub limited_share: f64,
}

/// Integrated loudness of `mix`, LUFS; `None` for silence.
pub fn integrated_lufs(mix: &Mix) -> Option<f64> {
    window_lufs(mix, 0.0, mix.seconds())
}

/// Integrated loudness of `mix` between `start` and `end` seconds (a 3 s window is EBU
/// R128's short-term loudness), LUFS; `None` for silence or an empty window.
pub fn window_lufs(mix: &Mix, start: f64, end: f64) -> Option<f64> {
    let (a, b) = (
        frame_at(start, mix.sample_rate),
        frame_at(end, mix.sample_rate),
    );
    let b = b.min(mix.frames());
    if a >= b {
        return None;
    }
    let mut meter = EbuR128::new(2, mix.sample_rate, Mode::I).ok()?;
    meter
        .add_frames_planar_f32(&[&mix.left[a..b], &mix.right[a..b]])
        .ok()?;
    meter.loudness_global().ok().filter(|l| l.is_finite())
}

/// Brings `mix` to `target_lufs` with no sample above `ceiling_dbfs`.
pub fn normalise(mix: &mut Mix, target_lufs: f64, ceiling_dbfs: f64) -> LoudnessReport {
    let before = integrated_lufs(mix);
    let Some(before_lufs) = before else {
        return LoudnessReport {
            before_lufs: None,
            after_lufs: None,
            gain_db: 0.0,
            peak_dbfs: f64::NEG_INFINITY,
            limited_share: 0.0,
        };
    };
    let ceiling = 10f64.powf(ceiling_dbfs / 20.0) as f32;
    let mut gain_db = target_lufs - before_lufs;
    let gain = 10f64.powf(gain_db / 20.0) as f32;
    if mix.peak() * gain <= ceiling {
        // A plain gain: loudness moves by exactly the gain, nothing to measure again.
        for x in mix.left.iter_mut().chain(mix.right.iter_mut()) {
            *x *= gain;
        }
        return LoudnessReport {
            before_lufs: before,
            after_lufs: Some(target_lufs),
            gain_db,
            peak_dbfs: 20.0 * f64::from(mix.peak()).log10(),
            limited_share: 0.0,
        };
    }
    let original = mix.clone();
    let mut limited_share = 0.0;
    let mut after = before;
    for _ in 0..PASSES {
        *mix = original.clone();
        limited_share = apply_limited_gain(mix, gain_db, ceiling);
        after = integrated_lufs(mix);
        match after {
            Some(l) if (l - target_lufs).abs() > 0.05 => gain_db += target_lufs - l,
            _ => break,
        }
    }
    LoudnessReport {
        before_lufs: before,
        after_lufs: after,
        gain_db,
        peak_dbfs: 20.0 * f64::from(mix.peak()).log10(),
        limited_share,
    }
}

/// Multiplies `mix` by `gain_db` and limits its peaks to `ceiling`; returns the share of frames
/// whose gain was reduced.
fn apply_limited_gain(mix: &mut Mix, gain_db: f64, ceiling: f32) -> f64 {
    let g = 10f64.powf(gain_db / 20.0) as f32;
    let n = mix.frames();
    // The gain each frame may have on its own.
    let allowed: Vec<f32> = (0..n)
        .map(|i| {
            let peak = mix.left[i].abs().max(mix.right[i].abs()) * g;
            if peak > ceiling { ceiling / peak } else { 1.0 }
        })
        .collect();
    if allowed.iter().all(|&a| a >= 1.0) {
        for x in mix.left.iter_mut().chain(mix.right.iter_mut()) {
            *x *= g;
        }
        return 0.0;
    }
    let w = ((LOOKAHEAD_S * f64::from(mix.sample_rate)).round() as usize).max(1);
    // Least allowed gain over the next `w` frames (a monotonic deque)...
    let mut ahead = vec![1.0f32; n];
    let mut q: VecDeque<usize> = VecDeque::new();
    for i in (0..n).rev() {
        while q.back().is_some_and(|&j| allowed[j] >= allowed[i]) {
            q.pop_back();
        }
        q.push_back(i);
        while q.front().is_some_and(|&j| j > i + w) {
            q.pop_front();
        }
        ahead[i] = allowed[*q.front().expect("holds i")];
    }
    // ...averaged over the last `w` frames: a ramp down that still reaches, at every frame, no
    // more than that frame's allowance; then a slow release.
    let release = 1.0 - (-1.0 / (RELEASE_S * f64::from(mix.sample_rate))).exp() as f32;
    let mut sum = 0.0f64;
    let mut env = 1.0f32;
    let mut limited = 0usize;
    for i in 0..n {
        sum += f64::from(ahead[i]);
        if i >= w {
            sum -= f64::from(ahead[i - w]);
        }
        let avg = (sum / (i + 1).min(w) as f64) as f32;
        env = avg.min(env + (1.0 - env) * release).min(allowed[i]);
        if env < 1.0 {
            limited += 1;
        }
        mix.left[i] *= g * env;
        mix.right[i] *= g * env;
    }
    limited as f64 / n as f64
}
