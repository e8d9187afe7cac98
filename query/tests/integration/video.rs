//! Reading video files: every kind of bad input is an error that names the file, the line (JSON
//! Lines), the video, the segment and the field.

use std::path::PathBuf;

use segue_query::QueryError;
use segue_query::video::{EmbeddingDims, Segment, Video, VideoIssue, read_videos};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const DIMS: EmbeddingDims = EmbeddingDims {
    audio: Some(3),
    text: Some(2),
};

fn good_line(id: &str) -> String {
    format!(
        r#"{{"id": "{id}", "switch_budget": 2, "segments": [
            {{"start": 0, "end": 4.5, "audio_emb": [0.1, 0.2, 0.3], "caption": "a beach"}},
            {{"start": 4.5, "end": 9, "text_emb": [1, 0], "music_change": true}},
            {{"start": 10, "end": 12, "caption": "gap before this one is fine"}}]}}"#
    )
    .replace('\n', " ")
}

/// The error of reading `text` as `name`, which must be a `BadVideo`.
fn bad(name: &str, text: &str, dims: EmbeddingDims) -> (PathBuf, Option<u64>, VideoIssue, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, name, text);
    match read_videos(&path, dims) {
        Err(e @ QueryError::BadVideo { .. }) => {
            let shown = e.to_string();
            let QueryError::BadVideo {
                path: p,
                line,
                issue,
            } = e
            else {
                unreachable!()
            };
            assert_eq!(p, path);
            (p, line, *issue, shown)
        }
        other => panic!("expected BadVideo for {text}, got {other:?}"),
    }
}

/// A JSON Lines file whose second line is `line2`: the error must be on line 2.
fn bad_line2(line2: &str, dims: EmbeddingDims) -> (VideoIssue, String) {
    let text = format!("{}\n{line2}\n{}\n", good_line("first"), good_line("third"));
    let (_, line, issue, shown) = bad("videos.jsonl", &text, dims);
    assert_eq!(line, Some(2), "{shown}");
    (issue, shown)
}

fn seg(start: f64, end: f64) -> String {
    format!(r#"{{"start": {start}, "end": {end}, "audio_emb": [1, 0, 0]}}"#)
}

fn video_with(segments: &[String]) -> String {
    format!(r#"{{"id": "v2", "segments": [{}]}}"#, segments.join(", "))
}

fn assert_at(issue: &VideoIssue, segment: Option<usize>, field: Option<&str>, msg: &str) {
    assert_eq!(issue.segment, segment, "{issue}");
    assert_eq!(issue.field.as_deref(), field, "{issue}");
    assert!(issue.message.contains(msg), "`{msg}` not in: {issue}");
}

#[test]
fn reads_json_lines_and_single_json_files() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}\n\n{}\n", good_line("a"), good_line("b"));
    let videos = read_videos(&write(&dir, "v.jsonl", &text), DIMS).unwrap();
    assert_eq!(videos.len(), 2);
    assert_eq!(videos[1].id, "b");
    let v = &videos[0];
    assert_eq!(v.switch_budget, Some(2));
    assert_eq!(v.segments[0].caption.as_deref(), Some("a beach"));
    assert_eq!(v.segments[1].text_emb, Some(vec![1.0, 0.0]));
    assert_eq!(v.segments[1].duration(), 4.5);
    assert_eq!(v.music_changes(), Some(1));

    let one = read_videos(
        &write(&dir, "one.json", &good_line("solo")),
        EmbeddingDims::default(),
    );
    assert_eq!(one.unwrap()[0].id, "solo");
    // `.ndjson` is JSON Lines too; the extension is case-insensitive.
    let nd = read_videos(&write(&dir, "v.NDJSON", &good_line("x")), DIMS).unwrap();
    assert_eq!(nd.len(), 1);
}

#[test]
fn videos_round_trip_through_serde() {
    let dir = tempfile::tempdir().unwrap();
    let v = read_videos(&write(&dir, "a.json", &good_line("rt")), DIMS).unwrap();
    let again: Video = serde_json::from_str(&serde_json::to_string(&v[0]).unwrap()).unwrap();
    assert_eq!(again, v[0]);
}

#[test]
fn unknown_extension_missing_file_and_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "v.csv", &good_line("a"));
    assert!(
        matches!(read_videos(&p, DIMS), Err(QueryError::InvalidArgument(m)) if m.contains(".jsonl"))
    );
    let missing = dir.path().join("nope.jsonl");
    match read_videos(&missing, DIMS) {
        Err(e @ QueryError::Io { .. }) => assert!(e.to_string().contains("nope.jsonl")),
        other => panic!("{other:?}"),
    }
    let (_, line, issue, _) = bad("empty.jsonl", "\n\n", DIMS);
    assert_eq!(line, None);
    assert!(issue.message.contains("no video"));
}

