//! `segue.Library`: one version of a library on disk, open for searching and planning.

use std::path::PathBuf;
use std::sync::Arc;

use numpy::PyArrayMethods;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use segue::info::LibraryInfo;
use segue::search::{
    SearchSpec, Searcher, TextStatistics, hits_record_batch, search_many, searcher_for,
};
use segue::{EncoderOptions, Library};

use crate::arrow::to_pyarrow_table;
use crate::dicts::to_pydicts;
use crate::errors::{OrRaise, bad_input};
use crate::planner::PyPlanner;
use crate::search_args::{self, RerankOptions, SearchOptions, tag_caps, track_ids};
use crate::vectors;

/// One version of a library, open for reading. Opening costs milliseconds (nothing is read
/// in full); the object is safe to share between threads, and pickles as its path (the copy
/// opens the library's current version).
#[pyclass(name = "Library", module = "segue._segue", frozen)]
pub struct PyLibrary {
    library: Arc<Library>,
    searcher: Searcher,
    encoders: EncoderOptions,
}

impl std::fmt::Debug for PyLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.__repr__())
    }
}

impl PyLibrary {
    fn library(&self) -> &Arc<Library> {
        &self.library
    }
}

pub fn json_to_py<'py>(
    py: Python<'py>,
    value: &impl serde::Serialize,
) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// Hits as a pyarrow Table, or as a list of dicts for `output="dicts"`.
fn output<'py>(
    py: Python<'py>,
    batch: arrow_array::RecordBatch,
    output: &str,
) -> PyResult<Bound<'py, PyAny>> {
    match output {
        "table" => to_pyarrow_table(py, batch),
        "dicts" => Ok(to_pydicts(py, &batch)?.into_any()),
        other => Err(bad_input(format!(
            "unknown output {other:?} (table or dicts)"
        ))),
    }
}

/// The sum of several libraries' `text_statistics` for one query: the statistics of their
/// union (a sharded catalogue's, gathered from its shards).
#[pyfunction]
pub fn sum_text_statistics<'py>(
    py: Python<'py>,
    parts: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut total = TextStatistics::default();
    for part in &parts {
        if let Some(stats) = search_args::text_statistics(Some(part))? {
            total.add(&stats);
        }
    }
    json_to_py(py, &total)
}

#[pymethods]
impl PyLibrary {
    /// Opens the current version of the library in `path`. `models_dir`: where the text
    /// encoder's files are (default: the engine's search order).
    #[staticmethod]
    #[pyo3(signature = (path, *, models_dir=None))]
    fn open(py: Python<'_>, path: PathBuf, models_dir: Option<PathBuf>) -> PyResult<PyLibrary> {
        let encoders = EncoderOptions {
            models_dir,
            ..EncoderOptions::default()
        };
        let library = py.detach(|| Library::open(&path)).or_raise()?;
        let library = Arc::new(library);
        let searcher = searcher_for(library.clone(), &encoders);
        Ok(PyLibrary {
            library,
            searcher,
            encoders,
        })
    }

    /// The library's directory.
    #[getter]
    fn path(&self) -> PathBuf {
        self.library().dir().to_path_buf()
    }

    /// The published version this object reads.
    #[getter]
    fn version(&self) -> u64 {
        self.library().version()
    }

    /// Tracks in this version.
    #[getter]
    fn rows(&self) -> u64 {
        self.library().rows()
    }

