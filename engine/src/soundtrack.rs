//! Soundtracks through the facade: fitting a library's soundtrack model, opening a planner,
//! reading videos, and exporting plans.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder, UInt32Builder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use segue_index::arrow_schema::{DataType, Field, Schema};

pub use segue_query::sequencer::{DEFAULT_STEP_KEEP, StepDiversity, StepRerank};
pub use segue_query::soundtrack::{
    DEFAULT_CANDIDATES, FIT_ATTACHMENT, GatheredTrack, GatheredTracks, PlanBatch, PlanOptions,
    PlannedAction, PlannedSegment, Planner, PolicyChoice, ShardedPlanner, SoundtrackFit,
    SoundtrackPlan, StoredVector, energy_rank_from_counts, merge_candidate_hits,
};
pub use segue_query::video::{Segment, Video, parse_video, read_videos};

use crate::error::{Error, Result};
use crate::text::{EncoderOptions, library_text_embedder};
use segue_index::{EmbeddingKind, Library, LibraryWriter, Manifest, WalkMemory};

/// Opens the current version of the library in `dir` for planning, with the library's text
/// encoder attached for captions (loaded on the first caption; see [`EncoderOptions`]).
pub fn open_planner(dir: &Path, encoders: &EncoderOptions) -> Result<Planner> {
    planner_for(Arc::new(Library::open(dir)?), encoders)
}

/// A planner on a library already open (the version it was opened at), with the library's
/// text encoder attached as in [`open_planner`].
pub fn planner_for(library: Arc<Library>, encoders: &EncoderOptions) -> Result<Planner> {
    let embedder = library_text_embedder(&library, encoders);
    let planner = Planner::open(library)?;
    Ok(match embedder {
        Some(e) => planner.with_text_embedder(e),
        None => planner,
    })
}

/// Reads the videos of `path` (`.json` or `.jsonl`) for the planner's library.
pub fn read_videos_for(planner: &Planner, path: &Path) -> Result<Vec<Video>> {
    Ok(read_videos(path, planner.library().dims().into())?)
}

/// What `segue fit` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FitSummary {
    /// The version that holds the fit.
    pub library_version: u64,
    /// Videos fitted on.
    pub videos: usize,
    /// Videos with `music_change` flags (what the switch-budget model learns from).
    pub labelled_videos: usize,
    /// Budget bins (mu, std, sigma range, videos), when fitted.
    pub budget: Option<segue_query::objective::SwitchBudgetModel>,
    /// An audio reference embedding was fitted.
    pub audio_reference: bool,
    /// A text reference embedding was fitted.
    pub text_reference: bool,
}

/// Fits the reference embeddings and the switch-budget model on the videos of `videos_path`
/// and stores them with the library in `dir` as a new version.
pub fn fit(dir: &Path, videos_path: &Path) -> Result<(Manifest, FitSummary)> {
    let library = Library::open_with(dir, WalkMemory::Mapped)?;
    let videos = read_videos(videos_path, library.dims().into())?;
    drop(library);
    let source = videos_path.file_name().map_or_else(
        || videos_path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    fit_videos(dir, &videos, &source)
}

/// [`fit`] on videos already in memory; `source` names them in the stored fit.
pub fn fit_videos(dir: &Path, videos: &[Video], source: &str) -> Result<(Manifest, FitSummary)> {
    let library = Library::open_with(dir, WalkMemory::Mapped)?;
    for video in videos {
        video
            .validate(library.dims().into())
            .map_err(|issue| segue_query::QueryError::InvalidVideo(Box::new(issue)))?;
    }
    let fitted = SoundtrackFit::fit(videos, source)?;
    drop(library);
    let mut writer = LibraryWriter::open(dir)?;
    let manifest = writer.attach(FIT_ATTACHMENT, &fitted.to_json())?;
    let summary = FitSummary {
        library_version: manifest.library_version,
        videos: fitted.videos,
        labelled_videos: fitted.labelled_videos,
        budget: fitted.budget.clone(),
        audio_reference: fitted.reference.audio.is_some(),
        text_reference: fitted.reference.text.is_some(),
    };
    Ok((manifest, summary))
}

/// Writes `plans` as one Parquet table, one row per planned segment (atomically: a temp file
/// renamed into place, so a reader never sees half a file); the columns are
/// [`plans_record_batch`]'s.
pub fn write_plans_parquet(path: &Path, plans: &[SoundtrackPlan]) -> Result<()> {
    let batch = plans_record_batch(plans)?;
    let parquet_error = |e: parquet::errors::ParquetError| {
        Error::Invalid(format!("{}: writing Parquet: {e}", path.display()))
    };
    let mut bytes = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), None)
        .map_err(parquet_error)?;
    w.write(&batch).map_err(parquet_error)?;
    w.close().map_err(parquet_error)?;
    Ok(segue_index::atomic::atomic_write(path, &bytes)?)
}

