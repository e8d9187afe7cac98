//! `segue.Planner`: soundtracks for videos on one library version.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use segue::render::{RenderOptions, export_otio, read_plan, render_plan};
use segue::soundtrack::{
    DEFAULT_STEP_KEEP, PlanOptions, Planner, PolicyChoice, SoundtrackPlan, StepRerank, planner_for,
    plans_record_batch,
};
use segue::{EncoderOptions, Library};

use crate::arrow::to_pyarrow_table;
use crate::errors::{OrRaise, bad_input};
use crate::library::json_to_py;
use crate::search_args::track_ids;
use crate::sharded;
use crate::videos;

/// Plans soundtracks on the library version it was made from; safe to share between threads
/// (a trained policy's ONNX session is built once and reused).
#[pyclass(name = "Planner", module = "segue._segue", frozen)]
pub struct PyPlanner {
    planner: Arc<Planner>,
}

impl std::fmt::Debug for PyPlanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.__repr__())
    }
}

impl PyPlanner {
    pub fn new(
        py: Python<'_>,
        library: Arc<Library>,
        encoders: &EncoderOptions,
    ) -> PyResult<PyPlanner> {
        let planner = py.detach(|| planner_for(library, encoders)).or_raise()?;
        Ok(PyPlanner {
            planner: Arc::new(planner),
        })
    }
}

/// The planning keyword arguments shared by `Planner.plan`, `Planner.plan_batch` and
/// `segue.evaluate`, as given.
#[derive(Debug, Clone)]
pub struct PlanKwargs {
    pub policy: String,
    pub filter: Option<String>,
    pub exact: bool,
    pub candidates: Option<usize>,
    pub exact_candidates: bool,
    pub beam_width: Option<usize>,
    pub seed: u64,
    pub sample: bool,
    pub max_per_artist: Option<u32>,
    pub exclude_ids: Vec<String>,
    pub no_repeat_across_videos: bool,
    pub diversify: Option<String>,
    pub diversify_keep: Option<usize>,
    pub motion_energy: f64,
}

impl PlanKwargs {
    /// The engine's plan options (its defaults where nothing was given), checked.
    pub fn options(self) -> PyResult<PlanOptions> {
        let defaults = PlanOptions::default();
        let policy: PolicyChoice = self.policy.parse().or_raise()?;
        if self.candidates == Some(0) || self.beam_width == Some(0) {
            return Err(bad_input("candidates and beam_width must be at least 1"));
        }
        if self.max_per_artist == Some(0) {
            return Err(bad_input(
                "max_per_artist must be at least 1 (a cap of 0 would exclude every track)",
            ));
        }
        let mut objective = defaults.objective;
        objective.weights.motion_energy = self.motion_energy;
        objective.validate().or_raise()?;
        Ok(PlanOptions {
            policy,
            objective,
            filter: self.filter,
            exact: self.exact,
            candidates: self.candidates.unwrap_or(defaults.candidates),
            exact_candidates: self.exact_candidates,
            beam_width: self.beam_width.unwrap_or(defaults.beam_width),
            seed: self.seed,
            sample: self.sample,
            max_per_artist: self.max_per_artist,
            exclude_ids: self.exclude_ids,
            no_repeat_across_videos: self.no_repeat_across_videos,
            diversify: match self.diversify {
                Some(method) => {
                    let method = method
                        .parse()
                        .map_err(|e| bad_input(format!("diversify: {e}")))?;
                    let keep = self.diversify_keep.unwrap_or(DEFAULT_STEP_KEEP);
                    Some(StepRerank::new(method, keep).or_raise()?)
                }
                None if self.diversify_keep.is_some() => {
                    return Err(bad_input("diversify_keep needs diversify"));
                }
                None => None,
            },
            ..defaults
        })
    }
}

fn check_output(output: &str, allowed: &[&str]) -> PyResult<()> {
    if allowed.contains(&output) {
        Ok(())
    } else {
        Err(bad_input(format!(
            "unknown output {output:?} ({})",
            allowed.join(" or ")
        )))
    }
}

