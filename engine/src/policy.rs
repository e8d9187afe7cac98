//! Policy training through the facade: trains the masked policy on a library's tracks and a
//! file of videos, with the candidates planning will give it (the top-K tracks by alignment
//! from the library's index, under the request's filter) and the library's fitted reference
//! embeddings and switch budgets, then exports it as ONNX.

use std::path::Path;
use std::sync::Arc;

use segue_query::objective::ReferenceEmbeddings;
use segue_query::sequencer::{AllRows, AllTracks, AnnCandidates, CandidateProvider, RowFilter};
use segue_query::video::Video;
pub use segue_train::{OnUpdate, TrainPolicyOptions, TrainPolicyReport, UpdateStats};

use crate::error::{Error, Result};
use crate::soundtrack::{open_planner, read_videos_for};
use crate::text::EncoderOptions;

/// Settings of [`train`]: the trainer's own, and how the library is asked.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Steps, PPO settings, outputs. Its `fit` is ignored: the library's own fit is used.
    pub policy: TrainPolicyOptions,
    /// Only tracks matching this filter expression are candidates.
    pub filter: Option<String>,
    /// Every track is a candidate at every step (small libraries only).
    pub exact: bool,
    /// Where the text encoder for captions is found.
    pub encoders: EncoderOptions,
}

impl TrainOptions {
    /// The trainer's defaults ([`TrainPolicyOptions::new`]), writing the policy to `out`.
    pub fn new(out: impl Into<std::path::PathBuf>) -> Self {
        TrainOptions {
            policy: TrainPolicyOptions::new(out),
            filter: None,
            exact: false,
            encoders: EncoderOptions::default(),
        }
    }
}

/// What [`train`] did: the trainer's report, and whether the library had a fitted model.
#[derive(Debug, Clone)]
pub struct TrainSummary {
    /// Returns per split and mode, the learning curve, where the policy went.
    pub report: TrainPolicyReport,
    /// `false`: the library has no `segue fit`; the references were fitted on these videos,
    /// while planning on the library will use none until it is fitted.
    pub library_fitted: bool,
}

/// Trains a policy on the library in `dir` and the videos of `videos_path`; `on_update` is
/// called after every PPO update (a progress bar, say).
pub fn train(
    dir: &Path,
    videos_path: &Path,
    opts: &TrainOptions,
    on_update: OnUpdate<'_>,
) -> Result<TrainSummary> {
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
    let slots = opts.policy.config.obs.slots;
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
        fit,
        ..opts.policy.clone()
    };
    let report = segue_train::train_policy(
        planner.tracks(),
        &videos,
        provider,
        filter,
        &options,
        on_update,
    )?;
    Ok(TrainSummary {
        report,
        library_fitted,
    })
}
