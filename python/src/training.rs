//! Module functions around a library: fitting its soundtrack model, evaluating policies, and
//! generating seeded catalogues and videos (for tests, demos and benchmarks).

use std::path::PathBuf;

use pyo3::prelude::*;
use segue::eval::{EvalPolicy, evaluate as evaluate_policies};
use segue::fixtures::{CatalogSpec, DEFAULT_CLUSTERS, VideoSpec};
use segue::soundtrack::{PolicyChoice, fit as fit_file, fit_videos, planner_for, video_anchors};
use segue::{EncoderOptions, Library};

use crate::errors::{OrRaise, bad_input};
use crate::library::json_to_py;
use crate::planner::PlanKwargs;
use crate::search_args::track_ids;
use crate::videos;

/// Fits the library's soundtrack model (reference embeddings, switch-budget model) on
/// `videos` and publishes it as a new version; returns what was fitted.
#[pyfunction]
pub fn fit<'py>(
    py: Python<'py>,
    library: PathBuf,
    videos: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let (_manifest, summary) = match videos.extract::<PathBuf>() {
        Ok(path) if !looks_like_json(videos) => {
            py.detach(|| fit_file(&library, &path)).or_raise()?
        }
        _ => {
            let open = py.detach(|| Library::open(&library)).or_raise()?;
            let list = videos::videos(videos, &open)?;
            drop(open);
            py.detach(|| fit_videos(&library, &list, "python"))
                .or_raise()?
        }
    };
    json_to_py(py, &summary)
}

fn looks_like_json(obj: &Bound<'_, PyAny>) -> bool {
    obj.extract::<String>()
        .is_ok_and(|s| s.trim_start().starts_with('{'))
}

/// Plans every video with every policy and returns `{"rows": [...], "summaries": [...]}`:
/// one row per video and policy (return, switches, alignment, time per step), one summary per
/// policy.
#[pyfunction]
#[pyo3(signature = (
    library, videos, *, policies=vec!["random".to_string(), "greedy-all".into(), "beam".into()],
    filter=None, exact=false, candidates=None, beam_width=None, seed=0, sample=false,
    max_per_artist=None, exclude_ids=None, no_repeat_across_videos=false, diversify=None,
    diversify_keep=None, motion_energy=0.0, models_dir=None
))]
#[allow(clippy::too_many_arguments)]
pub fn evaluate<'py>(
    py: Python<'py>,
    library: PathBuf,
    videos: &Bound<'py, PyAny>,
    policies: Vec<String>,
    filter: Option<String>,
    exact: bool,
    candidates: Option<usize>,
    beam_width: Option<usize>,
    seed: u64,
    sample: bool,
    max_per_artist: Option<u32>,
    exclude_ids: Option<&Bound<'py, PyAny>>,
    no_repeat_across_videos: bool,
    diversify: Option<String>,
    diversify_keep: Option<usize>,
    motion_energy: f64,
    models_dir: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    if policies.is_empty() {
        return Err(bad_input("no policies to evaluate"));
    }
    let opts = PlanKwargs {
        policy: "beam".into(),
        filter,
        exact,
        candidates,
        exact_candidates: false,
        beam_width,
        seed,
        sample,
        max_per_artist,
        exclude_ids: track_ids(exclude_ids, "exclude_ids")?,
        no_repeat_across_videos,
        diversify,
        diversify_keep,
        motion_energy,
    }
    .options()?;
    let choices = policies
        .iter()
        .map(|p| p.parse::<PolicyChoice>().or_raise())
        .collect::<PyResult<Vec<_>>>()?;
    let encoders = EncoderOptions {
        models_dir,
        ..EncoderOptions::default()
    };
    let open = py.detach(|| Library::open(&library)).or_raise()?;
    let list = videos::videos(videos, &open)?;
    let report = py
        .detach(|| -> segue::Result<_> {
            let planner = planner_for(std::sync::Arc::new(open), &encoders)?;
            let policies: Vec<_> = choices.into_iter().map(EvalPolicy::Builtin).collect();
            evaluate_policies(&planner, &list, &policies, &opts, |_, _| {})
        })
        .or_raise()?;
    json_to_py(py, &report)
}

/// Writes a seeded synthetic catalogue (Parquet) of `tracks` tracks with audio and text
/// embeddings of the given dimensions (0: none); the same arguments give the same file.
#[pyfunction]
#[pyo3(signature = (path, *, tracks, audio_dim=0, text_dim=0, seed=0, clusters=DEFAULT_CLUSTERS))]
pub fn generate_catalog<'py>(
    py: Python<'py>,
    path: PathBuf,
    tracks: u64,
    audio_dim: usize,
    text_dim: usize,
    seed: u64,
    clusters: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = CatalogSpec {
        tracks,
        audio_dim,
        text_dim,
        seed,
        clusters,
        artists: segue::fixtures::Artists::ClusterOnly,
    };
    let s = py
        .detach(|| segue::fixtures::write_catalog_parquet(&spec, &path, &mut |_| {}))
        .or_raise()?;
    json_to_py(
        py,
        &serde_json::json!({"tracks": s.tracks, "bytes": s.bytes, "clusters": s.clusters}),
    )
}

/// Writes `count` seeded synthetic videos (JSON Lines) whose scenes wander near `anchors`
/// tracks of `library`, with `music_change` flags to fit on.
#[pyfunction]
#[pyo3(signature = (path, library, *, count, seed=0, anchors=64, min_segments=5, max_segments=60))]
#[allow(clippy::too_many_arguments)]
pub fn generate_videos<'py>(
    py: Python<'py>,
    path: PathBuf,
    library: PathBuf,
    count: usize,
    seed: u64,
    anchors: usize,
    min_segments: usize,
    max_segments: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = VideoSpec {
        count,
        seed,
        min_segments,
        max_segments,
    };
    let s = py
        .detach(|| -> segue::Result<_> {
            let lib = Library::open(&library)?;
            let anchors = video_anchors(&lib, anchors)?;
            Ok(segue::fixtures::write_videos_jsonl(&spec, &anchors, &path)?)
        })
        .or_raise()?;
    json_to_py(
        py,
        &serde_json::json!({"videos": s.videos, "segments": s.segments, "bytes": s.bytes}),
    )
}
