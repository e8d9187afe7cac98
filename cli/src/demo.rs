//! `segue demo`: the main job on an embedded default. Builds a library from the shipped
//! fixtures, shows what it built, one sample search and a soundtrack for a sample video.
//!
//! * With the real Spotify catalogue (`../shared/data`) and the MiniLM model
//!   (`../shared/models`): every tenth row of the catalogue (all genres), captions composed from
//!   each track's title, artist, tags, BPM and mood embedded into a text space; a text search;
//!   the soundtrack model fitted on generated videos; and a soundtrack for
//!   `fixtures/samples/demo-video.json`, a vlog described by captions.
//! * Otherwise: a generated catalogue with audio and text embeddings, a similar-tracks search,
//!   the soundtrack model fitted on generated videos, and a soundtrack for one of them.
//!
//! Each soundtrack is planned by beam search, greedy-all and the shipped trained policy of
//! that demo source (`fixtures/policy/`, made by `scripts/train-default-policy`). With the real
//! audio catalogue present, the demo then renders a soundtrack to a WAV (`demo_music.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};

use segue::info::LibraryInfo;
use segue::models::{Precision, TextEncoder, TextEncoderOptions};
use segue::search::{LikeStrategy, SearchRequest};
use segue::soundtrack::{PlanOptions, Planner, PolicyChoice, Video, open_planner};
use segue::{EmbeddingKind, EncoderOptions, IngestOptions, Library};

/// The sample video of the real demo.
const DEMO_VIDEO: &str = include_str!("../../fixtures/samples/demo-video.json");
/// The text query of the real demo's sample search.
const DEMO_QUERY: &str = "calm acoustic guitar for a quiet sunrise";

/// Which catalogue the demo builds from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DemoSource {
    /// The real Spotify catalogue when it and the text model are present, else a generated one.
    #[default]
    Auto,
    Real,
    Generated,
}

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub dir: PathBuf,
    pub source: DemoSource,
    /// Tracks of the generated catalogue.
    pub generated_tracks: u64,
    /// The real demo ingests every `real_every`-th row of the Spotify catalogue (1: all).
    pub real_every: usize,
    /// The models folder (default: `$SEGUE_MODELS_DIR`, then `../shared/models`).
    pub models_dir: Option<PathBuf>,
    /// Where the shipped policies are (default: the workspace's `fixtures/policy`).
    pub policy_dir: PathBuf,
    pub progress: bool,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            dir: PathBuf::from("segue-demo-library"),
            source: DemoSource::Auto,
            generated_tracks: 5_000,
            real_every: 10,
            models_dir: None,
            policy_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/policy")),
            progress: true,
        }
    }
}

/// Builds the demo library and returns the report to print.
pub fn run(opts: &DemoOptions) -> Result<String> {
    prepare_dir(&opts.dir)?;
    let spotify = segue::paths::spotify_csv();
    let encoder = || {
        TextEncoder::load(&TextEncoderOptions {
            models_dir: opts.models_dir.clone(),
            precision: Precision::Fp32,
            ..TextEncoderOptions::default()
        })
    };
    let mut out = String::new();
    match opts.source {
        DemoSource::Generated => generated(opts, &mut out)?,
        DemoSource::Real => {
            let Some(csv) = spotify else {
                bail!(
                    "the real catalogue (../shared/data/tidytuesday-spotify/spotify_songs.csv) \
                     is not present; set SEGUE_SHARED_DATA"
                );
            };
            let enc = match encoder() {
                Ok(e) => Some(Arc::new(e)),
                Err(e) => {
                    writeln!(out, "The text model is not available ({e}): the library gets no embeddings, so no soundtrack.\n").ok();
                    None
                }
            };
            real(opts, &csv, enc, &mut out)?
        }
        DemoSource::Auto => match (spotify, encoder()) {
            (Some(csv), Ok(enc)) => real(opts, &csv, Some(Arc::new(enc)), &mut out)?,
            _ => generated(opts, &mut out)?,
        },
    }
    crate::demo_music::music(opts, &mut out)?;
    Ok(out)
}

fn ingest_options(catalog: &Path, progress: bool) -> IngestOptions {
    let mut o = IngestOptions::new(catalog);
    o.progress = progress;
    o
}

