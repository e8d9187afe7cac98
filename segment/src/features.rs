//! Per-frame measurements of a downscaled RGB frame: the HSV content difference PySceneDetect's
//! `ContentDetector` uses (mean absolute change of hue, saturation and value between
//! consecutive frames, on OpenCV's scales: hue 0–179, the others 0–255), the mean luminance
//! (for fades), the mean saturation, and motion from block matching.

/// A frame in the planes the measurements need.
#[derive(Debug, Clone, Default)]
pub struct Planes {
    pub width: usize,
    pub height: usize,
    hue: Vec<u8>,
    sat: Vec<u8>,
    val: Vec<u8>,
    /// BT.601 luma.
    pub luma: Vec<u8>,
}

impl Planes {
    /// Converts `rgb` (`width × height × 3`).
    pub fn from_rgb(rgb: &[u8], width: usize, height: usize) -> Planes {
        let n = width * height;
        let mut p = Planes {
            width,
            height,
            hue: Vec::with_capacity(n),
            sat: Vec::with_capacity(n),
            val: Vec::with_capacity(n),
            luma: Vec::with_capacity(n),
        };
        for px in rgb.chunks_exact(3).take(n) {
            let (r, g, b) = (px[0] as i32, px[1] as i32, px[2] as i32);
            let max = r.max(g).max(b);
            let min = r.min(g).min(b);
            let delta = max - min;
            // OpenCV's 8-bit HSV: V = max, S = 255·Δ/V, H in degrees / 2.
            let s = if max == 0 { 0 } else { 255 * delta / max };
            let h = if delta == 0 {
                0.0
            } else if max == r {
                60.0 * (g - b) as f32 / delta as f32
            } else if max == g {
                120.0 + 60.0 * (b - r) as f32 / delta as f32
            } else {
                240.0 + 60.0 * (r - g) as f32 / delta as f32
            };
            let h = if h < 0.0 { h + 360.0 } else { h };
            p.hue.push((h / 2.0).round().min(179.0) as u8);
            p.sat.push(s as u8);
            p.val.push(max as u8);
            p.luma.push(((299 * r + 587 * g + 114 * b) / 1000) as u8);
        }
        p
    }

    /// Mean luminance, 0–255.
    pub fn mean_luma(&self) -> f64 {
        mean(&self.luma)
    }

    /// Mean saturation, 0–255.
    pub fn mean_saturation(&self) -> f64 {
        mean(&self.sat)
    }

    /// PySceneDetect's content value against `prev`: the mean of the three channels' mean
    /// absolute differences.
    pub fn content_difference(&self, prev: &Planes) -> f64 {
        let d = |a: &[u8], b: &[u8]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (*x as i32 - *y as i32).unsigned_abs() as u64)
                .sum::<u64>() as f64
                / a.len().max(1) as f64
        };
        (d(&self.hue, &prev.hue) + d(&self.sat, &prev.sat) + d(&self.val, &prev.val)) / 3.0
    }
}

fn mean(v: &[u8]) -> f64 {
    v.iter().map(|&x| x as u64).sum::<u64>() as f64 / v.len().max(1) as f64
}

/// Block size and search radius of the motion estimate, in pixels of the downscaled frame.
const BLOCK: usize = 8;
const RADIUS: isize = 4;
/// Blocks whose luma varies less than this (sum of absolute deviations per pixel) carry no
/// usable motion (a flat sky matches anywhere) and are skipped.
const MIN_TEXTURE: f64 = 4.0;

