//! Frames from a video file, decoded by the `ffmpeg` program into a pipe (nothing is written to
//! disk): downscaled RGB frames at the video's own rate, or at most `max_fps`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use crate::error::SegmentError;

/// What `ffprobe` says of a file's first video stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probe {
    pub width: u32,
    pub height: u32,
    /// Frames per second (the stream's average rate).
    pub fps: f64,
    /// Seconds.
    pub duration: f64,
}

fn run(program: &str, args: &[&std::ffi::OsStr]) -> Result<std::process::Output, SegmentError> {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| SegmentError::FfmpegMissing {
            program: program.into(),
            reason: e.to_string(),
        })
}

/// `a/b` or a plain number.
fn rate(s: &str) -> Option<f64> {
    let v = match s.split_once('/') {
        Some((a, b)) => a.parse::<f64>().ok()? / b.parse::<f64>().ok()?,
        None => s.parse().ok()?,
    };
    (v.is_finite() && v > 0.0).then_some(v)
}

/// Probes `path` with `ffprobe`.
pub fn probe(path: &Path) -> Result<Probe, SegmentError> {
    if !path.is_file() {
        return Err(SegmentError::bad_video(path, "no such file"));
    }
    let out = run(
        "ffprobe",
        &[
            "-v".as_ref(),
            "error".as_ref(),
            "-select_streams".as_ref(),
            "v:0".as_ref(),
            "-show_entries".as_ref(),
            "stream=width,height,avg_frame_rate,r_frame_rate:format=duration".as_ref(),
            "-of".as_ref(),
            "json".as_ref(),
            path.as_os_str(),
        ],
    )?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if !out.status.success() {
        return Err(SegmentError::bad_video(
            path,
            format!("not a readable video ({stderr})"),
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| SegmentError::bad_video(path, format!("ffprobe's answer: {e}")))?;
    let Some(stream) = v["streams"].get(0) else {
        return Err(SegmentError::bad_video(
            path,
            "the file has no video stream",
        ));
    };
    let num = |k: &str| stream[k].as_u64().filter(|&x| x > 0).map(|x| x as u32);
    let (Some(width), Some(height)) = (num("width"), num("height")) else {
        return Err(SegmentError::bad_video(
            path,
            "the video stream has no size",
        ));
    };
    let fps = stream["avg_frame_rate"]
        .as_str()
        .and_then(rate)
        .or_else(|| stream["r_frame_rate"].as_str().and_then(rate))
        .ok_or_else(|| SegmentError::bad_video(path, "the video stream has no frame rate"))?;
    let duration = v["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0)
        .ok_or_else(|| SegmentError::bad_video(path, "the video has no duration"))?;
    Ok(Probe {
        width,
        height,
        fps,
        duration,
    })
}

/// Decoded frames, one at a time, from an `ffmpeg` child process.
#[derive(Debug)]
pub struct FrameReader {
    path: PathBuf,
    child: Child,
    stdout: ChildStdout,
    /// Pixels across and down of each frame.
    pub width: usize,
    pub height: usize,
    /// Frames per second delivered.
    pub fps: f64,
    frame: Vec<u8>,
    index: usize,
}

impl FrameReader {
    /// Starts decoding `path` into RGB frames `width` pixels wide (height keeping the aspect,
    /// even), at the video's rate or at most `max_fps`.
    pub fn open(path: &Path, width: u32, max_fps: f64) -> Result<FrameReader, SegmentError> {
        let p = probe(path)?;
        let width = width.clamp(16, p.width.max(16)) & !1;
        let height =
            (((p.height as f64 * width as f64 / p.width as f64).round() as u32).max(2)) & !1;
        let fps = if p.fps > max_fps { max_fps } else { p.fps };
        let mut filter = format!("scale={width}:{height}:flags=area");
        if p.fps > max_fps {
            filter = format!("fps={max_fps},{filter}");
        }
        let mut child = Command::new("ffmpeg")
            .args(["-v", "error", "-nostdin", "-i"])
            .arg(path)
            .args([
                "-map", "0:v:0", "-vf", &filter, "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| SegmentError::FfmpegMissing {
                program: "ffmpeg".into(),
                reason: e.to_string(),
            })?;
        let stdout = child.stdout.take().expect("piped");
        Ok(FrameReader {
            path: path.to_path_buf(),
            child,
            stdout,
            width: width as usize,
            height: height as usize,
            fps,
            frame: vec![0; width as usize * height as usize * 3],
            index: 0,
        })
    }

    /// The next frame (`width × height × 3` bytes of RGB) and its time in seconds, or `None` at
    /// the end. A decoder failure is an error with ffmpeg's own message.
    pub fn next_frame(&mut self) -> Result<Option<(f64, &[u8])>, SegmentError> {
        let mut filled = 0;
        while filled < self.frame.len() {
            match self.stdout.read(&mut self.frame[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(SegmentError::io(&self.path, e)),
            }
        }
        if filled == 0 {
            self.finish()?;
            return Ok(None);
        }
        if filled < self.frame.len() {
            self.finish()?;
            return Err(SegmentError::bad_video(
                &self.path,
                format!("the decoder stopped in the middle of frame {}", self.index),
            ));
        }
        let t = self.index as f64 / self.fps;
        self.index += 1;
        Ok(Some((t, &self.frame)))
    }

    fn finish(&mut self) -> Result<(), SegmentError> {
        let status = self
            .child
            .wait()
            .map_err(|e| SegmentError::io(&self.path, e))?;
        let mut err = String::new();
        if let Some(mut s) = self.child.stderr.take() {
            let _ = s.read_to_string(&mut err);
        }
        if !status.success() || (self.index == 0 && !err.trim().is_empty()) {
            let msg = err.lines().last().unwrap_or("").trim().to_string();
            return Err(SegmentError::bad_video(
                &self.path,
                format!(
                    "ffmpeg could not decode it ({})",
                    if msg.is_empty() {
                        status.to_string()
                    } else {
                        msg
                    }
                ),
            ));
        }
        Ok(())
    }
}

impl Drop for FrameReader {
    fn drop(&mut self) {
        // A reader dropped early must not leave its decoder running.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
