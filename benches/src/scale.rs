//! The scale curves' records: what `scale_bench` measured at one library size (kept as JSON in
//! its work folder, one file per size, so a run split across sessions resumes where it
//! stopped), and the report drawn from all sizes: tables, growth exponents and plots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use segue::Library;
use segue::index::schema::EmbeddingKind;
use segue_charts::{Axis, ChartFiles, Legend, LineChart, Style};
use segue_index::ann::AnnGraph;
use segue_index::vectors::VectorFile;
use serde::{Deserialize, Serialize};

use crate::gib;
use crate::hnswlib::HnswlibRun;

/// A child process's cost and what it left on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub seconds: f64,
    pub peak_rss_bytes: u64,
    /// The catalogue file (catalog step) or the library folder (ingest, build).
    pub disk_bytes: u64,
    /// UTC time the step finished.
    pub finished: String,
}

/// One `segue reindex` (both spaces' graphs, no text index) at a thread count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Build {
    pub step: Step,
    /// Each graph's own build time as the manifest records it (space column → seconds).
    pub graph_seconds: BTreeMap<String, f64>,
    /// The search ef the build tuned for recall@10 ≥ 0.95 on the audio graph.
    pub tuned_ef: Option<u32>,
    /// What the inserts walked on: `int8` (the library's int8 copy, the default) or `f32`
    /// (`--build-on-f32`, and every record made before builds could walk int8).
    #[serde(default = "f32_walk")]
    pub walked_on: String,
    /// The audio graph's `ef_construction` as the manifest records it (absent in records made
    /// before it was kept here, all of which built at the default 200).
    #[serde(default)]
    pub ef_construction: Option<u32>,
    /// The audio graph's links per node (absent in records made before it was kept here, all
    /// of which built at the default 16).
    #[serde(default)]
    pub m: Option<u32>,
}

fn f32_walk() -> String {
    "f32".into()
}

/// Single-thread search at one ef (or one filter): recall@10 against the exact top 10.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchPoint {
    pub ef: usize,
    pub recall: f64,
    pub qps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// A filtered search through the query planner at the tuned ef.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FilteredPoint {
    /// `random` (rows chosen by a hash) or `bpm` (a tempo window: correlated with the vectors).
    pub kind: String,
    pub fraction: f64,
    pub allowed: u64,
    /// How the planner answered, e.g. `Graph { ef: 640 } 100%`.
    pub plans: String,
    pub point: SearchPoint,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchFigures {
    pub finished: String,
    pub kernel: String,
    pub queries: usize,
    /// Bytes a search reads as it walks: the int8 codes (or f32 vectors) plus the graph.
    pub walked_bytes_int8: u64,
    pub walked_bytes_f32: u64,
    pub f32: Vec<SearchPoint>,
    pub int8: Vec<SearchPoint>,
    pub filtered: Vec<FilteredPoint>,
}

impl SearchFigures {
    /// The fastest int8 point at recall@10 ≥ 0.95 (what the library runs).
    pub fn int8_at_095(&self) -> Option<&SearchPoint> {
        best_at(&self.int8, 0.95)
    }

    pub fn f32_at_095(&self) -> Option<&SearchPoint> {
        best_at(&self.f32, 0.95)
    }

    pub fn filtered(&self, kind: &str, fraction: f64) -> Option<&FilteredPoint> {
        self.filtered
            .iter()
            .find(|f| f.kind == kind && (f.fraction - fraction).abs() < 1e-9)
    }
}

fn best_at(points: &[SearchPoint], at: f64) -> Option<&SearchPoint> {
    points
        .iter()
        .filter(|p| p.recall >= at)
        .max_by(|a, b| a.qps.total_cmp(&b.qps))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannerFigures {
    pub finished: String,
    /// `segue fit` on the videos, when this run fitted the library.
    pub fit_seconds: Option<f64>,
    pub videos: usize,
    pub steps: usize,
    pub greedy_ms_per_step: f64,
    pub beam_ms_per_step: f64,
    /// Whole 20-segment soundtracks planned by beam (width 8): mean and slowest of the videos.
    pub beam20_ms_mean: f64,
    pub beam20_ms_max: f64,
}

/// Everything measured at one size.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SizeRecord {
    pub tracks: u64,
    pub audio_dim: usize,
    pub text_dim: usize,
    /// `Some(artists)` for a catalogue whose audio embeddings nest album in artist in cluster
    /// (`segue fixtures catalog --artists`); `None` for the cluster-only catalogue.
    #[serde(default)]
    pub nested_artists: Option<u64>,
    pub machine: String,
    pub catalog: Option<Step>,
    pub ingest: Option<Step>,
    /// Thread count → build.
    pub builds: BTreeMap<usize, Build>,
    pub search: Option<SearchFigures>,
    pub planner: Option<PlannerFigures>,
    pub hnswlib: Option<HnswlibRun>,
}