    /// The dimensions of the embedding spaces: `{"audio": 128, "text": 64}` (None when absent).
    #[getter]
    fn dims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let dims = self.library().dims();
        json_to_py(
            py,
            &serde_json::json!({"audio": dims.audio, "text": dims.text}),
        )
    }

    /// What the library holds (as `segue info --json` prints it).
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let library = self.library().clone();
        let info = py.detach(|| LibraryInfo::of(&library, false)).or_raise()?;
        json_to_py(py, &info)
    }

    /// Re-reads every derived file against its checksum; raises `CorruptLibraryError` naming
    /// the file when one does not match. Returns `info()` with `verified` set.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let library = self.library().clone();
        let info = py.detach(|| LibraryInfo::of(&library, true)).or_raise()?;
        json_to_py(py, &info)
    }

    /// The library's current version (this object keeps reading the version it opened).
    fn reopen(&self, py: Python<'_>) -> PyResult<PyLibrary> {
        PyLibrary::open(py, self.path(), self.encoders.models_dir.clone())
    }

    /// One search; see the stubs for the options. Returns the hits as a pyarrow Table (or a
    /// list of dicts with `output="dicts"`), best first.
    #[pyo3(signature = (
        *, vector=None, text=None, like=None, unlike=None, strategy="average-vector", tags=None,
        filter=None, k=None, ef=None, exact=false, space=None, rrf_k=None, fields=None,
        diversify=None, pool=None, diversity_space=None, max_per_artist=None, max_per_album=None,
        max_per_tag=None, exclude_ids=None, exclude_artists=None, sort=None,
        text_statistics=None, output="table"
    ))]
    #[allow(clippy::too_many_arguments)]
    fn search<'py>(
        &self,
        py: Python<'py>,
        vector: Option<&Bound<'py, PyAny>>,
        text: Option<String>,
        like: Option<&Bound<'py, PyAny>>,
        unlike: Option<&Bound<'py, PyAny>>,
        strategy: &str,
        tags: Option<String>,
        filter: Option<String>,
        k: Option<usize>,
        ef: Option<usize>,
        exact: bool,
        space: Option<String>,
        rrf_k: Option<f32>,
        fields: Option<Vec<String>>,
        diversify: Option<String>,
        pool: Option<usize>,
        diversity_space: Option<String>,
        max_per_artist: Option<u32>,
        max_per_album: Option<u32>,
        max_per_tag: Option<&Bound<'py, PyAny>>,
        exclude_ids: Option<&Bound<'py, PyAny>>,
        exclude_artists: Option<&Bound<'py, PyAny>>,
        sort: Option<String>,
        text_statistics: Option<&Bound<'py, PyAny>>,
        output: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = SearchOptions {
            text_statistics: search_args::text_statistics(text_statistics)?,
            tags,
            filter,
            k,
            ef,
            exact,
            space,
            rrf_k,
            fields,
            rerank: RerankOptions {
                diversify,
                pool,
                diversity_space,
                max_per_artist,
                max_per_album,
                max_per_tag: tag_caps(max_per_tag)?,
                exclude_ids: track_ids(exclude_ids, "exclude_ids")?,
                exclude_artists: track_ids(exclude_artists, "exclude_artists")?,
                sort,
            },
        };
        let spec = SearchSpec {
            vector: vector
                .map(|v| vectors::matrix(v, "vector", 1).map(|(_, values)| values))
                .transpose()?,
            text,
            like: track_ids(like, "like")?,
            unlike: track_ids(unlike, "unlike")?,
            like_strategy: crate::search_args::strategy(strategy)?,
            ..options.spec()?
        };
        let searcher = &self.searcher;
        let (hits, _stats) = py
            .detach(|| -> segue::Result<_> { Ok(searcher.search(&spec.request(searcher)?)?) })
            .or_raise()?;
        let batch = hits_record_batch(&[hits], &spec.hit_columns(false)).or_raise()?;
        self::output(py, batch, output)
    }

    /// The corpus statistics BM25 scores the word query `tags` with in this library, as a dict.
    /// A sharded catalogue sums its shards' (`segue.sum_text_statistics`) and passes the sum
    /// to every shard's `search(tags=..., text_statistics=...)`, so that each shard scores as
    /// the whole catalogue would.
    fn text_statistics<'py>(&self, py: Python<'py>, tags: &str) -> PyResult<Bound<'py, PyAny>> {
        let searcher = &self.searcher;
        let stats = py
            .detach(|| -> segue::Result<_> { Ok(searcher.text_statistics(tags)?) })
            .or_raise()?;
        json_to_py(py, &stats)
    }

    /// One vector search per row of `vectors` (a 2-D float32 array), run on `threads` threads
    /// (0: one per core). The hits of all queries come back in one table whose `query` column
    /// is the row of `vectors` they answer.
    #[pyo3(signature = (
        vectors, *, tags=None, filter=None, k=None, ef=None, exact=false, space=None,
        rrf_k=None, fields=None, diversify=None, pool=None, diversity_space=None,
        max_per_artist=None, max_per_album=None, max_per_tag=None, exclude_ids=None,
        exclude_artists=None, threads=0, output="table"
    ))]
    #[allow(clippy::too_many_arguments)]
    fn search_batch<'py>(
        &self,
        py: Python<'py>,
        vectors: &Bound<'py, PyAny>,
        tags: Option<String>,
        filter: Option<String>,
        k: Option<usize>,
        ef: Option<usize>,
        exact: bool,
        space: Option<String>,
        rrf_k: Option<f32>,
        fields: Option<Vec<String>>,
        diversify: Option<String>,
        pool: Option<usize>,
        diversity_space: Option<String>,
        max_per_artist: Option<u32>,
        max_per_album: Option<u32>,
        max_per_tag: Option<&Bound<'py, PyAny>>,
        exclude_ids: Option<&Bound<'py, PyAny>>,
        exclude_artists: Option<&Bound<'py, PyAny>>,
        threads: usize,
        output: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (n, values) = vectors::matrix(vectors, "vectors", 2)?;
        let base = SearchOptions {
            tags,
            filter,
            k,
            ef,
            exact,
            space,
            rrf_k,
            fields,
            rerank: RerankOptions {
                diversify,
                pool,
                diversity_space,
                max_per_artist,
                max_per_album,
                max_per_tag: tag_caps(max_per_tag)?,
                exclude_ids: track_ids(exclude_ids, "exclude_ids")?,
                exclude_artists: track_ids(exclude_artists, "exclude_artists")?,
                sort: None,
            },
            text_statistics: None,
        }
        .spec()?;
        let dim = values.len() / n;
        let searcher = &self.searcher;
        let results = py
            .detach(|| -> segue::Result<_> {
                let requests = values
                    .chunks_exact(dim)
                    .map(|row| {
                        SearchSpec {
                            vector: Some(row.to_vec()),
                            ..base.clone()
                        }
                        .request(searcher)
                    })
                    .collect::<segue::Result<Vec<_>>>()?;
                search_many(searcher, &requests, threads)
            })
            .or_raise()?;
        let hits: Vec<_> = results.into_iter().map(|(hits, _)| hits).collect();
        let batch = hits_record_batch(&hits, &base.hit_columns(true)).or_raise()?;
        self::output(py, batch, output)
    }

    /// The stored vectors of `rows` (the `row` column of hits) in `space`, as a `(len(rows),
    /// dim)` float32 array.
    #[pyo3(signature = (rows, *, space="audio"))]
    fn vectors<'py>(
        &self,
        py: Python<'py>,
        rows: Vec<u64>,
        space: &str,
    ) -> PyResult<Bound<'py, numpy::PyArray2<f32>>> {
        let kind = crate::search_args::space(space)?;
        let Some(file) = self.library().vectors(kind) else {
            return Err(bad_input(format!(
                "{}: the library has no {space} embeddings",
                self.library().dir().display()
            )));
        };
        let (n, dim) = (file.rows(), file.dim() as usize);
        let mut values = Vec::with_capacity(rows.len() * dim);
        for &row in &rows {
            if row >= n {
                return Err(bad_input(format!(
                    "row {row} is out of range: version {} has {n} rows",
                    self.library().version()
                )));
            }
            values.extend_from_slice(file.row(row as usize));
        }
        numpy::PyArray1::from_vec(py, values).reshape([rows.len(), dim])
    }

    /// A planner on this version of the library.
    fn planner(&self, py: Python<'_>) -> PyResult<PyPlanner> {
        PyPlanner::new(py, self.library().clone(), &self.encoders)
    }

    fn __repr__(&self) -> String {
        format!(
            "Library({:?}, version={}, rows={})",
            self.library().dir().display().to_string(),
            self.library().version(),
            self.library().rows()
        )
    }

    /// Pickles as `Library.open(path, models_dir=...)`: another process opens the library's
    /// current version (the files of a library are its state; nothing else is shared).
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let reopen = py.import("segue")?.getattr("_reopen_library")?;
        let args = (self.path(), self.encoders.models_dir.clone());
        (reopen, args).into_pyobject(py)
    }
}