#[pymethods]
impl PyPlanner {
    /// The soundtrack plan of one video (a dict, a JSON string or a path to a file holding one
    /// video). `output="dict"` (default) gives the plan as a dict; `"table"` one row per
    /// segment as a pyarrow Table. `arrange=False` skips the arrangement (transitions, bridge
    /// tracks, the edit list `render` plays).
    #[pyo3(signature = (
        video, *, policy="beam", filter=None, exact=false, candidates=None,
        exact_candidates=false, beam_width=None, seed=0, sample=false, max_per_artist=None,
        exclude_ids=None, diversify=None, diversify_keep=None, motion_energy=0.0, arrange=true,
        output="dict"
    ))]
    #[allow(clippy::too_many_arguments)]
    fn plan<'py>(
        &self,
        py: Python<'py>,
        video: &Bound<'py, PyAny>,
        policy: &str,
        filter: Option<String>,
        exact: bool,
        candidates: Option<usize>,
        exact_candidates: bool,
        beam_width: Option<usize>,
        seed: u64,
        sample: bool,
        max_per_artist: Option<u32>,
        exclude_ids: Option<&Bound<'py, PyAny>>,
        diversify: Option<String>,
        diversify_keep: Option<usize>,
        motion_energy: f64,
        arrange: bool,
        output: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        check_output(output, &["dict", "table"])?;
        let mut opts = PlanKwargs {
            policy: policy.to_string(),
            filter,
            exact,
            candidates,
            exact_candidates,
            beam_width,
            seed,
            sample,
            max_per_artist,
            exclude_ids: track_ids(exclude_ids, "exclude_ids")?,
            no_repeat_across_videos: false,
            diversify,
            diversify_keep,
            motion_energy,
        }
        .options()?;
        opts.arrange = arrange;
        let video = videos::video(video, self.planner.library())?;
        let planner = &self.planner;
        let plan = py.detach(|| planner.plan(&video, &opts)).or_raise()?;
        if output == "table" {
            let batch = plans_record_batch(std::slice::from_ref(&plan)).or_raise()?;
            return to_pyarrow_table(py, batch);
        }
        json_to_py(py, &plan)
    }

    /// The plans of several videos (a list of dicts, JSON Lines text, or a path to a `.json`
    /// or `.jsonl` file) planned in order as one batch, e.g. one channel's videos: with
    /// `no_repeat_across_videos`, no track is placed in two of them. `output="dicts"`
    /// (default) gives a list of plans; `"table"` one row per segment of every plan.
    #[pyo3(signature = (
        videos, *, policy="beam", filter=None, exact=false, candidates=None,
        exact_candidates=false, beam_width=None, seed=0, sample=false, max_per_artist=None,
        exclude_ids=None, no_repeat_across_videos=false, diversify=None, diversify_keep=None,
        motion_energy=0.0, arrange=true, output="dicts"
    ))]
    #[allow(clippy::too_many_arguments)]
    fn plan_batch<'py>(
        &self,
        py: Python<'py>,
        videos: &Bound<'py, PyAny>,
        policy: &str,
        filter: Option<String>,
        exact: bool,
        candidates: Option<usize>,
        exact_candidates: bool,
        beam_width: Option<usize>,
        seed: u64,
        sample: bool,
        max_per_artist: Option<u32>,
        exclude_ids: Option<&Bound<'py, PyAny>>,
        no_repeat_across_videos: bool,
        diversify: Option<String>,
        diversify_keep: Option<usize>,
        motion_energy: f64,
        arrange: bool,
        output: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        check_output(output, &["dicts", "table"])?;
        let mut opts = PlanKwargs {
            policy: policy.to_string(),
            filter,
            exact,
            candidates,
            exact_candidates,
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
        opts.arrange = arrange;
        let list = videos::videos(videos, self.planner.library())?;
        let planner = &self.planner;
        let plans = py.detach(|| planner.plan_videos(&list, &opts)).or_raise()?;
        if output == "table" {
            return to_pyarrow_table(py, plans_record_batch(&plans).or_raise()?);
        }
        json_to_py(py, &plans)
    }

    /// The library version this planner plans on.
    #[getter]
    fn version(&self) -> u64 {
        self.planner.library().version()
    }

    /// Renders a plan (a dict from ``plan``, its JSON text, or a path to a file holding one)
    /// from the library's audio files to ``out`` (``.wav`` or ``.flac``, 16-bit stereo),
    /// loudness-normalised to ``target_lufs`` unless ``normalise=False``; with ``otio`` also
    /// writes the edit list as OpenTimelineIO. Returns the summary (`segue render --json`'s).
    #[pyo3(signature = (
        plan, out, *, otio=None, target_lufs=-16.0, normalise=true, sample_rate=44100,
        audio_dir=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn render<'py>(
        &self,
        py: Python<'py>,
        plan: &Bound<'py, PyAny>,
        out: PathBuf,
        otio: Option<PathBuf>,
        target_lufs: f64,
        normalise: bool,
        sample_rate: u32,
        audio_dir: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let plan = plan_from_py(plan)?;
        if !(8_000..=192_000).contains(&sample_rate) {
            return Err(bad_input("sample_rate must be 8000 to 192000 Hz"));
        }
        let opts = RenderOptions {
            sample_rate,
            target_lufs: normalise.then_some(target_lufs),
            ..Default::default()
        };
        let library = self.planner.library();
        let (summary, _) = py
            .detach(|| {
                render_plan(
                    library,
                    &plan,
                    &out,
                    otio.as_deref(),
                    &opts,
                    audio_dir.as_deref(),
                    &|_, _| {},
                )
            })
            .or_raise()?;
        json_to_py(py, &summary)
    }

    /// Writes a plan's edit list (see ``render`` for the plan) as OpenTimelineIO JSON to
    /// ``path``, times in samples at ``sample_rate``; clips of tracks without an audio file
    /// get a missing media reference.
    #[pyo3(signature = (plan, path, *, sample_rate=44100, audio_dir=None))]
    fn export_otio(
        &self,
        py: Python<'_>,
        plan: &Bound<'_, PyAny>,
        path: PathBuf,
        sample_rate: u32,
        audio_dir: Option<PathBuf>,
    ) -> PyResult<()> {
        let plan = plan_from_py(plan)?;
        let library = self.planner.library();
        py.detach(|| export_otio(library, &plan, &path, sample_rate, audio_dir.as_deref()))
            .or_raise()
    }

    /// For a sharded catalogue's router: per segment, per query `(space, unit vector)` (from
    /// `ShardedPlanner.segment_queries`), this shard's best `fetch` rows as `(rows, scores)`
    /// among those `filter` allows less `exclude_ids`; by exact scans with
    /// `exact_candidates`, else through the graphs.
    #[pyo3(signature = (queries, fetch, *, filter=None, exclude_ids=None, exact_candidates=false))]
    fn candidate_hits<'py>(
        &self,
        py: Python<'py>,
        queries: Vec<Vec<(String, Vec<f32>)>>,
        fetch: usize,
        filter: Option<String>,
        exclude_ids: Option<&Bound<'py, PyAny>>,
        exact_candidates: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        sharded::candidate_hits(
            py,
            &self.planner,
            queries,
            fetch,
            filter,
            exclude_ids,
            exact_candidates,
        )
    }

    /// For a sharded catalogue's router: what it plans with for `rows` of this library
    /// (`global_rows[i]` is `rows[i]`'s global row), as a dict of arrays.
    fn gather_tracks<'py>(
        &self,
        py: Python<'py>,
        rows: Vec<u64>,
        global_rows: numpy::PyReadonlyArray1<'py, u64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        sharded::gather_tracks(py, &self.planner, rows, global_rows)
    }

    /// Per energy value, how many of this library's tracks have a lower and how many an equal
    /// energy (summed over shards: a track's catalogue-wide energy rank).
    fn energy_counts<'py>(
        &self,
        py: Python<'py>,
        values: Vec<f64>,
    ) -> PyResult<sharded::CountArrays<'py>> {
        sharded::energy_counts(py, &self.planner, values)
    }

    /// The library's soundtrack fit (`segue.fit`) as JSON text, or None.
    fn fit_json(&self) -> Option<String> {
        sharded::fit_json(&self.planner)
    }

    fn __repr__(&self) -> String {
        format!(
            "Planner({:?}, version={})",
            self.planner.library().dir().display().to_string(),
            self.planner.library().version()
        )
    }
}

/// A plan given as a dict, its JSON text, or a path to a JSON file holding one.
fn plan_from_py(obj: &Bound<'_, PyAny>) -> PyResult<SoundtrackPlan> {
    let text = if obj.is_instance_of::<PyDict>() {
        obj.py()
            .import("json")?
            .call_method1("dumps", (obj,))
            .map_err(|e| bad_input(format!("the plan is not JSON-serialisable: {e}")))?
            .extract::<String>()?
    } else if let Ok(s) = obj.cast::<PyString>()
        && s.to_cow()?.trim_start().starts_with('{')
    {
        s.to_cow()?.into_owned()
    } else if let Ok(path) = obj.extract::<PathBuf>() {
        return obj.py().detach(|| read_plan(&path)).or_raise();
    } else {
        return Err(bad_input(format!(
            "a plan is a dict, a JSON string or a path to a .json file, got {}",
            obj.get_type().name()?
        )));
    };
    serde_json::from_str(&text).map_err(|e| bad_input(format!("the plan: {e}")))
}
