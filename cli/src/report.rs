//! The files `segue eval` writes: returns per video (CSV), summaries (JSON), and the CDF of
//! returns per policy (SVG and PNG).

use std::path::{Path, PathBuf};

use anyhow::Context;

use segue::eval::EvalReport;
use segue::index::atomic::atomic_write;
use segue_charts::{ChartFiles, LineChart};

/// Writes `returns.csv` (one row per video and policy), `summary.json`, and the CDF of returns
/// as `returns-cdf.svg` and `returns-cdf.png` into `dir`. Returns the paths.
pub fn write_eval(report: &EvalReport, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    for r in &report.rows {
        csv.serialize(r).context("returns.csv")?;
    }
    let csv = csv.into_inner().context("returns.csv")?;
    let csv_path = dir.join("returns.csv");
    atomic_write(&csv_path, &csv)?;
    let json_path = dir.join("summary.json");
    atomic_write(&json_path, &serde_json::to_vec_pretty(&report.summaries)?)?;
    let series: Vec<(String, Vec<f64>)> = report
        .summaries
        .iter()
        .map(|s| {
            let v = report
                .rows
                .iter()
                .filter(|r| r.policy == s.policy)
                .map(|r| r.episode_return)
                .collect();
            (s.policy.clone(), v)
        })
        .collect();
    let chart = ChartFiles::with_prefix(&dir.join("returns-cdf"));
    LineChart::cdf("CDF of episode returns", "episode return", &series).write(&chart)?;
    Ok(vec![csv_path, json_path, chart.svg, chart.png])
}