impl SizeRecord {
    pub fn path(work: &Path, tracks: u64, audio_dim: usize, text_dim: usize) -> PathBuf {
        work.join(format!("scale-{tracks}-a{audio_dim}-t{text_dim}.json"))
    }

    /// The library the record's stages built and measured.
    pub fn library_dir(work: &Path, tracks: u64, audio_dim: usize, text_dim: usize) -> PathBuf {
        work.join(format!("lib-{tracks}-a{audio_dim}-t{text_dim}"))
    }

    pub fn load(path: &Path) -> anyhow::Result<Option<SizeRecord>> {
        match std::fs::read(path) {
            Ok(bytes) => {
                Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                    format!("{}: not a scale record", path.display())
                })?))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Written whole to a temporary file and renamed over the old record, so a run killed
    /// mid-write leaves the previous record.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
        Ok(())
    }
}

fn opt(x: Option<f64>, digits: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "—".into(),
    }
}

/// The report's markdown: a cost table, a search table, a planner table and each cost's
/// growth exponent.
/// The audio space of a scale library: its f32 vectors and its graph.
pub fn audio_space(lib: &Library) -> anyhow::Result<(&VectorFile, &AnnGraph)> {
    let vectors = lib
        .vectors(EmbeddingKind::Audio)
        .context("no audio space")?;
    let graph = lib
        .ann(EmbeddingKind::Audio)
        .context("no audio graph: run scale_bench's build stage first")?;
    Ok((vectors, graph))
}

pub fn markdown(records: &[SizeRecord]) -> String {
    let mut s = String::new();
    s.push_str(
        "| tracks | ingest s | ingest peak RSS GiB | build s, 1 thread (audio + text) | build s, 2 threads (audio + text) | build peak RSS GiB | library GiB | hnswlib build s, 1 / 2 threads | hnswlib peak RSS GiB |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in records {
        let build = |t: usize| {
            r.builds.get(&t).map_or("—".to_string(), |b| {
                let g = |k: &str| opt(b.graph_seconds.get(k).copied(), 0);
                format!(
                    "{:.0} ({} + {}, {} walk, M {}, ef_construction {})",
                    b.step.seconds,
                    g("audio_emb"),
                    g("text_emb"),
                    b.walked_on,
                    b.m.unwrap_or(16),
                    b.ef_construction.unwrap_or(200)
                )
            })
        };
        let build_rss = r
            .builds
            .values()
            .map(|b| b.step.peak_rss_bytes)
            .max()
            .map(gib);
        let disk = r
            .builds
            .values()
            .last()
            .map(|b| b.step.disk_bytes)
            .or(r.ingest.as_ref().map(|i| i.disk_bytes))
            .map(gib);
        let h = r.hnswlib.as_ref();
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} / {} | {} |\n",
            r.tracks,
            opt(r.ingest.as_ref().map(|i| i.seconds), 1),
            opt(r.ingest.as_ref().map(|i| gib(i.peak_rss_bytes)), 2),
            build(1),
            build(2),
            opt(build_rss, 2),
            opt(disk, 2),
            opt(h.and_then(|h| h.build_s.get(&1).copied()), 0),
            opt(h.and_then(|h| h.build_s.get(&2).copied()), 0),
            opt(h.map(|h| gib(h.peak_rss_bytes)), 2),
        ));
    }
    s.push_str(
        "\n| tracks | int8: ef, recall, QPS, p50 / p99 ms | f32: ef, recall, QPS, p99 ms | hnswlib: ef, recall, QPS, p99 ms | random 1% | random 10% | bpm 1% | bpm 10% |\n\
         |---:|---|---|---|---|---|---|---|\n",
    );
    for r in records {
        let Some(sf) = &r.search else { continue };
        let point = |p: Option<&SearchPoint>, p50: bool| {
            p.map_or("not reached".to_string(), |p| {
                let lat = if p50 {
                    format!("{:.2} / {:.2}", p.p50_ms, p.p99_ms)
                } else {
                    format!("{:.2}", p.p99_ms)
                };
                format!("{}, {:.3}, {:.0}, {lat}", p.ef, p.recall, p.qps)
            })
        };
        let hn = r.hnswlib.as_ref().map_or("—".to_string(), |h| {
            h.best_at(0.95).map_or("not reached".into(), |b| {
                format!(
                    "{}, {:.3}, {:.0}, {}",
                    b.ef,
                    b.recall,
                    b.qps,
                    opt(b.p99_ms, 2)
                )
            })
        });
        let f = |kind: &str, frac: f64| {
            sf.filtered(kind, frac).map_or("—".to_string(), |f| {
                format!(
                    "{:.0} QPS, recall {:.3}, p99 {:.2} ms",
                    f.point.qps, f.point.recall, f.point.p99_ms
                )
            })
        };
        s.push_str(&format!(
            "| {} | {} | {} | {hn} | {} | {} | {} | {} |\n",
            r.tracks,
            point(sf.int8_at_095(), true),
            point(sf.f32_at_095(), false),
            f("random", 0.01),
            f("random", 0.1),
            f("bpm", 0.01),
            f("bpm", 0.1),
        ));
    }
    s.push_str(
        "\n| tracks | greedy-all ms/step | beam (w 8) ms/step | 20-segment beam soundtrack ms, mean / slowest | fit s |\n\
         |---:|---:|---:|---:|---:|\n",
    );
    for r in records {
        let Some(p) = &r.planner else { continue };
        s.push_str(&format!(
            "| {} | {:.3} | {:.3} | {:.1} / {:.1} | {} |\n",
            r.tracks,
            p.greedy_ms_per_step,
            p.beam_ms_per_step,
            p.beam20_ms_mean,
            p.beam20_ms_max,
            opt(p.fit_seconds, 1)
        ));
    }
    s.push_str(
        "\nGrowth: the exponent b of cost ∝ tracks^b fitted over the sizes measured (b ≈ 1: \
         linear; b near 0: logarithmic or flat).\n\n| cost | sizes | b |\n|---|---:|---:|\n",
    );
    for (name, points) in curves(records) {
        if let Some(b) = growth_exponent(&points) {
            s.push_str(&format!("| {name} | {} | {b:.2} |\n", points.len()));
        }
    }
    s
}