/// The real catalogue, sampled, with caption embeddings; a text search; the sample video.
fn real(
    opts: &DemoOptions,
    csv: &Path,
    encoder: Option<Arc<TextEncoder>>,
    out: &mut String,
) -> Result<()> {
    let sample = sibling(&opts.dir, "catalog.csv");
    let rows = sample_csv(csv, &sample, opts.real_every.max(1))?;
    writeln!(
        out,
        "Building a library from the real Spotify catalogue {} ({rows} of its rows: every {}th){}",
        csv.display(),
        opts.real_every.max(1),
        if encoder.is_some() {
            ", captions embedded with all-MiniLM-L6-v2"
        } else {
            ""
        }
    )
    .ok();
    let mut o = ingest_options(&sample, opts.progress);
    o.text_encoder = encoder.clone();
    let summary = segue::ingest(&opts.dir, &o);
    let _ = std::fs::remove_file(&sample);
    let summary = summary?;
    writeln!(
        out,
        "Ingested {} tracks from {} rows in {:.1} s ({} rejected, {} captions embedded).\n",
        summary.rows_added,
        summary.rows_read,
        summary.seconds,
        summary.rows_rejected,
        summary.text_embedded
    )
    .ok();
    let lib = Arc::new(Library::open(&opts.dir)?);
    out.push_str(&crate::render::info(&LibraryInfo::of(&lib, false)?));
    out.push('\n');
    let Some(encoder) = encoder else {
        out.push_str(&tag_search(&opts.dir)?);
        return Ok(());
    };
    drop(encoder);
    let encoders = EncoderOptions {
        models_dir: opts.models_dir.clone(),
        threads: 0,
    };
    let searcher = segue::search::open_searcher(&opts.dir, &encoders)?;
    let (hits, stats) = searcher.search(&SearchRequest::text(DEMO_QUERY)?.k(6)?)?;
    writeln!(
        out,
        "Sample search: text prompt \"{DEMO_QUERY}\" ({:.1} ms)",
        stats.micros as f64 / 1e3
    )
    .ok();
    out.push_str(&crate::render::hits(&hits));
    out.push('\n');
    drop(searcher);
    drop(lib);
    fit_on_generated_videos(opts, out)?;
    let video: Video =
        serde_json::from_str(DEMO_VIDEO).context("fixtures/samples/demo-video.json")?;
    let planner = open_planner(&opts.dir, &encoders)?;
    soundtrack(&planner, &video, opts, out)
}

/// A generated catalogue; a similar-tracks search; a fitted budget and a generated video.
fn generated(opts: &DemoOptions, out: &mut String) -> Result<()> {
    let catalog = generated_catalog(&opts.dir, opts.generated_tracks)?;
    writeln!(
        out,
        "Building a library from a generated catalogue ({} tracks, seed 7)",
        opts.generated_tracks
    )
    .ok();
    let s = segue::ingest(&opts.dir, &ingest_options(&catalog, opts.progress));
    let _ = std::fs::remove_file(&catalog);
    let summary = s?;
    writeln!(
        out,
        "Ingested {} of {} rows in {:.1} s ({} rejected).\n",
        summary.rows_added, summary.rows_read, summary.seconds, summary.rows_rejected
    )
    .ok();
    let lib = Library::open(&opts.dir)?;
    out.push_str(&crate::render::info(&LibraryInfo::of(&lib, false)?));
    out.push('\n');
    out.push_str(&similar_tracks(&opts.dir)?);
    out.push('\n');
    drop(lib);
    let video = fit_on_generated_videos(opts, out)?;
    let planner = open_planner(&opts.dir, &EncoderOptions::default())?;
    soundtrack(&planner, &video, opts, out)
}

/// Fits the soundtrack model (reference embeddings, switch budget) on 24 generated videos
/// whose segments wander near the library's tracks, with `music_change` flags; returns the
/// first of them. `scripts/train-default-policy` trains the shipped policies on the library
/// this leaves, so the demo plans with the references they were trained with.
fn fit_on_generated_videos(opts: &DemoOptions, out: &mut String) -> Result<Video> {
    let videos_path = sibling(&opts.dir, "videos.jsonl");
    let lib = Library::open(&opts.dir)?;
    let anchors = segue::soundtrack::video_anchors(&lib, 64)?;
    drop(lib);
    let spec = segue::fixtures::VideoSpec {
        count: 24,
        seed: 7,
        min_segments: 8,
        max_segments: 20,
    };
    segue::fixtures::write_videos_jsonl(&spec, &anchors, &videos_path)?;
    let fitted = segue::soundtrack::fit(&opts.dir, &videos_path);
    let videos = segue::soundtrack::read_videos(&videos_path, Default::default());
    let _ = std::fs::remove_file(&videos_path);
    let (manifest, fit) = fitted?;
    writeln!(
        out,
        "Fitted the soundtrack model on {} generated videos ({} with music_change flags): version {}.\n",
        fit.videos, fit.labelled_videos, manifest.library_version
    )
    .ok();
    Ok(videos?.into_iter().next().expect("24 videos were written"))
}

/// The shipped policy for a demo library: one per demo source, as its embedding dimensions
/// differ (`scripts/train-default-policy` makes both).
pub fn default_policy_file(opts: &DemoOptions, lib: &Library) -> PathBuf {
    let name = if lib.dims().audio.is_some() {
        "demo-generated.onnx"
    } else {
        "demo-real.onnx"
    };
    opts.policy_dir.join(name)
}