/// `plans` as one Arrow table, one row per planned segment: the video, the policy, the segment's
/// time span, action, track, offset, reward and its terms, and the plan's totals.
pub fn plans_record_batch(plans: &[SoundtrackPlan]) -> Result<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("video_id", DataType::Utf8, false),
        Field::new("policy", DataType::Utf8, false),
        Field::new("segment", DataType::UInt32, false),
        Field::new("start", DataType::Float64, false),
        Field::new("end", DataType::Float64, false),
        Field::new("action", DataType::Utf8, false),
        Field::new("track_id", DataType::Utf8, false),
        Field::new("title", DataType::Utf8, true),
        Field::new("artist", DataType::Utf8, true),
        Field::new("row", DataType::UInt64, false),
        Field::new("offset", DataType::Float64, false),
        Field::new("reward", DataType::Float64, false),
        Field::new("alignment_reward", DataType::Float64, false),
        Field::new("smoothness_reward", DataType::Float64, false),
        Field::new("same_track_penalty", DataType::Float64, false),
        Field::new("switch_reward", DataType::Float64, false),
        Field::new("theme_reward", DataType::Float64, false),
        Field::new("episode_return", DataType::Float64, false),
        Field::new("switches", DataType::UInt32, false),
        Field::new("switch_budget", DataType::Float64, false),
    ]));
    let mut video = StringBuilder::new();
    let mut policy = StringBuilder::new();
    let mut segment = UInt32Builder::new();
    let (mut start, mut end, mut offset, mut reward) = (
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
    );
    let mut action = StringBuilder::new();
    let mut track = StringBuilder::new();
    let mut title = StringBuilder::new();
    let mut artist = StringBuilder::new();
    let mut row = UInt64Builder::new();
    let (mut align, mut smooth, mut same, mut switch, mut theme, mut ret, mut budget) = (
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
        Float64Builder::new(),
    );
    let mut switches = UInt32Builder::new();
    for p in plans {
        for s in &p.segments {
            video.append_value(&p.video_id);
            policy.append_value(&p.policy);
            segment.append_value(s.index as u32);
            start.append_value(s.start);
            end.append_value(s.end);
            action.append_value(match s.action {
                PlannedAction::New => "new",
                PlannedAction::Continue => "continue",
            });
            track.append_value(&s.track_id);
            title.append_option(s.title.as_deref());
            artist.append_option(s.artist.as_deref());
            row.append_value(s.row);
            offset.append_value(s.offset);
            reward.append_value(s.reward);
            align.append_value(s.terms.alignment_reward);
            // The reference reports placeholders at the first step; the reward ignores them.
            smooth.append_value(if s.index == 0 {
                0.0
            } else {
                s.terms.smoothness_reward
            });
            same.append_value(s.terms.same_track_penalty);
            switch.append_value(s.terms.switch_reward);
            theme.append_value(s.terms.theme_reward);
            ret.append_value(p.total_reward);
            switches.append_value(p.switches);
            budget.append_value(p.switch_budget as f64);
        }
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(video.finish()),
        Arc::new(policy.finish()),
        Arc::new(segment.finish()),
        Arc::new(start.finish()),
        Arc::new(end.finish()),
        Arc::new(action.finish()),
        Arc::new(track.finish()),
        Arc::new(title.finish()),
        Arc::new(artist.finish()),
        Arc::new(row.finish()),
        Arc::new(offset.finish()),
        Arc::new(reward.finish()),
        Arc::new(align.finish()),
        Arc::new(smooth.finish()),
        Arc::new(same.finish()),
        Arc::new(switch.finish()),
        Arc::new(theme.finish()),
        Arc::new(ret.finish()),
        Arc::new(switches.finish()),
        Arc::new(budget.finish()),
    ];
    RecordBatch::try_new(schema, columns).map_err(|e| Error::Invalid(format!("plan table: {e}")))
}

/// Anchors for synthetic videos: `n` evenly spaced tracks of the library, in whichever
/// embedding spaces it has.
pub fn video_anchors(lib: &Library, n: usize) -> Result<segue_fixtures::VideoAnchors> {
    if lib.rows() == 0 || n == 0 {
        return Err(Error::Invalid(
            "the library has no tracks to anchor videos on".into(),
        ));
    }
    let n = n.min(lib.rows() as usize);
    let step = lib.rows() as usize / n;
    let take = |kind: EmbeddingKind| {
        lib.vectors(kind)
            .map(|v| (0..n).map(|i| v.row(i * step).to_vec()).collect::<Vec<_>>())
    };
    let anchors = segue_fixtures::VideoAnchors {
        audio: take(EmbeddingKind::Audio),
        text: take(EmbeddingKind::Text),
    };
    if anchors.audio.is_none() && anchors.text.is_none() {
        return Err(Error::Invalid(format!(
            "{} has no embeddings (audio_emb or text_emb) to generate videos from",
            lib.dir().display()
        )));
    }
    Ok(anchors)
}