/// Every curve the report draws: (name, (tracks, value) points).
fn curves(records: &[SizeRecord]) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut out: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut add = |name: &str, f: &dyn Fn(&SizeRecord) -> Option<f64>| {
        let points: Vec<(f64, f64)> = records
            .iter()
            .filter_map(|r| Some((r.tracks as f64, f(r)?)))
            .filter(|(_, y)| y.is_finite() && *y > 0.0)
            .collect();
        out.push((name.to_string(), points));
    };
    add("ingest s", &|r| r.ingest.as_ref().map(|i| i.seconds));
    add("ingest peak RSS GiB", &|r| {
        r.ingest.as_ref().map(|i| gib(i.peak_rss_bytes))
    });
    for t in [1, 2] {
        add(&format!("audio graph build s, {t} thread(s)"), &|r| {
            r.builds.get(&t)?.graph_seconds.get("audio_emb").copied()
        });
        add(&format!("hnswlib build s, {t} thread(s)"), &|r| {
            r.hnswlib.as_ref()?.build_s.get(&t).copied()
        });
    }
    add("build peak RSS GiB", &|r| {
        r.builds
            .values()
            .map(|b| gib(b.step.peak_rss_bytes))
            .reduce(f64::max)
    });
    add("library on disk GiB", &|r| {
        r.builds.values().last().map(|b| gib(b.step.disk_bytes))
    });
    add("int8 search p50 ms at recall 0.95", &|r| {
        Some(r.search.as_ref()?.int8_at_095()?.p50_ms)
    });
    add("int8 search p99 ms at recall 0.95", &|r| {
        Some(r.search.as_ref()?.int8_at_095()?.p99_ms)
    });
    // At a fixed ef the walk's cost grows with the graph's depth only; the ef that recall 0.95
    // needs grows too on these clustered catalogues.
    add("int8 search p50 ms at ef 64 (fixed)", &|r| {
        let p = r.search.as_ref()?.int8.iter().find(|p| p.ef == 64)?;
        Some(p.p50_ms)
    });
    add("f32 search p99 ms at recall 0.95", &|r| {
        Some(r.search.as_ref()?.f32_at_095()?.p99_ms)
    });
    add("hnswlib search p99 ms at recall 0.95", &|r| {
        r.hnswlib.as_ref()?.best_at(0.95)?.p99_ms
    });
    for (kind, frac) in [
        ("random", 0.01),
        ("random", 0.1),
        ("bpm", 0.01),
        ("bpm", 0.1),
    ] {
        add(&format!("filtered {kind} {}% p99 ms", frac * 100.0), &|r| {
            Some(r.search.as_ref()?.filtered(kind, frac)?.point.p99_ms)
        });
    }
    add("greedy-all ms/step", &|r| {
        r.planner.as_ref().map(|p| p.greedy_ms_per_step)
    });
    add("beam ms/step", &|r| {
        r.planner.as_ref().map(|p| p.beam_ms_per_step)
    });
    add("20-segment beam soundtrack ms", &|r| {
        r.planner.as_ref().map(|p| p.beam20_ms_mean)
    });
    out
}

