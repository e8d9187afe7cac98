//! Soundtracks over a sharded catalogue from Python: the shard's answers (called through
//! `Planner.candidate_hits`, `Planner.gather_tracks`, `Planner.energy_counts`) and the router's
//! `ShardedPlanner`, which `segue.cluster.Router.plan` drives.
//!
//! Everything crosses as numpy arrays of the engine's own values (unit f32 rows, f64 norms and
//! features), so the router scores a track exactly as its shard would.

use numpy::{PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use segue::EmbeddingKind;
use segue::query::objective::{MFCC_LEN, TrackFeatures};
use segue::query::search::TrackFields;
use segue::query::video::EmbeddingDims;
use segue::soundtrack::{
    GatheredTrack, GatheredTracks, Planner, ShardedPlanner, SoundtrackFit, StoredVector,
    energy_rank_from_counts, merge_candidate_hits as merge_hits,
};

use crate::errors::{OrRaise, bad_input};
use crate::library::json_to_py;
use crate::planner::PlanKwargs;
use crate::search_args::{space, track_ids};
use crate::videos;

/// Feature values per track in a gathered table: bpm, energy, spectral centroid, duration,
/// then the MFCCs.
const FEATURES: usize = 4 + MFCC_LEN;

fn space_name(kind: EmbeddingKind) -> &'static str {
    match kind {
        EmbeddingKind::Audio => "audio",
        EmbeddingKind::Text => "text",
    }
}

/// `Planner.candidate_hits`: per segment, per query `(space, unit vector)`, this shard's best
/// `fetch` rows as `(rows, scores)` arrays.
pub fn candidate_hits<'py>(
    py: Python<'py>,
    planner: &Planner,
    queries: Vec<Vec<(String, Vec<f32>)>>,
    fetch: usize,
    filter: Option<String>,
    exclude_ids: Option<&Bound<'py, PyAny>>,
    exact_candidates: bool,
) -> PyResult<Bound<'py, PyList>> {
    let segments = queries
        .into_iter()
        .map(|qs| {
            qs.into_iter()
                .map(|(name, q)| Ok((space(&name)?, q)))
                .collect::<PyResult<Vec<_>>>()
        })
        .collect::<PyResult<Vec<_>>>()?;
    let exclude = track_ids(exclude_ids, "exclude_ids")?;
    let hits = py
        .detach(|| {
            planner.candidate_hits(
                &segments,
                fetch,
                filter.as_deref(),
                &exclude,
                exact_candidates,
            )
        })
        .or_raise()?;
    let out = PyList::empty(py);
    for segment in hits {
        let lists = PyList::empty(py);
        for list in segment {
            let rows: Vec<u64> = list.iter().map(|h| h.row).collect();
            let scores: Vec<f32> = list.iter().map(|h| h.score).collect();
            lists.append((PyArray1::from_vec(py, rows), PyArray1::from_vec(py, scores)))?;
        }
        out.append(lists)?;
    }
    Ok(out)
}

