//! `segue train-policy` through the facade: trains the masked policy on a library's tracks and
//! a file of videos, with the candidates planning will give it (the top-K tracks by alignment
//! from the library's index, under the request's filter) and the library's fitted reference
//! embeddings and switch budgets, then exports it as ONNX.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use segue_query::objective::{ObjectiveConfig, ReferenceEmbeddings};
use segue_query::policy::{PpoConfig, TrainPolicyOptions, TrainPolicyReport, train_policy};
use segue_query::sequencer::{AllRows, AllTracks, AnnCandidates, CandidateProvider, RowFilter};
use segue_query::video::Video;

use crate::error::{Error, Result};
use crate::soundtrack::{open_planner, read_videos_for};
use crate::text::EncoderOptions;

/// Settings of [`train`] beyond the PPO ones.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Where the ONNX policy is written.
    pub out: PathBuf,
    /// Total environment steps (a resumed run counts its earlier ones).
    pub steps: u64,
    /// Seed, slots K, network widths, PPO settings.
    pub config: PpoConfig,
    pub objective: ObjectiveConfig,
    /// Only tracks matching this filter expression are candidates.
    pub filter: Option<String>,
    /// Every track is a candidate at every step (small libraries only).
    pub exact: bool,
    /// Share of the videos held out for testing.
    pub test_fraction: f64,
    pub checkpoint: Option<PathBuf>,
    pub checkpoint_every: u64,
    pub resume: bool,
    pub log: Option<PathBuf>,
    pub plot: Option<PathBuf>,
    pub progress: bool,
    /// Compare with the random and greedy-all baselines (exact scans) after training.
    pub baselines: bool,
    pub encoders: EncoderOptions,
}

impl TrainOptions {
    pub fn new(out: impl Into<PathBuf>) -> Self {
        TrainOptions {
            out: out.into(),
            steps: 20_000,
            config: PpoConfig::default(),
            objective: ObjectiveConfig::default(),
            filter: None,
            exact: false,
            test_fraction: 0.25,
            checkpoint: None,
            checkpoint_every: 0,
            resume: false,
            log: None,
            plot: None,
            progress: false,
            baselines: true,
            encoders: EncoderOptions::default(),
        }
    }
}

/// What [`train`] did: the trainer's report, and whether the library had a fitted model.
#[derive(Debug, Clone)]
pub struct TrainSummary {
    pub report: TrainPolicyReport,
    /// `false`: the library has no `segue fit`; the references were fitted on these videos,
    /// while planning on the library will use none until it is fitted.
    pub library_fitted: bool,
}

/// Trains a policy on the library in `dir` and the videos of `videos_path`.
pub fn train(dir: &Path, videos_path: &Path, opts: &TrainOptions) -> Result<TrainSummary> {
    let planner = open_planner(dir, &opts.encoders)?;
    let raw = read_videos_for(&planner, videos_path)?;
    // Captions embedded, dimensions checked, as planning would.
    let videos: Vec<Video> = raw
        .iter()
        .map(|v| planner.prepare(v).map(|v| v.into_owned()))
        .collect::<std::result::Result<_, _>>()?;
    if videos.is_empty() {
        return Err(Error::Invalid(format!(
            "{} holds no videos to train on",
            videos_path.display()
        )));
    }
    let fit = planner.fit().cloned();
    // The candidates' search direction uses the same references the trainer's objective does.
    let reference = match &fit {
        Some(f) => f.reference.clone(),
        None => ReferenceEmbeddings::from_videos(&videos)?,
    };
    let allowed = planner.allowed_rows(opts.filter.as_deref())?;
    let slots = opts.config.obs.slots;
    let library = Arc::clone(planner.library());
    let provider: Box<dyn CandidateProvider + '_> = if opts.exact {
        Box::new(AllTracks)
    } else {
        Box::new(AnnCandidates::new(
            &library,
            &reference,
            allowed.as_ref(),
            slots,
        )?)
    };
    let filter: Box<dyn RowFilter + '_> = match &allowed {
        Some(a) => Box::new(a),
        None => Box::new(AllRows),
    };
    let library_fitted = fit.is_some();
    let options = TrainPolicyOptions {
        out: opts.out.clone(),
        steps: opts.steps,
        config: opts.config,
        objective: opts.objective,
        test_fraction: opts.test_fraction,
        checkpoint: opts.checkpoint.clone(),
        checkpoint_every: opts.checkpoint_every,
        resume: opts.resume,
        log: opts.log.clone(),
        plot: opts.plot.clone(),
        progress: opts.progress,
        baselines: opts.baselines,
        fit,
    };
    let report = train_policy(planner.tracks(), &videos, provider, filter, &options)?;
    Ok(TrainSummary {
        report,
        library_fitted,
    })
}
