//! Segmenting a feature sequence instead of a video file: per-frame vectors from the user's own
//! video model (e.g. cross-modal embeddings at a known frame rate), given as a 2-D `.npy` array
//! (frames × dimensions, float32 or float64, C order). The music segments are the sequence's
//! change points (searched on the sequence's top principal components when it has more than a
//! few dimensions); each segment may carry the mean of its frames as its embedding, so a model
//! that embeds into the library's audio or text space gives plannable segments directly.

use std::path::{Path, PathBuf};

use npyz::{NpyFile, Order};
use segue_query::video::{Segment, Video};

use crate::captions::{Cue, caption_for, read_captions};
use crate::error::SegmentError;
use crate::projection::{MAX_CHANGE_POINT_DIMS, principal_components};
use crate::segmenter::{ChangePointReport, SegmentOptions, change_points, round_ms};

/// Which embedding of a segment receives the mean of its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedAs {
    /// `audio_emb` (the library's audio space, e.g. a cross-modal video model).
    Audio,
    /// `text_emb`.
    Text,
}

impl std::str::FromStr for EmbedAs {
    type Err = SegmentError;

    fn from_str(s: &str) -> Result<EmbedAs, SegmentError> {
        match s {
            "audio" => Ok(EmbedAs::Audio),
            "text" => Ok(EmbedAs::Text),
            _ => Err(SegmentError::InvalidArgument(format!(
                "a segment embedding is `audio` or `text`, got {s:?}"
            ))),
        }
    }
}

/// Everything [`segment_feature_file`] takes besides the file.
#[derive(Debug, Clone, Default)]
pub struct FeatureOptions {
    /// Frames per second of the sequence.
    pub fps: f64,
    pub segments: SegmentOptions,
    /// Put each segment's mean frame into this embedding (`None`: no embedding).
    pub embed_as: Option<EmbedAs>,
    /// Subtitles or captions, as for a video file.
    pub captions: Option<PathBuf>,
}

/// A segmented feature sequence.
#[derive(Debug, Clone)]
pub struct SegmentedFeatures {
    pub video: Video,
    pub frames: usize,
    pub dim: usize,
    pub report: ChangePointReport,
    pub notes: Vec<String>,
}

/// Reads `path`, a 2-D `.npy` array of finite float32 or float64 values, as frames.
pub fn read_npy_frames(path: &Path) -> Result<Vec<Vec<f64>>, SegmentError> {
    let bad = |reason: String| SegmentError::BadFeatures {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| SegmentError::io(path, e))?;
    let npy = NpyFile::new(std::io::BufReader::new(file))
        .map_err(|e| bad(format!("not a valid .npy file: {e}")))?;
    let shape = npy.shape().to_vec();
    let [rows, dim] = shape[..] else {
        return Err(bad(format!(
            "expected a 2-D array (frames × dimensions), got shape {shape:?}"
        )));
    };
    let (rows, dim) = (rows as usize, dim as usize);
    if rows == 0 || dim == 0 {
        return Err(bad(format!("the array is empty (shape {shape:?})")));
    }
    if npy.order() != Order::C && rows > 1 && dim > 1 {
        return Err(bad(
            "the array is in Fortran order; save it C-contiguous (numpy.ascontiguousarray)".into(),
        ));
    }
    let descr = npy.dtype().descr();
    let values: Vec<f64> = match descr.trim_matches('\'') {
        "<f4" => npy
            .into_vec::<f32>()
            .map_err(|e| bad(format!("reading the data: {e}")))?
            .into_iter()
            .map(f64::from)
            .collect(),
        "<f8" => npy
            .into_vec::<f64>()
            .map_err(|e| bad(format!("reading the data: {e}")))?,
        other => {
            return Err(bad(format!(
                "the values must be float32 or float64 (little-endian), got {other}"
            )));
        }
    };
    if values.len() != rows * dim {
        return Err(bad(format!(
            "the header says {rows} × {dim} values but the file holds {}",
            values.len()
        )));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(bad(format!(
            "frame {} (0-based), dimension {} is not finite ({})",
            i / dim,
            i % dim,
            values[i]
        )));
    }
    Ok(values.chunks(dim).map(<[f64]>::to_vec).collect())
}