/// `Planner.gather_tracks`: what a router plans with for `rows`, as a dict of arrays (see
/// [`tracks_from_dict`] for the keys).
pub fn gather_tracks<'py>(
    py: Python<'py>,
    planner: &Planner,
    rows: Vec<u64>,
    global_rows: PyReadonlyArray1<'py, u64>,
) -> PyResult<Bound<'py, PyDict>> {
    let global = global_rows.as_slice()?.to_vec();
    let tracks = py
        .detach(|| planner.gather_tracks(&rows, &global))
        .or_raise()?;
    let dims: EmbeddingDims = planner.library().dims().into();
    let out = PyDict::new(py);
    let n = tracks.len();
    out.set_item(
        "global_row",
        PyArray1::from_vec(py, tracks.iter().map(|t| t.global_row).collect()),
    )?;
    out.set_item(
        "track_id",
        tracks.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
    )?;
    out.set_item(
        "title",
        tracks
            .iter()
            .map(|t| t.fields.title.clone())
            .collect::<Vec<_>>(),
    )?;
    out.set_item(
        "artist",
        tracks
            .iter()
            .map(|t| t.fields.artist.clone())
            .collect::<Vec<_>>(),
    )?;
    out.set_item(
        "duration_s",
        tracks
            .iter()
            .map(|t| t.fields.duration_s)
            .collect::<Vec<_>>(),
    )?;
    for (name, dim, get) in [
        (
            "audio",
            dims.audio,
            (|t: &GatheredTrack| t.audio.as_ref()) as fn(&GatheredTrack) -> Option<&StoredVector>,
        ),
        ("text", dims.text, |t: &GatheredTrack| t.text.as_ref()),
    ] {
        let Some(dim) = dim else {
            out.set_item(name, py.None())?;
            continue;
        };
        let mut values = Vec::with_capacity(n * dim);
        let mut norms = Vec::with_capacity(n);
        for t in &tracks {
            let v = get(t).ok_or_else(|| {
                bad_input(format!(
                    "track `{}` has no row in the {name} vector file",
                    t.id
                ))
            })?;
            values.extend_from_slice(&v.unit);
            norms.push(v.raw_norm);
        }
        out.set_item(name, PyArray1::from_vec(py, values).reshape([n, dim])?)?;
        out.set_item(format!("{name}_norm"), PyArray1::from_vec(py, norms))?;
    }
    let mut features = Vec::with_capacity(n * FEATURES);
    for t in &tracks {
        let f = &t.features;
        features.extend_from_slice(&[f.bpm, f.energy, f.spectral_centroid, f.duration]);
        features.extend_from_slice(&f.mfcc);
    }
    out.set_item(
        "features",
        PyArray1::from_vec(py, features).reshape([n, FEATURES])?,
    )?;
    Ok(out)
}

/// The gathered tracks of a dict built by [`gather_tracks`] (shards' dicts concatenated), with
/// an optional `energy_rank` array.
fn tracks_from_dict(tracks: &Bound<'_, PyDict>, dims: EmbeddingDims) -> PyResult<GatheredTracks> {
    let item = |key: &str| -> PyResult<Bound<'_, PyAny>> {
        tracks
            .get_item(key)?
            .ok_or_else(|| bad_input(format!("gathered tracks: no `{key}`")))
    };
    let global: PyReadonlyArray1<'_, u64> = item("global_row")?.extract()?;
    let global = global.as_slice()?;
    let n = global.len();
    let ids: Vec<String> = item("track_id")?.extract()?;
    let titles: Vec<Option<String>> = item("title")?.extract()?;
    let artists: Vec<Option<String>> = item("artist")?.extract()?;
    let durations: Vec<Option<f32>> = item("duration_s")?.extract()?;
    let features: PyReadonlyArray2<'_, f64> = item("features")?.extract()?;
    let features = features.as_array();
    let ranks: Option<Vec<f64>> = match tracks.get_item("energy_rank")? {
        Some(r) if !r.is_none() => Some(r.extract()?),
        _ => None,
    };
    if [
        ids.len(),
        titles.len(),
        artists.len(),
        durations.len(),
        features.nrows(),
    ]
    .iter()
    .any(|&len| len != n)
        || features.ncols() != FEATURES
        || ranks.as_ref().is_some_and(|r| r.len() != n)
    {
        return Err(bad_input(format!(
            "gathered tracks: every column must have {n} rows (features {FEATURES} wide)"
        )));
    }
    let mut spaces = Vec::new();
    for (name, dim) in [("audio", dims.audio), ("text", dims.text)] {
        let values = match (dim, tracks.get_item(name)?) {
            (Some(_), Some(v)) if !v.is_none() => {
                let m: PyReadonlyArray2<'_, f32> = v.extract()?;
                let norms: Vec<f64> = item(&format!("{name}_norm"))?.extract()?;
                if m.as_array().nrows() != n || norms.len() != n {
                    return Err(bad_input(format!(
                        "gathered tracks: `{name}` must have {n} rows"
                    )));
                }
                Some((m.as_array().to_owned(), norms))
            }
            (Some(_), _) => {
                return Err(bad_input(format!(
                    "gathered tracks: the catalogue has a {name} space but no `{name}` vectors"
                )));
            }
            (None, _) => None,
        };
        spaces.push(values);
    }
    let stored = |space: &Option<(numpy::ndarray::Array2<f32>, Vec<f64>)>, i: usize| {
        space.as_ref().map(|(m, norms)| StoredVector {
            unit: m.row(i).to_vec(),
            raw_norm: norms[i],
        })
    };
    let list = (0..n)
        .map(|i| {
            let f = features.row(i);
            let mut mfcc = [0.0; MFCC_LEN];
            mfcc.iter_mut()
                .zip(f.iter().skip(4))
                .for_each(|(m, x)| *m = *x);
            GatheredTrack {
                global_row: global[i],
                id: ids[i].clone(),
                fields: TrackFields {
                    title: titles[i].clone(),
                    artist: artists[i].clone(),
                    duration_s: durations[i],
                    ..Default::default()
                },
                audio: stored(&spaces[0], i),
                text: stored(&spaces[1], i),
                features: TrackFeatures {
                    bpm: f[0],
                    energy: f[1],
                    spectral_centroid: f[2],
                    duration: f[3],
                    mfcc,
                },
                energy_rank: ranks.as_ref().map(|r| r[i]),
            }
        })
        .collect();
    GatheredTracks::new(list, dims).or_raise()
}

