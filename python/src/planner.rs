//! `segue.Planner`: soundtracks for videos on one library version.

use std::sync::Arc;

use pyo3::prelude::*;
use segue::soundtrack::{PlanOptions, Planner, PolicyChoice, planner_for, plans_record_batch};
use segue::{EncoderOptions, Library};

use crate::arrow::to_pyarrow_table;
use crate::errors::{OrRaise, bad_input};
use crate::library::json_to_py;
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

/// The plan options of the keyword arguments (defaults: the engine's).
#[allow(clippy::too_many_arguments)]
pub fn plan_options(
    policy: &str,
    filter: Option<String>,
    exact: bool,
    candidates: Option<usize>,
    beam_width: Option<usize>,
    seed: u64,
    sample: bool,
) -> PyResult<PlanOptions> {
    let defaults = PlanOptions::default();
    let policy: PolicyChoice = policy.parse().or_raise()?;
    if candidates == Some(0) || beam_width == Some(0) {
        return Err(bad_input("candidates and beam_width must be at least 1"));
    }
    Ok(PlanOptions {
        policy,
        filter,
        exact,
        candidates: candidates.unwrap_or(defaults.candidates),
        beam_width: beam_width.unwrap_or(defaults.beam_width),
        seed,
        sample,
        ..defaults
    })
}

#[pymethods]
impl PyPlanner {
    /// The soundtrack plan of one video (a dict, a JSON string or a path to a file holding one
    /// video). `output="dict"` (default) gives the plan as a dict; `"table"` one row per
    /// segment as a pyarrow Table.
    #[pyo3(signature = (
        video, *, policy="beam", filter=None, exact=false, candidates=None, beam_width=None,
        seed=0, sample=false, output="dict"
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
        beam_width: Option<usize>,
        seed: u64,
        sample: bool,
        output: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        if !matches!(output, "dict" | "table") {
            return Err(bad_input(format!(
                "unknown output {output:?} (dict or table)"
            )));
        }
        let opts = plan_options(policy, filter, exact, candidates, beam_width, seed, sample)?;
        let video = videos::video(video, self.planner.library())?;
        let planner = &self.planner;
        let plan = py.detach(|| planner.plan(&video, &opts)).or_raise()?;
        if output == "table" {
            let batch = plans_record_batch(std::slice::from_ref(&plan)).or_raise()?;
            return to_pyarrow_table(py, batch);
        }
        json_to_py(py, &plan)
    }

    /// The library version this planner plans on.
    #[getter]
    fn version(&self) -> u64 {
        self.planner.library().version()
    }

    fn __repr__(&self) -> String {
        format!(
            "Planner({:?}, version={})",
            self.planner.library().dir().display().to_string(),
            self.planner.library().version()
        )
    }
}
