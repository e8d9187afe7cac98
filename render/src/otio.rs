//! The edit list as OpenTimelineIO JSON (`.otio`), which editors import.
//!
//! Clips alternate between two audio tracks, "A" and "B", so that the overlap of a crossfade
//! or fade can be represented; gaps fill the rest. OTIO has no standard audio fade, so each
//! clip's gain envelope (fades, level-matching gain) is in its metadata under `segue`, and
//! every transition is a marker on the stack naming its kind and the director's reason. Times
//! are counted in samples at the render's rate, so they are exact.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use segue_query::arrange::Arrangement;

use crate::error::{RenderError, Result};
use crate::mixer::frame_at;

fn time(frames: usize, rate: u32) -> Value {
    json!({"OTIO_SCHEMA": "RationalTime.1", "rate": f64::from(rate), "value": frames as f64})
}

fn range(start: usize, duration: usize, rate: u32) -> Value {
    json!({
        "OTIO_SCHEMA": "TimeRange.1",
        "start_time": time(start, rate),
        "duration": time(duration, rate),
    })
}

fn gap(frames: usize, rate: u32) -> Value {
    json!({
        "OTIO_SCHEMA": "Gap.1",
        "name": "",
        "metadata": {},
        "source_range": range(0, frames, rate),
        "effects": [],
        "markers": [],
        "enabled": true,
    })
}

fn file_url(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", abs.display())
}

fn media_reference(name: &str, path: Option<&PathBuf>) -> Value {
    match path {
        Some(path) => json!({
            "OTIO_SCHEMA": "ExternalReference.1",
            "name": name,
            "metadata": {},
            "available_range": null,
            "available_image_bounds": null,
            "target_url": file_url(path),
        }),
        None => json!({
            "OTIO_SCHEMA": "MissingReference.1",
            "name": name,
            "metadata": {},
            "available_range": null,
            "available_image_bounds": null,
        }),
    }
}

/// The OTIO timeline of `arrangement` named `name`; `paths[i]` is clip `i`'s audio file
/// (`None`: a missing reference, for a track the library has no file of).
pub fn timeline(
    arrangement: &Arrangement,
    name: &str,
    paths: &[Option<PathBuf>],
    rate: u32,
) -> Value {
    let mut tracks: [(Vec<Value>, usize); 2] = [(Vec::new(), 0), (Vec::new(), 0)];
    for (i, (clip, path)) in arrangement.clips.iter().zip(paths).enumerate() {
        let (items, end) = &mut tracks[i % 2];
        let start = frame_at(clip.timeline_in, rate);
        let stop = frame_at(clip.timeline_out, rate);
        if start > *end {
            items.push(gap(start - *end, rate));
        }
        let source_start = frame_at(clip.source_in, rate);
        items.push(json!({
            "OTIO_SCHEMA": "Clip.2",
            "name": clip.track_id,
            "metadata": {"segue": {
                "row": clip.row,
                "role": clip.role,
                "gain_db": clip.gain_db,
                "fade_in_s": clip.fade_in.seconds,
                "fade_out_s": clip.fade_out.seconds,
                "fade_shape": "equal_power",
                "timeline_in_s": clip.timeline_in,
                "timeline_out_s": clip.timeline_out,
            }},
            "source_range": range(source_start, stop.saturating_sub(start), rate),
            "effects": [],
            "markers": [],
            "enabled": true,
            "media_references": {"DEFAULT_MEDIA": media_reference(&clip.track_id, path.as_ref())},
            "active_media_reference_key": "DEFAULT_MEDIA",
        }));
        *end = stop.max(*end);
    }
    let total = frame_at(arrangement.duration, rate);
    let children: Vec<Value> = tracks
        .into_iter()
        .zip(["A", "B"])
        .map(|((mut items, end), track_name)| {
            if total > end {
                items.push(gap(total - end, rate));
            }
            json!({
                "OTIO_SCHEMA": "Track.1",
                "name": track_name,
                "kind": "Audio",
                "metadata": {},
                "source_range": null,
                "effects": [],
                "markers": [],
                "enabled": true,
                "children": items,
            })
        })
        .collect();
    let markers: Vec<Value> = arrangement
        .transitions
        .iter()
        .map(|t| {
            let start = frame_at(t.out_fade_start.min(t.in_start), rate);
            let end = frame_at(t.out_end.max(t.in_full), rate);
            json!({
                "OTIO_SCHEMA": "Marker.2",
                "name": t.kind.name(),
                "color": "RED",
                "comment": t.reason,
                "metadata": {"segue": {
                    "from_track": t.from_track,
                    "to_track": t.to_track,
                    "bridge_track": t.bridge.as_ref().map(|b| &b.track_id),
                    "segment": t.segment,
                    "boundary_s": t.boundary,
                }},
                "marked_range": range(start, end.saturating_sub(start), rate),
            })
        })
        .collect();
    json!({
        "OTIO_SCHEMA": "Timeline.1",
        "name": name,
        "metadata": {"segue": {"ends_on_bar": arrangement.ends_on_bar}},
        "global_start_time": null,
        "tracks": {
            "OTIO_SCHEMA": "Stack.1",
            "name": "tracks",
            "metadata": {},
            "source_range": null,
            "effects": [],
            "markers": markers,
            "enabled": true,
            "children": children,
        },
    })
}

/// Writes [`timeline`] to `path`, atomically.
pub fn write(
    path: &Path,
    arrangement: &Arrangement,
    name: &str,
    paths: &[Option<PathBuf>],
    rate: u32,
) -> Result<()> {
    let value = timeline(arrangement, name, paths, rate);
    let bytes = serde_json::to_vec_pretty(&value).expect("JSON values always serialise");
    segue_index::atomic::atomic_write(path, &bytes).map_err(|e| RenderError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