/// Segments the feature sequence in `path` (see the module documentation).
pub fn segment_feature_file(
    path: &Path,
    opts: &FeatureOptions,
) -> Result<SegmentedFeatures, SegmentError> {
    let captions = match &opts.captions {
        Some(p) => Some(read_captions(p)?),
        None => None,
    };
    let frames = read_npy_frames(path)?;
    let id = path
        .file_stem()
        .map_or_else(|| "video".to_string(), |s| s.to_string_lossy().into_owned());
    let cues = captions.as_ref().map_or(&[][..], |c| &c.cues[..]);
    let (video, report) = segment_frames(&id, &frames, cues, opts)?;
    let mut notes: Vec<String> = captions.and_then(|c| c.note).into_iter().collect();
    if opts.captions.is_some() && video.segments.iter().all(|s| s.caption.is_none()) {
        notes.push("no caption falls inside the sequence's time range".into());
    }
    Ok(SegmentedFeatures {
        frames: frames.len(),
        dim: frames[0].len(),
        video,
        report,
        notes,
    })
}

/// The segments of `frames` (at `opts.fps`): change points, captions from `cues`, a suggested
/// music change at every boundary, and each segment's mean frame as asked.
pub fn segment_frames(
    id: &str,
    frames: &[Vec<f64>],
    cues: &[Cue],
    opts: &FeatureOptions,
) -> Result<(Video, ChangePointReport), SegmentError> {
    // The search runs on a few principal components; the segments' means use every dimension.
    let reduced = principal_components(frames, MAX_CHANGE_POINT_DIMS);
    let (bounds, report) = change_points(&reduced, opts.fps, &opts.segments)?;
    let duration = frames.len() as f64 / opts.fps;
    let mut edges = vec![0.0];
    edges.extend(bounds);
    edges.push(duration);
    let segments = edges
        .windows(2)
        .enumerate()
        .map(|(i, e)| {
            let (start, end) = (round_ms(e[0]), round_ms(e[1]));
            let mean = opts
                .embed_as
                .map(|_| mean_frame(frames, e[0], e[1], opts.fps));
            let (audio_emb, text_emb) = match opts.embed_as {
                Some(EmbedAs::Audio) => (mean, None),
                Some(EmbedAs::Text) => (None, mean),
                None => (None, None),
            };
            Segment {
                start,
                end,
                caption: caption_for(cues, start, end),
                music_change: Some(i > 0),
                audio_emb,
                text_emb,
                ..Segment::default()
            }
        })
        .collect();
    let video = Video {
        id: id.to_string(),
        segments,
        switch_budget: None,
    };
    Ok((video, report))
}