/// Motion between two frames: the mean displacement of textured 8×8 blocks found by exhaustive
/// block matching (sum of absolute differences, ±4 pixels), as a share of the frame's width.
/// `None` when no block has texture.
pub fn block_motion(prev: &Planes, cur: &Planes) -> Option<f64> {
    let (w, h) = (cur.width, cur.height);
    if w < BLOCK + 2 * RADIUS as usize || h < BLOCK + 2 * RADIUS as usize {
        return None;
    }
    let at = |p: &Planes, x: usize, y: usize| p.luma[y * w + x] as i32;
    let mut total = 0.0;
    let mut blocks = 0usize;
    let r = RADIUS as usize;
    let mut by = r;
    while by + BLOCK + r <= h {
        let mut bx = r;
        while bx + BLOCK + r <= w {
            let mut sum = 0i32;
            for y in by..by + BLOCK {
                for x in bx..bx + BLOCK {
                    sum += at(cur, x, y);
                }
            }
            let avg = sum / (BLOCK * BLOCK) as i32;
            let mut texture = 0i32;
            for y in by..by + BLOCK {
                for x in bx..bx + BLOCK {
                    texture += (at(cur, x, y) - avg).abs();
                }
            }
            if texture as f64 / (BLOCK * BLOCK) as f64 >= MIN_TEXTURE {
                let mut best = (i32::MAX, 0isize, 0isize);
                for dy in -RADIUS..=RADIUS {
                    for dx in -RADIUS..=RADIUS {
                        let mut sad = 0i32;
                        for y in by..by + BLOCK {
                            let py = (y as isize + dy) as usize;
                            for x in bx..bx + BLOCK {
                                let px = (x as isize + dx) as usize;
                                sad += (at(cur, x, y) - at(prev, px, py)).abs();
                            }
                            if sad >= best.0 {
                                break;
                            }
                        }
                        // Ties go to the smaller displacement: a static block is not "moving".
                        let closer = dx * dx + dy * dy < best.1 * best.1 + best.2 * best.2;
                        if sad < best.0 || (sad == best.0 && closer) {
                            best = (sad, dx, dy);
                        }
                    }
                }
                total += ((best.1 * best.1 + best.2 * best.2) as f64).sqrt();
                blocks += 1;
            }
            bx += BLOCK;
        }
        by += BLOCK;
    }
    (blocks > 0).then(|| total / blocks as f64 / w as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: usize, h: usize, f: impl Fn(usize, usize) -> [u8; 3]) -> Planes {
        let mut rgb = Vec::with_capacity(w * h * 3);
        for y in 0..h {
            for x in 0..w {
                rgb.extend_from_slice(&f(x, y));
            }
        }
        Planes::from_rgb(&rgb, w, h)
    }

    #[test]
    fn hsv_follows_opencv_scales() {
        let red = frame(2, 2, |_, _| [255, 0, 0]);
        assert_eq!((red.hue[0], red.sat[0], red.val[0]), (0, 255, 255));
        let blue = frame(2, 2, |_, _| [0, 0, 255]);
        assert_eq!(blue.hue[0], 120);
        let grey = frame(2, 2, |_, _| [100, 100, 100]);
        assert_eq!(
            (grey.hue[0], grey.sat[0], grey.val[0], grey.luma[0]),
            (0, 0, 100, 100)
        );
        // Red to blue: hue moves 120, value stays, saturation stays: content value 40.
        assert!((blue.content_difference(&red) - 40.0).abs() < 1e-9);
        assert_eq!(red.content_difference(&red), 0.0);
    }

    #[test]
    fn a_shifted_texture_moves_by_its_shift() {
        let tex = |x: usize, y: usize| {
            let v = ((x * 37 + y * 91) % 97 * 2 + (x * y) % 13) as u8;
            [v, v, v]
        };
        let a = frame(64, 48, tex);
        let b = frame(64, 48, |x, y| tex(x + 3, y));
        let m = block_motion(&a, &b).unwrap();
        assert!((m * 64.0 - 3.0).abs() < 0.3, "{}", m * 64.0);
        assert_eq!(block_motion(&a, &a), Some(0.0));
        let flat = frame(64, 48, |_, _| [50, 50, 50]);
        assert_eq!(block_motion(&flat, &flat), None);
    }
}
