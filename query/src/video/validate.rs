//! The rules every video must satisfy before a sequencer sees it.

use super::{EmbeddingDims, Segment, Video, VideoIssue};

pub(super) fn validate(video: &Video, dims: EmbeddingDims) -> Result<(), VideoIssue> {
    let at = |issue: VideoIssue| issue.video(&video.id);
    if video.id.trim().is_empty() {
        return Err(at(VideoIssue::new("id is empty").field("id")));
    }
    if video.segments.is_empty() {
        return Err(at(
            VideoIssue::new("a video needs at least one segment").field("segments")
        ));
    }
    // A `None` expected dimension is fixed by the first embedding of the video.
    let mut dims = dims;
    let mut prev: Option<&Segment> = None;
    for (i, seg) in video.segments.iter().enumerate() {
        let at = |issue: VideoIssue| at(issue.segment(i));
        check_times(seg, prev).map_err(at)?;
        check_embedding(seg.audio_emb.as_deref(), "audio_emb", &mut dims.audio).map_err(at)?;
        check_embedding(seg.text_emb.as_deref(), "text_emb", &mut dims.text).map_err(at)?;
        if let Some(c) = &seg.caption
            && c.trim().is_empty()
        {
            return Err(at(VideoIssue::new(
                "caption is empty (omit the field instead)",
            )
            .field("caption")));
        }
        if let Some(m) = seg.motion
            && !(m.is_finite() && m >= 0.0)
        {
            return Err(at(VideoIssue::new(format!(
                "motion must be a finite number ≥ 0, got {m}"
            ))
            .field("motion")));
        }
        if seg.audio_emb.is_none() && seg.text_emb.is_none() && seg.caption.is_none() {
            return Err(at(VideoIssue::new(
                "the segment has neither an embedding (`audio_emb`, `text_emb`) nor a `caption`",
            )));
        }
        prev = Some(seg);
    }
    Ok(())
}

fn check_times(seg: &Segment, prev: Option<&Segment>) -> Result<(), VideoIssue> {
    for (name, v) in [("start", seg.start), ("end", seg.end)] {
        if !v.is_finite() {
            return Err(
                VideoIssue::new(format!("{name} is not a finite number ({v})")).field(name),
            );
        }
    }
    if seg.start < 0.0 {
        return Err(VideoIssue::new(format!("start is negative ({})", seg.start)).field("start"));
    }
    if seg.end <= seg.start {
        return Err(VideoIssue::new(format!(
            "duration is not positive: end {} ≤ start {}",
            seg.end, seg.start
        ))
        .field("end"));
    }
    if let Some(p) = prev {
        if seg.start < p.start {
            return Err(VideoIssue::new(format!(
                "segments are not in time order: start {} is before the previous segment's start {}",
                seg.start, p.start
            ))
            .field("start"));
        }
        if seg.start < p.end {
            return Err(VideoIssue::new(format!(
                "overlaps the previous segment: start {} is before its end {}",
                seg.start, p.end
            ))
            .field("start"));
        }
    }
    Ok(())
}

fn check_embedding(
    v: Option<&[f32]>,
    field: &str,
    expected: &mut Option<usize>,
) -> Result<(), VideoIssue> {
    let Some(v) = v else { return Ok(()) };
    let issue = |m: String| VideoIssue::new(m).field(field);
    match *expected {
        Some(d) if v.len() != d => {
            return Err(issue(format!("has dimension {}, expected {d}", v.len())));
        }
        Some(_) => {}
        None => *expected = Some(v.len()),
    }
    if v.is_empty() {
        return Err(issue("is empty".into()));
    }
    if let Some((k, x)) = v.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        return Err(issue(format!("element {k} is not finite ({x})")));
    }
    if v.iter().all(|x| *x == 0.0) {
        return Err(issue("is all zeros (omit the field instead)".into()));
    }
    Ok(())
}
