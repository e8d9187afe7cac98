use segue_segment::{SegmentError, VideoOptions, read_captions, segment_video};

use segue_fixtures::video_files::{Scene, cut_video};

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn overlapping_and_empty_cues_give_captions_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let srt = "2\n00:00:03,000 --> 00:00:05,000\nsecond line\n\n\
               1\n00:00:01,000 --> 00:00:04,000\nfirst line\n\n\
               3\n00:00:06,000 --> 00:00:07,000\n\n\n";
    let caps = read_captions(&write(dir.path(), "a.srt", srt.as_bytes())).unwrap();
    let texts: Vec<&str> = caps.cues.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["first line", "second line"]);
}

#[test]
fn malformed_subtitles_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bad.vtt",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\n00:00:05.000 --> 00:00:04.000\nbackwards\n",
    );
    let err = read_captions(&p).unwrap_err();
    assert!(
        matches!(err, SegmentError::BadCaptions { line: Some(_), .. }),
        "{err}"
    );
    assert!(err.to_string().contains("bad.vtt:"), "{err}");

    let p = write(
        dir.path(),
        "caps.json",
        br#"[{"start": 1, "text": "no end"}]"#,
    );
    let err = read_captions(&p).unwrap_err();
    assert!(err.to_string().contains("caps.json"), "{err}");

    let p = write(dir.path(), "caps.txt", b"hello");
    assert!(
        read_captions(&p)
            .unwrap_err()
            .to_string()
            .contains("caps.txt")
    );
}

#[test]
fn non_utf8_subtitles_are_read_as_windows_1252_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "latin.srt",
        b"1\n00:00:01,000 --> 00:00:02,000\nCaf\xe9 cr\xe8me\n",
    );
    let caps = read_captions(&p).unwrap();
    assert_eq!(caps.cues[0].text, "Café crème");
    assert!(caps.note.unwrap().contains("latin.srt"));
}

#[test]
fn each_segment_of_a_video_gets_the_words_spoken_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let scenes = [
        Scene {
            source: "color=c=red",
            seconds: 20.0,
        },
        Scene {
            source: "testsrc2",
            seconds: 20.0,
        },
    ];
    let (path, _) = cut_video(dir.path(), "talk", &scenes).unwrap();
    let subs = write(
        dir.path(),
        "talk.srt",
        b"1\n00:00:01,000 --> 00:00:03,000\nA quiet red morning\n\n\
          2\n00:00:25,000 --> 00:00:28,000\nThe city wakes up\n",
    );
    let opts = VideoOptions {
        captions: Some(subs),
        ..VideoOptions::default()
    };
    let got = segment_video(&path, &opts).unwrap();
    let segs = &got.video.segments;
    assert_eq!(segs.len(), 2, "{segs:?}");
    assert_eq!(segs[0].caption.as_deref(), Some("A quiet red morning"));
    assert_eq!(segs[1].caption.as_deref(), Some("The city wakes up"));
    assert!(got.notes.is_empty(), "{:?}", got.notes);
}