/// The soundtrack planner of a sharded catalogue's router (one cluster version).
#[pyclass(name = "ShardedPlanner", module = "segue._segue", frozen)]
#[derive(Debug)]
pub struct PyShardedPlanner {
    planner: ShardedPlanner,
}

#[pymethods]
impl PyShardedPlanner {
    /// `dims` as `Library.dims` gives them, `fit` the shards' common fit (JSON text, as
    /// `Planner.fit_json` gives it) or None, `version` the cluster version plans name.
    #[new]
    #[pyo3(signature = (dims, fit, version))]
    fn new(dims: &Bound<'_, PyDict>, fit: Option<String>, version: u64) -> PyResult<Self> {
        let dim = |key: &str| -> PyResult<Option<usize>> {
            Ok(match dims.get_item(key)? {
                Some(v) if !v.is_none() => Some(v.extract()?),
                _ => None,
            })
        };
        let dims = EmbeddingDims {
            audio: dim("audio")?,
            text: dim("text")?,
        };
        let fit: Option<SoundtrackFit> = fit
            .map(|f| serde_json::from_str(&f).map_err(|e| bad_input(format!("fit: {e}"))))
            .transpose()?;
        Ok(PyShardedPlanner {
            planner: ShardedPlanner::new(dims, fit, version),
        })
    }

    /// The videos of a batch exactly as `Planner.plan_batch` reads them (a dict or JSON
    /// string, a list of them, or a path to a `.json` or `.jsonl` file), each as its JSON text:
    /// the router plans them one by one.
    fn videos(&self, py: Python<'_>, videos: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
        let videos = videos::videos_with_dims(videos, self.planner.dims())?;
        py.detach(|| {
            videos
                .iter()
                .map(|v| serde_json::to_string(v).map_err(|e| bad_input(e.to_string())))
                .collect()
        })
    }

    /// Each segment's candidate queries: a list per segment of `(space, unit vector)` (empty:
    /// the shards answer with their first allowed rows).
    fn segment_queries<'py>(
        &self,
        py: Python<'py>,
        video: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let video = videos::video_with_dims(video, self.planner.dims())?;
        let directions = self.planner.segment_directions(&video).or_raise()?;
        let out = PyList::empty(py);
        for segment in directions {
            let queries = PyList::empty(py);
            for d in segment {
                if let Some(q) = d.query() {
                    queries.append((space_name(d.kind), PyArray1::from_vec(py, q)))?;
                }
            }
            out.append(queries)?;
        }
        Ok(out)
    }

    /// The plan of `video` over `tracks` (the shards' `gather_tracks` dicts concatenated) with
    /// `merged` (per segment, its merged candidate global rows). Segment rows in the plan are
    /// global rows.
    #[pyo3(signature = (
        video, tracks, merged, *, policy="beam", candidates=None, beam_width=None, seed=0,
        max_per_artist=None, diversify=None, diversify_keep=None, motion_energy=0.0
    ))]
    #[allow(clippy::too_many_arguments)]
    fn plan<'py>(
        &self,
        py: Python<'py>,
        video: &Bound<'py, PyAny>,
        tracks: &Bound<'py, PyDict>,
        merged: Vec<Vec<u64>>,
        policy: &str,
        candidates: Option<usize>,
        beam_width: Option<usize>,
        seed: u64,
        max_per_artist: Option<u32>,
        diversify: Option<String>,
        diversify_keep: Option<usize>,
        motion_energy: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = PlanKwargs {
            policy: policy.to_string(),
            filter: None,
            exact: false,
            candidates,
            exact_candidates: false,
            beam_width,
            seed,
            sample: false,
            max_per_artist,
            exclude_ids: Vec::new(),
            no_repeat_across_videos: false,
            diversify,
            diversify_keep,
            motion_energy,
        }
        .options()?;
        let video = videos::video_with_dims(video, self.planner.dims())?;
        let tracks = tracks_from_dict(tracks, self.planner.dims())?;
        let planner = &self.planner;
        let plan = py
            .detach(|| planner.plan(&video, &tracks, &merged, &opts))
            .or_raise()?;
        json_to_py(py, &plan)
    }
}

