//! Timed text for captions: SRT and WebVTT subtitles, or a JSON list of `{start, end, text}`.
//! Each music segment's caption is the text spoken in it.

use std::path::Path;

use serde::Deserialize;

use crate::error::SegmentError;

/// One timed text.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Cue {
    /// Seconds.
    pub start: f64,
    /// Seconds.
    pub end: f64,
    pub text: String,
}

/// What a caption file gave: its cues in time order, and a note when its text was not UTF-8.
#[derive(Debug, Clone, PartialEq)]
pub struct Captions {
    pub cues: Vec<Cue>,
    /// Set when the file was decoded as Windows-1252 because it is not UTF-8.
    pub note: Option<String>,
}

/// Reads `path`: `.srt`, `.vtt` (WebVTT) or `.json` (a list of `{start, end, text}`).
pub fn read_captions(path: &Path) -> Result<Captions, SegmentError> {
    let bytes = std::fs::read(path).map_err(|e| SegmentError::io(path, e))?;
    let (text, note) = decode(&bytes);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bad = |line: Option<usize>, reason: String| SegmentError::BadCaptions {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut cues = match ext.as_deref() {
        Some("srt") => parse_srt(&text).map_err(|(l, r)| bad(Some(l), r))?,
        Some("vtt") => parse_vtt(&text).map_err(|(l, r)| bad(Some(l), r))?,
        Some("json") => {
            let cues: Vec<Cue> = serde_json::from_str(&text).map_err(|e| {
                bad(
                    Some(e.line()),
                    format!("expected a list of {{\"start\", \"end\", \"text\"}}: {e}"),
                )
            })?;
            for (i, c) in cues.iter().enumerate() {
                check_times(c.start, c.end).map_err(|r| bad(None, format!("caption {i}: {r}")))?;
            }
            cues
        }
        _ => {
            return Err(bad(
                None,
                "unknown caption format: use .srt, .vtt (WebVTT) or .json".into(),
            ));
        }
    };
    cues.retain(|c| !c.text.trim().is_empty());
    cues.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.end.total_cmp(&b.end)));
    Ok(Captions {
        cues,
        note: note.map(|n| format!("{}: {n}", path.display())),
    })
}

/// UTF-8 (a byte-order mark dropped), or else Windows-1252, the usual encoding of older
/// subtitle files.
fn decode(bytes: &[u8]) -> (String, Option<String>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(e) => {
            const HIGH: [char; 32] = [
                '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}',
                'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›',
                'œ', '\u{9d}', 'ž', 'Ÿ',
            ];
            let s = bytes
                .iter()
                .map(|&b| match b {
                    0x80..=0x9f => HIGH[(b - 0x80) as usize],
                    _ => b as char,
                })
                .collect();
            (
                s,
                Some(format!(
                    "not UTF-8 (byte {} is invalid); read as Windows-1252",
                    e.valid_up_to()
                )),
            )
        }
    }
}

fn check_times(start: f64, end: f64) -> Result<(), String> {
    if !(start.is_finite() && end.is_finite() && start >= 0.0) {
        return Err(format!("times {start} --> {end} are not valid"));
    }
    if end < start {
        return Err(format!("ends ({end} s) before it starts ({start} s)"));
    }
    Ok(())
}

/// `HH:MM:SS,mmm` (SRT) or `[HH:]MM:SS.mmm` (WebVTT): seconds.
fn timestamp(s: &str) -> Option<f64> {
    let s = s.trim().replace(',', ".");
    let parts: Vec<&str> = s.split(':').collect();
    let (h, m, sec) = match parts[..] {
        [h, m, sec] => (h.parse::<u64>().ok()?, m.parse::<u64>().ok()?, sec),
        [m, sec] => (0, m.parse::<u64>().ok()?, sec),
        _ => return None,
    };
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, "0"));
    if m >= 60 || whole.len() != 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = whole.parse().ok()?;
    if secs >= 60 {
        return None;
    }
    let frac: f64 = format!("0.{frac}").parse().ok()?;
    Some((h * 3600 + m * 60 + secs) as f64 + frac)
}

/// `start --> end [settings]` on line `line` (1-based).
fn timing(line: &str) -> Option<Result<(f64, f64), String>> {
    let (a, b) = line.split_once("-->")?;
    let end_token = b.split_whitespace().next().unwrap_or("");
    Some(match (timestamp(a), timestamp(end_token)) {
        (Some(s), Some(e)) => check_times(s, e).map(|_| (s, e)),
        _ => Err(format!("malformed timing {:?}", line.trim())),
    })
}

/// Removes markup: `<i>`, `</b>`, `<v Speaker>`, `<00:01.000>`, `{\an8}`, and `&amp;`-style
/// entities of WebVTT.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth_angle = false;
    let mut depth_brace = false;
    for c in text.chars() {
        match c {
            '<' => depth_angle = true,
            '>' if depth_angle => depth_angle = false,
            '{' if text.contains("{\\") => depth_brace = true,
            '}' if depth_brace => depth_brace = false,
            _ if depth_angle || depth_brace => {}
            _ => out.push(c),
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Blocks of non-empty lines with their first line number.
fn blocks(text: &str) -> Vec<(usize, Vec<&str>)> {
    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut first = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push((first, std::mem::take(&mut cur)));
            }
        } else {
            if cur.is_empty() {
                first = i + 1;
            }
            cur.push(line);
        }
    }
    if !cur.is_empty() {
        out.push((first, cur));
    }
    out
}

type ParseResult = Result<Vec<Cue>, (usize, String)>;