/// The mean of the frames whose time lies in `[start, end)`.
fn mean_frame(frames: &[Vec<f64>], start: f64, end: f64, fps: f64) -> Vec<f32> {
    let first = ((start * fps).round() as usize).min(frames.len() - 1);
    let last = ((end * fps).round() as usize).clamp(first + 1, frames.len());
    let mut sum = vec![0.0; frames[0].len()];
    for f in &frames[first..last] {
        for (s, x) in sum.iter_mut().zip(f) {
            *s += x;
        }
    }
    let n = (last - first) as f64;
    sum.iter().map(|s| (s / n) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segmenter::Count;

    /// Three regimes of 40 frames at 4 fps (10 s each), in 3 dimensions, with a little noise.
    fn regimes() -> Vec<Vec<f64>> {
        let mut x: u64 = 7;
        let mut noise = move || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.1
        };
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
            .iter()
            .flat_map(|c| (0..40).map(|_| c.to_vec()).collect::<Vec<_>>())
            .map(|f| f.iter().map(|v| v + noise()).collect())
            .collect()
    }

    fn opts(embed_as: Option<EmbedAs>) -> FeatureOptions {
        FeatureOptions {
            fps: 4.0,
            segments: SegmentOptions {
                min_length: 4.0,
                count: Count::Segments(3),
                ..SegmentOptions::default()
            },
            embed_as,
            captions: None,
        }
    }

    #[test]
    fn regimes_become_segments_carrying_their_mean_frame() {
        let cues = [Cue {
            start: 12.0,
            end: 14.0,
            text: "hello".into(),
        }];
        let (video, report) =
            segment_frames("v", &regimes(), &cues, &opts(Some(EmbedAs::Audio))).unwrap();
        let edges: Vec<(f64, f64)> = video.segments.iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(
            edges,
            vec![(0.0, 10.0), (10.0, 20.0), (20.0, 30.0)],
            "{report:?}"
        );
        let first = video.segments[0].audio_emb.as_ref().unwrap();
        assert!(
            (first[1] - 1.0).abs() < 0.05 && first[0].abs() < 0.05,
            "{first:?}"
        );
        assert_eq!(video.segments[1].caption.as_deref(), Some("hello"));
        assert!(video.segments[0].text_emb.is_none());
        assert_eq!(video.segments[0].music_change, Some(false));
        assert_eq!(video.segments[2].music_change, Some(true));
        let (plain, _) = segment_frames("v", &regimes(), &[], &opts(None)).unwrap();
        assert!(plain.segments.iter().all(|s| s.audio_emb.is_none()));
    }

    #[test]
    fn high_dimensional_frames_are_cut_on_their_principal_components() {
        // The three regimes of `regimes()` spread over 256 dimensions by a fixed mixing.
        let mixed: Vec<Vec<f64>> = regimes()
            .iter()
            .map(|f| {
                (0..256)
                    .map(|j| {
                        let w = |i: usize| (((j * 7 + i * 13) % 11) as f64 - 5.0) / 5.0;
                        f[0] * w(0) + f[1] * w(1) + f[2] * w(2)
                    })
                    .collect()
            })
            .collect();
        let (video, _) = segment_frames("v", &mixed, &[], &opts(Some(EmbedAs::Audio))).unwrap();
        let edges: Vec<(f64, f64)> = video.segments.iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(edges, vec![(0.0, 10.0), (10.0, 20.0), (20.0, 30.0)]);
        assert_eq!(video.segments[0].audio_emb.as_ref().unwrap().len(), 256);
    }

    fn write_npy(path: &Path, descr: &str, shape: &[u64], data: &[u8]) {
        let shape = shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let shape = if shape.contains(',') {
            shape
        } else {
            format!("{shape},")
        };
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({shape}), }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16).to_le_bytes());
        bytes.extend(header.as_bytes());
        bytes.extend(data);
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn npy_files_are_read_or_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let ok = dir.path().join("ok.npy");
        write_npy(&ok, "<f4", &[2, 2], &f32s(&[1.0, 2.0, 3.0, 4.0]));
        assert_eq!(
            read_npy_frames(&ok).unwrap(),
            vec![vec![1.0, 2.0], vec![3.0, 4.0]]
        );
        let f64_path = dir.path().join("f64.npy");
        let f64s: Vec<u8> = [0.5f64, 1.5].iter().flat_map(|x| x.to_le_bytes()).collect();
        write_npy(&f64_path, "<f8", &[2, 1], &f64s);
        assert_eq!(
            read_npy_frames(&f64_path).unwrap(),
            vec![vec![0.5], vec![1.5]]
        );
        let cases = [
            ("one-d.npy", "<f4", vec![4], f32s(&[1.0; 4]), "2-D"),
            (
                "ints.npy",
                "<i4",
                vec![2, 2],
                vec![0; 16],
                "float32 or float64",
            ),
            (
                "nan.npy",
                "<f4",
                vec![2, 2],
                f32s(&[1.0, 2.0, 3.0, f32::NAN]),
                "frame 1 (0-based), dimension 1",
            ),
            (
                "short.npy",
                "<f4",
                vec![3, 2],
                f32s(&[1.0; 4]),
                "reading the data",
            ),
            ("empty.npy", "<f4", vec![0, 2], Vec::new(), "empty"),
        ];
        for (name, descr, shape, data, needle) in cases {
            let p = dir.path().join(name);
            write_npy(&p, descr, &shape, &data);
            let err = read_npy_frames(&p).unwrap_err().to_string();
            assert!(err.contains(needle) && err.contains(name), "{name}: {err}");
        }
        let junk = dir.path().join("junk.npy");
        std::fs::write(&junk, b"not numpy").unwrap();
        let err = read_npy_frames(&junk).unwrap_err().to_string();
        assert!(err.contains("not a valid .npy file"), "{err}");
        let missing = read_npy_frames(&dir.path().join("missing.npy")).unwrap_err();
        assert!(missing.to_string().contains("missing.npy"));
    }
}