/// Least-squares slope of log(value) on log(tracks); `None` below two sizes.
pub fn growth_exponent(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let logs: Vec<(f64, f64)> = points.iter().map(|(x, y)| (x.ln(), y.ln())).collect();
    let n = logs.len() as f64;
    let (mx, my) = (
        logs.iter().map(|p| p.0).sum::<f64>() / n,
        logs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = logs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = logs.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// The five charts (log-log): build and ingest time, memory and disk, search latency, filtered
/// search latency, planner time; each as `out/scale-<name>.png` and `.svg`.
pub fn draw(records: &[SizeRecord], out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    let all = curves(records);
    let pick = |names: &[&str]| -> Vec<(String, Vec<(f64, f64)>)> {
        all.iter()
            .filter(|(n, p)| names.contains(&n.as_str()) && !p.is_empty())
            .cloned()
            .collect()
    };
    let charts = [
        (
            "time",
            "Ingest and graph build time",
            "seconds",
            pick(&[
                "ingest s",
                "audio graph build s, 1 thread(s)",
                "audio graph build s, 2 thread(s)",
                "hnswlib build s, 1 thread(s)",
                "hnswlib build s, 2 thread(s)",
            ]),
        ),
        (
            "memory",
            "Peak resident memory and disk",
            "GiB",
            pick(&[
                "ingest peak RSS GiB",
                "build peak RSS GiB",
                "library on disk GiB",
            ]),
        ),
        (
            "search",
            "Search latency at recall@10 >= 0.95 (1 thread)",
            "milliseconds",
            pick(&[
                "int8 search p50 ms at recall 0.95",
                "int8 search p99 ms at recall 0.95",
                "int8 search p50 ms at ef 64 (fixed)",
                "f32 search p99 ms at recall 0.95",
                "hnswlib search p99 ms at recall 0.95",
            ]),
        ),
        (
            "filtered",
            "Filtered search p99 latency, through the planner at the tuned ef (int8, 1 thread)",
            "milliseconds",
            pick(&[
                "filtered random 1% p99 ms",
                "filtered random 10% p99 ms",
                "filtered bpm 1% p99 ms",
                "filtered bpm 10% p99 ms",
            ]),
        ),
        (
            "planner",
            "Soundtrack planner",
            "milliseconds",
            pick(&[
                "greedy-all ms/step",
                "beam ms/step",
                "20-segment beam soundtrack ms",
            ]),
        ),
    ];
    let mut written = Vec::new();
    for (name, title, y, series) in charts {
        if series.is_empty() {
            continue;
        }
        let mut chart = LineChart::new(title, "tracks", y)
            .with_axes(Axis::Log10, Axis::Log10)
            .with_legend(Legend::UpperLeft);
        for (label, points) in &series {
            let style = if label.contains("hnswlib") {
                Style::Dashed
            } else {
                Style::LineMarkers
            };
            chart = chart.with_series(label, points.clone(), style);
        }
        let files = ChartFiles::with_prefix(&out.join(format!("scale-{name}")));
        chart.write(&files)?;
        written.push(files.png);
        written.push(files.svg);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_exponents_of_known_curves() {
        let linear: Vec<(f64, f64)> = [1e4, 1e5, 1e6].iter().map(|&x| (x, 3.0 * x)).collect();
        assert!((growth_exponent(&linear).unwrap() - 1.0).abs() < 1e-9);
        let flat = [(1e4, 2.0), (1e6, 2.0)];
        assert!(growth_exponent(&flat).unwrap().abs() < 1e-9);
        assert!(growth_exponent(&[(1e4, 1.0)]).is_none());
    }

    #[test]
    fn a_record_survives_a_save_and_a_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = SizeRecord::path(dir.path(), 10_000, 128, 64);
        assert!(SizeRecord::load(&path).unwrap().is_none());
        let mut r = SizeRecord {
            tracks: 10_000,
            audio_dim: 128,
            text_dim: 64,
            ..SizeRecord::default()
        };
        r.ingest = Some(Step {
            seconds: 1.5,
            peak_rss_bytes: 1 << 30,
            disk_bytes: 2 << 30,
            finished: "2026-12-05T11:00:00Z".into(),
        });
        r.save(&path).unwrap();
        let back = SizeRecord::load(&path).unwrap().unwrap();
        assert_eq!(back.ingest.as_ref().unwrap().seconds, 1.5);
        std::fs::write(&path, b"{not json").unwrap();
        let err = SizeRecord::load(&path).unwrap_err();
        assert!(format!("{err:#}").contains("not a scale record"), "{err:#}");
        assert!(markdown(std::slice::from_ref(&back)).contains("| 10000 | 1.5 | 1.00 |"));
    }
}