/// A shard's `candidate_hits` answer from Python: per segment, per query, `(rows, scores)`.
type PyShardHits<'py> = Vec<Vec<(PyReadonlyArray1<'py, u64>, PyReadonlyArray1<'py, f32>)>>;

/// Two arrays of counts (`energy_counts`' lower and equal).
pub type CountArrays<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<u64>>);

/// Merges the shards' `candidate_hits` answers (with rows replaced by global rows): per
/// segment, the union of each query's best `fetch` by score, ties to the lower global row.
#[pyfunction]
pub fn merge_candidate_hits<'py>(
    py: Python<'py>,
    shards: Vec<PyShardHits<'py>>,
    fetch: usize,
) -> PyResult<Bound<'py, PyList>> {
    let mut lists = Vec::with_capacity(shards.len());
    for shard in &shards {
        let mut segments = Vec::with_capacity(shard.len());
        for segment in shard {
            let mut queries = Vec::with_capacity(segment.len());
            for (rows, scores) in segment {
                let (rows, scores) = (rows.as_slice()?, scores.as_slice()?);
                if rows.len() != scores.len() {
                    return Err(bad_input(
                        "candidate hits: rows and scores differ in length",
                    ));
                }
                queries.push(rows.iter().copied().zip(scores.iter().copied()).collect());
            }
            segments.push(queries);
        }
        lists.push(segments);
    }
    let merged = merge_hits(&lists, fetch).or_raise()?;
    let out = PyList::empty(py);
    for rows in merged {
        out.append(PyArray1::from_vec(py, rows))?;
    }
    Ok(out)
}

/// Catalogue-wide energy ranks from the shards' summed `energy_counts` over `n` tracks.
#[pyfunction]
pub fn energy_ranks_from_counts<'py>(
    py: Python<'py>,
    less: PyReadonlyArray1<'py, u64>,
    equal: PyReadonlyArray1<'py, u64>,
    n: u64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (less, equal) = (less.as_slice()?, equal.as_slice()?);
    if less.len() != equal.len() || equal.contains(&0) || n == 0 {
        return Err(bad_input(
            "energy counts: `less` and `equal` must have one entry per track, each track \
             counting itself as equal",
        ));
    }
    Ok(PyArray1::from_vec(
        py,
        less.iter()
            .zip(equal)
            .map(|(&l, &e)| energy_rank_from_counts(l, e, n))
            .collect(),
    ))
}

/// `Planner.energy_counts`: per value, the tracks of this shard with a lower and with an equal
/// energy.
pub fn energy_counts<'py>(
    py: Python<'py>,
    planner: &Planner,
    values: Vec<f64>,
) -> PyResult<CountArrays<'py>> {
    let counts = py.detach(|| planner.energy_counts(&values));
    let (less, equal): (Vec<u64>, Vec<u64>) = counts.into_iter().unzip();
    Ok((PyArray1::from_vec(py, less), PyArray1::from_vec(py, equal)))
}

/// `Planner.fit_json`: the library's stored fit as JSON text, or None.
pub fn fit_json(planner: &Planner) -> Option<String> {
    planner
        .fit()
        .map(|f| String::from_utf8(f.to_json()).expect("JSON is UTF-8"))
}
