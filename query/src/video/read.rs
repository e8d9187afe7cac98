//! Reading videos from `.json` (one video) and `.jsonl` (one video per line) files.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

use super::{EmbeddingDims, Segment, Video, VideoIssue};
use crate::error::QueryError;

/// Reads and validates every video of `path` (`.json`: one video; `.jsonl`/`.ndjson`: one per
/// line). `dims` are the library's embedding dimensions; a `None` dimension is fixed by the
/// first embedding in the file. The first bad video stops the read with an error naming the
/// file, the line (JSON Lines), the video, the segment and the field.
pub fn read_videos(path: &Path, dims: EmbeddingDims) -> Result<Vec<Video>, QueryError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    let io = |source| QueryError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = Reader {
        path,
        dims,
        ids: HashSet::new(),
        videos: Vec::new(),
    };
    match ext.as_deref() {
        Some("jsonl" | "ndjson") => {
            let mut file = BufReader::new(File::open(path).map_err(io)?);
            let mut line = String::new();
            let mut n = 0u64;
            loop {
                line.clear();
                if file.read_line(&mut line).map_err(io)? == 0 {
                    break;
                }
                n += 1;
                if !line.trim().is_empty() {
                    reader.add(&line, Some(n))?;
                }
            }
        }
        Some("json") => {
            let text = std::fs::read_to_string(path).map_err(io)?;
            if text.trim_start().starts_with('[') {
                return Err(reader.bad(
                    None,
                    VideoIssue::new(
                        "a .json file holds one video object; put many videos in a .jsonl file, \
                         one per line",
                    ),
                ));
            }
            reader.add(&text, None)?;
        }
        _ => {
            return Err(QueryError::InvalidArgument(format!(
                "{}: unknown video file extension; use .json (one video) or .jsonl (one video \
                 per line)",
                path.display()
            )));
        }
    }
    if reader.videos.is_empty() {
        return Err(reader.bad(None, VideoIssue::new("the file holds no video")));
    }
    Ok(reader.videos)
}

/// Parses and validates one video given as JSON text (a video a caller built in memory: a
/// binding, a service); the error names the video, segment and field as [`read_videos`]'s do.
pub fn parse_video(text: &str, dims: EmbeddingDims) -> Result<Video, QueryError> {
    let video: Video = serde_json::from_str(text)
        .map_err(|e| QueryError::InvalidVideo(Box::new(diagnose(text, &e))))?;
    video
        .validate(dims)
        .map_err(|issue| QueryError::InvalidVideo(Box::new(issue)))?;
    Ok(video)
}

struct Reader<'a> {
    path: &'a Path,
    dims: EmbeddingDims,
    ids: HashSet<String>,
    videos: Vec<Video>,
}

impl Reader<'_> {
    fn bad(&self, line: Option<u64>, issue: VideoIssue) -> QueryError {
        QueryError::BadVideo {
            path: self.path.to_path_buf(),
            line,
            issue: Box::new(issue),
        }
    }

    /// Parses, validates and keeps one video; `line` is its JSON Lines line number.
    fn add(&mut self, text: &str, line: Option<u64>) -> Result<(), QueryError> {
        let video: Video = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                // A .json file's error position is the parser's line; a JSON Lines error keeps
                // the file's line and reports the parser's column.
                let line = line.or(Some(e.line() as u64));
                return Err(self.bad(line, diagnose(text, &e)));
            }
        };
        video.validate(self.dims).map_err(|i| self.bad(line, i))?;
        if !self.ids.insert(video.id.clone()) {
            return Err(self.bad(
                line,
                VideoIssue::new("duplicate video id in this file")
                    .video(&video.id)
                    .field("id"),
            ));
        }
        for seg in &video.segments {
            self.dims.audio = self.dims.audio.or(seg.audio_emb.as_ref().map(Vec::len));
            self.dims.text = self.dims.text.or(seg.text_emb.as_ref().map(Vec::len));
        }
        self.videos.push(video);
        Ok(())
    }
}

/// Turns a parse error into an issue naming the video, segment and field where possible: the
/// text is re-read as untyped JSON and each field is checked on its own.
fn diagnose(text: &str, err: &serde_json::Error) -> VideoIssue {
    let fallback = || VideoIssue::new(parser_message(err));
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return fallback();
    };
    let Some(obj) = value.as_object() else {
        return VideoIssue::new("a video must be a JSON object");
    };
    let id = obj.get("id").and_then(Value::as_str).unwrap_or("");
    let with_id = |i: VideoIssue| if id.is_empty() { i } else { i.video(id) };
    let issue = check_video_fields(obj).unwrap_or_else(fallback);
    with_id(issue)
}

fn check_video_fields(obj: &serde_json::Map<String, Value>) -> Option<VideoIssue> {
    for key in obj.keys() {
        if !["id", "segments", "switch_budget"].contains(&key.as_str()) {
            return Some(VideoIssue::new("unknown field").field(key));
        }
    }
    for key in ["id", "segments"] {
        if !obj.contains_key(key) {
            return Some(VideoIssue::new("missing required field").field(key));
        }
    }
    if let Some(i) = field_type_error::<String>(obj, "id") {
        return Some(i);
    }
    if let Some(i) = field_type_error::<Option<u32>>(obj, "switch_budget") {
        return Some(i);
    }
    let Some(segments) = obj["segments"].as_array() else {
        return Some(VideoIssue::new("must be an array of segments").field("segments"));
    };
    for (i, seg) in segments.iter().enumerate() {
        if let Some(issue) = check_segment_fields(seg) {
            return Some(issue.segment(i));
        }
    }
    None
}

fn check_segment_fields(seg: &Value) -> Option<VideoIssue> {
    const KNOWN: [&str; 6] = [
        "start",
        "end",
        "audio_emb",
        "text_emb",
        "caption",
        "music_change",
    ];
    let Some(obj) = seg.as_object() else {
        return Some(VideoIssue::new("a segment must be a JSON object"));
    };
    for key in obj.keys() {
        if !KNOWN.contains(&key.as_str()) {
            return Some(VideoIssue::new("unknown field").field(key));
        }
    }
    for key in ["start", "end"] {
        if !obj.contains_key(key) {
            return Some(VideoIssue::new("missing required field").field(key));
        }
    }
    field_type_error::<f64>(obj, "start")
        .or_else(|| field_type_error::<f64>(obj, "end"))
        .or_else(|| field_type_error::<Option<Vec<f32>>>(obj, "audio_emb"))
        .or_else(|| field_type_error::<Option<Vec<f32>>>(obj, "text_emb"))
        .or_else(|| field_type_error::<Option<String>>(obj, "caption"))
        .or_else(|| field_type_error::<Option<bool>>(obj, "music_change"))
        .or_else(|| {
            // Every field parses alone, so the whole segment must too; keep the check honest.
            serde_json::from_value::<Segment>(seg.clone())
                .err()
                .map(|e| VideoIssue::new(e.to_string()))
        })
}

/// The error of deserialising `obj[key]` alone as `T`, naming the field.
fn field_type_error<T: serde::de::DeserializeOwned>(
    obj: &serde_json::Map<String, Value>,
    key: &str,
) -> Option<VideoIssue> {
    let v = obj.get(key)?;
    serde_json::from_value::<T>(v.clone())
        .err()
        .map(|e| VideoIssue::new(e.to_string()).field(key))
}

/// serde_json's message with its position rephrased (the caller reports the line).
fn parser_message(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    match full.strip_suffix(&suffix) {
        Some(msg) => format!("{msg} (column {})", err.column()),
        None => full,
    }
}