/// The beam plan of `video`, and how it compares with greedy-all and the trained policy.
fn soundtrack(
    planner: &Planner,
    video: &Video,
    opts: &DemoOptions,
    out: &mut String,
) -> Result<()> {
    let beam = planner.plan(video, &PlanOptions::default())?;
    let greedy = planner.plan(
        video,
        &PlanOptions {
            policy: PolicyChoice::GreedyAll,
            ..PlanOptions::default()
        },
    )?;
    writeln!(
        out,
        "Soundtrack for video {:?} ({} segments), planned by beam search over the top {} candidates per segment:",
        video.id,
        video.segments.len(),
        PlanOptions::default().candidates
    )
    .ok();
    out.push_str(&crate::render::plan(&beam));
    writeln!(
        out,
        "The same video planned greedily (greedy-all): return {:.3}, {} switches; beam: return {:.3} ({:+.3}).",
        greedy.total_reward,
        greedy.switches,
        beam.total_reward,
        beam.total_reward - greedy.total_reward
    )
    .ok();
    let policy = default_policy_file(opts, planner.library());
    if !policy.is_file() {
        writeln!(
            out,
            "No trained policy at {} (scripts/train-default-policy trains one).",
            policy.display()
        )
        .ok();
        return Ok(());
    }
    let trained = PlanOptions {
        policy: PolicyChoice::Trained(policy.clone()),
        ..PlanOptions::default()
    };
    match planner.plan(video, &trained) {
        Ok(p) => writeln!(
            out,
            "The trained masked policy ({}): return {:.3} ({:+.3} vs greedy-all), {} switches, {:.2} ms per step.",
            policy.display(),
            p.total_reward,
            p.total_reward - greedy.total_reward,
            p.switches,
            p.timing.ms_per_step
        ),
        // A policy file that does not fit (another build's features, a broken file) is
        // reported, not fatal: the rest of the demo stands.
        Err(e) => writeln!(out, "The trained policy {} could not plan: {e}", policy.display()),
    }
    .ok();
    Ok(())
}

/// `DIR.<suffix>` beside the demo directory (not inside: the library holds only its own files).
pub(crate) fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}.{suffix}", dir.display()))
}

/// Writes the header and every `every`-th data row of `src` to `dst`; returns the rows written.
fn sample_csv(src: &Path, dst: &Path, every: usize) -> Result<usize> {
    let src_ctx = || format!("reading {}", src.display());
    let dst_ctx = || format!("writing {}", dst.display());
    let mut r = csv::Reader::from_path(src).with_context(src_ctx)?;
    let mut w = csv::Writer::from_path(dst).with_context(dst_ctx)?;
    w.write_record(r.headers().with_context(src_ctx)?)
        .with_context(dst_ctx)?;
    let mut n = 0;
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(src_ctx)?;
        if i % every == 0 {
            w.write_record(&rec).with_context(dst_ctx)?;
            n += 1;
        }
    }
    w.flush().with_context(dst_ctx)?;
    Ok(n)
}

/// The demo directory is rebuilt each run, but only if it is ours (or empty).
pub(crate) fn prepare_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let is_library = dir.join(segue::index::manifest::MANIFEST_FILE).exists();
    let empty = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .next()
        .is_none();
    if !(is_library || empty) {
        bail!(
            "{} exists and is not a Segue library; choose another --dir",
            dir.display()
        );
    }
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))
}

fn generated_catalog(dir: &Path, tracks: u64) -> Result<PathBuf> {
    let path = sibling(dir, "catalog.parquet");
    let spec = segue::fixtures::CatalogSpec {
        tracks,
        audio_dim: 128,
        text_dim: 384,
        seed: 7,
        clusters: 24,
        artists: segue::fixtures::Artists::ClusterOnly,
    };
    segue::fixtures::write_catalog_parquet(&spec, &path, &mut |_| {})?;
    Ok(path)
}

/// The tracks that sound most like the first one (audio space, exact).
fn similar_tracks(dir: &Path) -> Result<String> {
    let searcher = segue::search::open_searcher(dir, &EncoderOptions::default())?;
    let first = searcher
        .library()
        .track_ids()?
        .into_iter()
        .next()
        .context("the demo library is empty")?;
    let request = SearchRequest::like(
        EmbeddingKind::Audio,
        &[&first],
        &[],
        LikeStrategy::AverageVector,
    )?
    .exact(true)
    .k(6)?;
    let (hits, _) = searcher.search(&request)?;
    Ok(format!(
        "Sample search: the tracks that sound most like {first} (exact cosine, audio space)\n{}",
        crate::render::hits(&hits)
    ))
}

/// A metadata search over a library without embeddings: rock tracks at 118–122 BPM.
fn tag_search(dir: &Path) -> Result<String> {
    let searcher = segue::search::open_searcher(dir, &EncoderOptions::default())?;
    let request = SearchRequest::words("tag:\"genre:rock\"")?
        .filter("bpm >= 118 AND bpm <= 122")?
        .k(8)?;
    let (hits, stats) = searcher.search(&request)?;
    Ok(format!(
        "Sample search: tag genre:rock with 118 <= bpm <= 122 ({} tracks pass the filter)\n{}",
        stats.allowed_rows.unwrap_or(0),
        crate::render::hits(&hits)
    ))
}
