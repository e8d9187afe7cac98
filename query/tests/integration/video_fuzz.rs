//! Issue 14: property-based fuzzing of the video JSON that users feed `segue soundtrack`,
//! `segue eval` and the Python planner: a valid video (or JSON Lines file of videos) with a few
//! random edits is either accepted as a video that keeps every documented rule, or refused with
//! an error that names the file and says what is wrong — never a panic. `SEGUE_FUZZ_CASES` sets
//! the cases per property (`scripts/fuzz-long` runs a long budget).

use segue_fixtures::fuzz::{edited, edits_biased, runner};
use segue_query::QueryError;
use segue_query::video::{EmbeddingDims, Video, parse_video, read_videos};

const DIMS: EmbeddingDims = EmbeddingDims {
    audio: Some(4),
    text: Some(3),
};

/// JSON's structural bytes, digits and the letters of its literals.
const JSON_BYTES: &[u8] = b"{}[],:\"\\0123456789.-+eEtrufalsn \n";

/// A video that uses every field of the format.
const VIDEO: &str = r#"{"id":"beach","switch_budget":2,"segments":[
 {"start":0.0,"end":9.5,"audio_emb":[0.1,-0.2,0.3,0.4],"caption":"waves at dawn","motion":0.25,"shot_count":3},
 {"start":9.5,"end":15.0,"text_emb":[0.3,0.1,-1e-3],"music_change":true},
 {"start":16.0,"end":30.25,"caption":"a gull takes off","motion":1.5}]}"#;

/// Everything the format promises about an accepted video.
fn assert_keeps_the_rules(video: &Video) {
    assert!(!video.id.trim().is_empty());
    assert!(!video.segments.is_empty());
    let mut prev_end = 0.0;
    for s in &video.segments {
        assert!(s.start.is_finite() && s.end.is_finite(), "{s:?}");
        assert!(s.start >= prev_end && s.end > s.start, "{s:?}");
        prev_end = s.end;
        for (emb, dim) in [(&s.audio_emb, DIMS.audio), (&s.text_emb, DIMS.text)] {
            if let Some(e) = emb {
                assert_eq!(Some(e.len()), dim);
                assert!(e.iter().all(|x| x.is_finite()));
                assert!(e.iter().any(|&x| x != 0.0));
            }
        }
        assert!(s.motion.is_none_or(|m| m.is_finite() && m >= 0.0));
        assert!(s.audio_emb.is_some() || s.text_emb.is_some() || s.caption.is_some());
    }
}

#[test]
fn the_base_cases_are_valid() {
    assert_keeps_the_rules(&parse_video(VIDEO, DIMS).unwrap());
}

#[test]
fn damaged_video_json_is_accepted_valid_or_refused() {
    let base = VIDEO.as_bytes();
    runner(512)
        .run(&edits_biased(4, JSON_BYTES), |e| {
            let bytes = edited(base, &e, 0..base.len());
            // Text that is not UTF-8 never reaches the parser from a file (see below).
            if let Ok(text) = std::str::from_utf8(&bytes) {
                match parse_video(text, DIMS) {
                    Ok(video) => assert_keeps_the_rules(&video),
                    Err(err) => assert!(!err.to_string().is_empty()),
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn damaged_video_files_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let one_line = VIDEO.replace('\n', "");
    let jsonl = format!("{one_line}\n\n{}\n", one_line.replace("beach", "harbour"));
    for (name, base) in [("videos.jsonl", jsonl), ("video.json", VIDEO.to_string())] {
        let path = tmp.path().join(name);
        let base = base.into_bytes();
        runner(256)
            .run(&edits_biased(4, JSON_BYTES), |e| {
                std::fs::write(&path, edited(&base, &e, 0..base.len())).unwrap();
                match read_videos(&path, DIMS) {
                    Ok(videos) => videos.iter().for_each(assert_keeps_the_rules),
                    Err(err) => {
                        let message = err.to_string();
                        assert!(
                            message.contains(name),
                            "the error does not name the file: {message}"
                        );
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn deeply_nested_json_is_an_error_not_a_stack_overflow() {
    for depth in [1_000, 100_000] {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let nested_field = format!(
            r#"{{"id":"x","segments":[{{"start":0,"end":1,"caption":{}"c"{}}}]}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        for t in [text, nested_field] {
            assert!(matches!(
                parse_video(&t, DIMS),
                Err(QueryError::InvalidVideo(_))
            ));
        }
    }
}
