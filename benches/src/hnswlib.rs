//! hnswlib (Python, `benches/hnswlib/hnswlib_ref.py`) as the reference HNSW, run on a Segue
//! vector file in a child process of the benchmark.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// One ef of hnswlib's single-thread sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HnswlibEf {
    pub ef: usize,
    pub recall: f64,
    /// One query per call in a Python loop.
    pub qps: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// What hnswlib_ref.py measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HnswlibRun {
    pub version: String,
    /// Build seconds per thread count.
    pub build_s: BTreeMap<usize, f64>,
    pub peak_rss_bytes: u64,
    pub runs: Vec<HnswlibEf>,
}

impl HnswlibRun {
    /// The fastest ef reaching recall@k ≥ `at`.
    pub fn best_at(&self, at: f64) -> Option<&HnswlibEf> {
        self.runs
            .iter()
            .filter(|r| r.recall >= at)
            .max_by(|a, b| a.qps.total_cmp(&b.qps))
    }
}

/// The Python of the venv `scripts/bench-setup` makes.
pub fn python() -> anyhow::Result<PathBuf> {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.bench-venv/bin/python");
    if !python.exists() {
        bail!(
            "{} missing: run scripts/bench-setup (or leave hnswlib out)",
            python.display()
        );
    }
    Ok(python)
}

/// Builds hnswlib's index over `base` once per thread count (M 16, ef_construction 200) and
/// runs `queries` at each ef, scoring recall@k against `truth` (raw i32, queries × k).
pub fn run_hnswlib(
    base: &Path,
    queries: &Path,
    truth: &Path,
    k: usize,
    efs: &[usize],
    threads: &[usize],
) -> anyhow::Result<HnswlibRun> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("hnswlib/hnswlib_ref.py");
    let join = |xs: &[usize]| {
        xs.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    eprintln!("running hnswlib");
    let out = Command::new(python()?)
        .arg(&script)
        .arg("--base")
        .arg(base)
        .arg("--queries")
        .arg(queries)
        .arg("--truth")
        .arg(truth)
        .args(["--k", &k.to_string(), "--efs", &join(efs)])
        .args(["--threads", &join(threads)])
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!("{} failed", script.display());
    }
    let j: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("{} printed no JSON", script.display()))?;
    let recall_key = format!("recall_at_{k}");
    Ok(HnswlibRun {
        version: j["hnswlib_version"].as_str().unwrap_or("?").to_string(),
        build_s: threads
            .iter()
            .filter_map(|t| Some((*t, j["build_s"][t.to_string()].as_f64()?)))
            .collect(),
        peak_rss_bytes: j["peak_rss_bytes"].as_u64().unwrap_or(0),
        runs: j["runs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| HnswlibEf {
                ef: r["ef"].as_u64().unwrap_or(0) as usize,
                recall: r[&recall_key].as_f64().unwrap_or(f64::NAN),
                qps: r["qps"].as_f64().unwrap_or(f64::NAN),
                p50_ms: r["p50_ms"].as_f64(),
                p99_ms: r["p99_ms"].as_f64(),
            })
            .collect(),
    })
}