#[test]
fn a_json_file_with_an_array_points_to_json_lines() {
    let (_, _, issue, _) = bad("many.json", &format!("[{}]", good_line("a")), DIMS);
    assert!(issue.message.contains(".jsonl"), "{issue}");
}

#[test]
fn syntax_errors_name_the_line_and_column() {
    let (issue, shown) = bad_line2(r#"{"id": "v2", "segments": [}"#, DIMS);
    assert!(issue.message.contains("column"), "{shown}");
    assert!(shown.contains("videos.jsonl:2"), "{shown}");
    // In a .json file the parser's line is the file's line.
    let text = "{\n  \"id\": \"x\",\n  \"segments\": [\n    {\"start\": 0, \"end\": }\n  ]\n}\n";
    let (_, line, _, _) = bad("one.json", text, DIMS);
    assert_eq!(line, Some(4));
}

#[test]
fn missing_and_unknown_fields_are_named() {
    let (issue, _) = bad_line2(r#"{"segments": []}"#, DIMS);
    assert_at(&issue, None, Some("id"), "missing");
    let (issue, _) = bad_line2(r#"{"id": "v2", "segment": []}"#, DIMS);
    assert_at(&issue, None, Some("segment"), "unknown field");
    let line = video_with(&[
        seg(0.0, 1.0),
        r#"{"start": 1, "end": 2, "audio_embedding": [1, 0, 0]}"#.into(),
    ]);
    let (issue, shown) = bad_line2(&line, DIMS);
    assert_at(&issue, Some(1), Some("audio_embedding"), "unknown field");
    assert_eq!(issue.video.as_deref(), Some("v2"));
    assert!(
        shown.contains("video `v2`, segment 1, field `audio_embedding`"),
        "{shown}"
    );
    let line = video_with(&[r#"{"end": 2, "caption": "x"}"#.into()]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert_at(&issue, Some(0), Some("start"), "missing");
}

#[test]
fn wrong_types_are_named() {
    let line = video_with(&[
        seg(0.0, 1.0),
        r#"{"start": "1s", "end": 2, "caption": "x"}"#.into(),
    ]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert_at(&issue, Some(1), Some("start"), "invalid type");
    let line = video_with(&[r#"{"start": 0, "end": 2, "audio_emb": [1, "a", 0]}"#.into()]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert_at(&issue, Some(0), Some("audio_emb"), "invalid type");
    let line = video_with(&[r#"{"start": 0, "end": 2, "caption": "x", "music_change": 1}"#.into()]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert_at(&issue, Some(0), Some("music_change"), "invalid type");
    let (issue, _) = bad_line2(
        &format!(
            r#"{{"id": "v2", "switch_budget": -1, "segments": [{}]}}"#,
            seg(0.0, 1.0)
        ),
        DIMS,
    );
    assert_at(&issue, None, Some("switch_budget"), "invalid value");
    let (issue, _) = bad_line2(r#"{"id": 7, "segments": []}"#, DIMS);
    assert_at(&issue, None, Some("id"), "invalid type");
    let (issue, _) = bad_line2(r#"[1, 2]"#, DIMS);
    assert!(issue.message.contains("JSON object"), "{issue}");
}

#[test]
fn overlapping_and_unordered_segments() {
    let (issue, _) = bad_line2(&video_with(&[seg(0.0, 5.0), seg(4.0, 8.0)]), DIMS);
    assert_at(
        &issue,
        Some(1),
        Some("start"),
        "overlaps the previous segment",
    );
    let (issue, _) = bad_line2(
        &video_with(&[seg(0.0, 5.0), seg(10.0, 12.0), seg(6.0, 7.0)]),
        DIMS,
    );
    assert_at(&issue, Some(2), Some("start"), "not in time order");
}

#[test]
fn non_positive_durations_and_negative_times() {
    let (issue, _) = bad_line2(&video_with(&[seg(0.0, 5.0), seg(5.0, 5.0)]), DIMS);
    assert_at(&issue, Some(1), Some("end"), "duration is not positive");
    let (issue, _) = bad_line2(&video_with(&[seg(3.0, 1.0)]), DIMS);
    assert_at(&issue, Some(0), Some("end"), "duration is not positive");
    let (issue, _) = bad_line2(&video_with(&[seg(-1.0, 1.0)]), DIMS);
    assert_at(&issue, Some(0), Some("start"), "negative");
    let (issue, _) = bad_line2(r#"{"id": "v2", "segments": []}"#, DIMS);
    assert_at(&issue, None, Some("segments"), "at least one segment");
}

#[test]
fn non_finite_values() {
    // JSON has no NaN; a number beyond f32 range becomes infinite when narrowed.
    let line = video_with(&[r#"{"start": 0, "end": 2, "audio_emb": [1, 1e39, 0]}"#.into()]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert_eq!(
        (issue.segment, issue.field.as_deref()),
        (Some(0), Some("audio_emb")),
        "{issue}"
    );
    let line = video_with(&[
        seg(0.0, 1.0),
        r#"{"start": 1, "end": 1e400, "caption": "x"}"#.into(),
    ]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert!(
        issue.field.as_deref() == Some("end") || issue.message.contains("out of range"),
        "{issue}"
    );
    // Videos built in memory can hold NaN; validation names it.
    let mut v = Video {
        id: "mem".into(),
        switch_budget: None,
        segments: vec![Segment {
            start: 0.0,
            end: 1.0,
            audio_emb: Some(vec![1.0, f32::NAN, 0.0]),
            text_emb: None,
            caption: None,
            music_change: None,
            ..Default::default()
        }],
    };
    let issue = v.validate(DIMS).unwrap_err();
    assert_at(
        &issue,
        Some(0),
        Some("audio_emb"),
        "element 1 is not finite",
    );
    v.segments[0].audio_emb = Some(vec![1.0, 0.0, 0.0]);
    v.segments[0].end = f64::INFINITY;
    let issue = v.validate(DIMS).unwrap_err();
    assert_at(&issue, Some(0), Some("end"), "not a finite number");
}

#[test]
fn wrong_dimensions() {
    let line = video_with(&[
        seg(0.0, 1.0),
        r#"{"start": 1, "end": 2, "audio_emb": [1, 0]}"#.into(),
    ]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert_at(
        &issue,
        Some(1),
        Some("audio_emb"),
        "has dimension 2, expected 3",
    );
    let line = video_with(&[r#"{"start": 0, "end": 2, "text_emb": [1, 0, 0]}"#.into()]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert_at(&issue, Some(0), Some("text_emb"), "expected 2");
    // Without expected dimensions, the first embedding of the file fixes them.
    let (issue, _) = bad_line2(
        &video_with(&[r#"{"start": 0, "end": 2, "audio_emb": [1, 0, 0, 0]}"#.into()]),
        EmbeddingDims::default(),
    );
    assert_at(
        &issue,
        Some(0),
        Some("audio_emb"),
        "has dimension 4, expected 3",
    );
}

#[test]
fn a_segment_needs_an_embedding_or_a_caption() {
    let line = video_with(&[
        seg(0.0, 1.0),
        r#"{"start": 1, "end": 2, "music_change": true}"#.into(),
    ]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert_at(&issue, Some(1), None, "neither an embedding");
    let line = video_with(&[r#"{"start": 0, "end": 2, "caption": "  "}"#.into()]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert_at(&issue, Some(0), Some("caption"), "empty");
    let line = video_with(&[r#"{"start": 0, "end": 2, "audio_emb": [0, 0, 0]}"#.into()]);
    let (issue, _) = bad_line2(&line, DIMS);
    assert_at(&issue, Some(0), Some("audio_emb"), "all zeros");
    let line = video_with(&[r#"{"start": 0, "end": 2, "audio_emb": []}"#.into()]);
    let (issue, _) = bad_line2(&line, EmbeddingDims::default());
    assert_at(&issue, Some(0), Some("audio_emb"), "expected 3");
}

#[test]
fn ids_must_be_present_and_unique() {
    let (issue, shown) = bad_line2(&good_line("first"), DIMS);
    assert_at(&issue, None, Some("id"), "duplicate");
    assert!(shown.contains("video `first`"), "{shown}");
    let (issue, _) = bad_line2(&good_line(" "), DIMS);
    assert_at(&issue, None, Some("id"), "empty");
}

#[test]
fn error_display_names_file_and_line() {
    let (_, shown) = bad_line2(&video_with(&[seg(0.0, 5.0), seg(4.0, 8.0)]), DIMS);
    assert!(
        shown.contains("videos.jsonl:2: video `v2`, segment 1, field `start`: overlaps"),
        "{shown}"
    );
}