/// SubRip: blocks of an optional index line, a timing line and text lines.
pub fn parse_srt(text: &str) -> ParseResult {
    let mut cues = Vec::new();
    for (first, lines) in blocks(text) {
        let (cue, timing_line) = cue_of(first, &lines, "a subtitle block")?;
        if timing_line == 1 && lines[0].trim().parse::<u64>().is_err() {
            return Err((first, format!("{:?} is not a subtitle number", lines[0])));
        }
        cues.push(cue);
    }
    Ok(cues)
}

/// WebVTT: a `WEBVTT` header, then cues (optional identifier line, timing, text); `NOTE`,
/// `STYLE` and `REGION` blocks are skipped.
pub fn parse_vtt(text: &str) -> ParseResult {
    let all = blocks(text);
    let Some((first, header)) = all.first() else {
        return Err((1, "empty file: a WebVTT file starts with WEBVTT".into()));
    };
    if !header[0].starts_with("WEBVTT") {
        return Err((*first, "a WebVTT file starts with WEBVTT".into()));
    }
    let mut cues = Vec::new();
    for (first, lines) in &all[1..] {
        let head = lines[0].trim_start();
        if head.starts_with("NOTE") || head.starts_with("STYLE") || head.starts_with("REGION") {
            continue;
        }
        cues.push(cue_of(*first, lines, "a cue")?.0);
    }
    Ok(cues)
}

/// The cue of a block whose timing line is its first or second (after an identifier), and
/// that line's index; `what` names the block in the error.
fn cue_of(first: usize, lines: &[&str], what: &str) -> Result<(Cue, usize), (usize, String)> {
    let Some(at) = lines
        .iter()
        .position(|l| l.contains("-->"))
        .filter(|&a| a <= 1)
    else {
        return Err((first, format!("{what} without a `start --> end` line")));
    };
    let (start, end) = timing(lines[at])
        .expect("the line has -->")
        .map_err(|r| (first + at, r))?;
    let text = plain(&lines[at + 1..].join(" "));
    Ok((Cue { start, end, text }, at))
}

/// The text of the cues that overlap `[start, end)`, in time order, repeated lines once.
pub fn caption_for(cues: &[Cue], start: f64, end: f64) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in cues {
        let overlap = c.end.min(end) - c.start.max(start);
        if overlap > 0.0 || (c.start == c.end && c.start >= start && c.start < end) {
            let t = c.text.trim();
            if !t.is_empty() && parts.last() != Some(&t) {
                parts.push(t);
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srt_cues_with_markup_and_crlf() {
        let srt = "1\r\n00:00:01,000 --> 00:00:04,500\r\n<i>Hello</i> there,\r\n{\\an8}friend\r\n\r\n2\r\n00:01:02,250 --> 00:01:03,000\r\nAgain &amp; again\r\n";
        let cues = parse_srt(srt).unwrap();
        assert_eq!(cues.len(), 2);
        assert_eq!(cues[0].start, 1.0);
        assert_eq!(cues[0].end, 4.5);
        assert_eq!(cues[0].text, "Hello there, friend");
        assert_eq!(cues[1].start, 62.25);
        assert_eq!(cues[1].text, "Again & again");
    }

    #[test]
    fn vtt_cues_with_settings_identifiers_and_notes() {
        let vtt = "WEBVTT - title\n\nNOTE a comment\nover lines\n\nintro\n00:01.000 --> 00:02.500 align:start\n<v Anna>Hi</v>\n\n01:00:00.000 --> 01:00:01.000\nLate\n";
        let cues = parse_vtt(vtt).unwrap();
        assert_eq!(cues.len(), 2);
        assert_eq!((cues[0].start, cues[0].end), (1.0, 2.5));
        assert_eq!(cues[0].text, "Hi");
        assert_eq!(cues[1].start, 3600.0);
    }

    #[test]
    fn malformed_timings_name_their_line() {
        let err = parse_srt("1\n00:00:01,000 --> 00:00:0x,000\nhi\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(err.1.contains("malformed timing"), "{err:?}");
        let err = parse_srt("1\n00:00:05,000 --> 00:00:01,000\nhi\n").unwrap_err();
        assert!(err.1.contains("before it starts"), "{err:?}");
        let err = parse_srt("hello\nworld\n").unwrap_err();
        assert_eq!(err.0, 1);
        let err = parse_vtt("1\n00:01.000 --> 00:02.000\nx\n").unwrap_err();
        assert!(err.1.contains("WEBVTT"), "{err:?}");
        assert!(parse_vtt("").is_err());
    }

    #[test]
    fn captions_join_overlapping_cues_in_order_once() {
        let cues = vec![
            Cue {
                start: 0.0,
                end: 5.0,
                text: "one".into(),
            },
            Cue {
                start: 3.0,
                end: 8.0,
                text: "two".into(),
            },
            Cue {
                start: 3.5,
                end: 4.0,
                text: "two".into(),
            },
            Cue {
                start: 10.0,
                end: 12.0,
                text: "three".into(),
            },
        ];
        assert_eq!(caption_for(&cues, 0.0, 6.0).as_deref(), Some("one two"));
        assert_eq!(caption_for(&cues, 8.0, 10.0), None);
        assert_eq!(caption_for(&cues, 9.0, 20.0).as_deref(), Some("three"));
    }

    #[test]
    fn non_utf8_is_read_as_windows_1252_with_a_note() {
        let (s, note) = decode(b"caf\xe9 \x93quoted\x94");
        assert_eq!(s, "café “quoted”");
        assert!(note.unwrap().contains("Windows-1252"));
        let (s, note) = decode("\u{feff}plain".as_bytes());
        assert_eq!(s, "plain");
        assert!(note.is_none());
    }
}
