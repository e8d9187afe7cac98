//! Plans soundtracks against one opened library version.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use roaring::RoaringBitmap;

use segue_index::Library;
use segue_index::filter::{Filter, TextField};

use super::fit::{SoundtrackFit, default_budget};
use super::plan::{PlanTiming, PlannedAction, SoundtrackPlan};
use crate::arrange;
use crate::error::QueryError;
use crate::library_tracks::LibraryTracks;
use crate::objective::{
    EpisodeOutcome, Objective, ObjectiveConfig, ReferenceEmbeddings, TrackSource,
};
use crate::policy::{Choice, ObsConfig, ObservationBuilder, PolicyModel, PolicySequencer};
use crate::search::{Field, Searcher, TextEmbedder};
use crate::sequencer::{
    AllRows, AllTracks, AnnCandidates, ArtistCap, Beam, CandidateProvider, Candidates,
    DEFAULT_BEAM_WIDTH, Greedy, NO_ARTIST, Random, RowFilter, Sequencer, StepRerank, run_episode,
};
use crate::video::Video;

/// Candidates per segment in scalable mode unless the request says otherwise.
pub const DEFAULT_CANDIDATES: usize = 64;

/// Which sequencer plans the soundtrack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyChoice {
    /// Uniform over the valid actions (seeded).
    Random,
    /// The reference's greedy over alignment and repetition (counted twice) plus the reward.
    GreedyAligned,
    /// Greedy over the full step reward.
    GreedyAll,
    /// Beam search over whole soundtracks (never below greedy-all).
    Beam,
    /// A masked policy trained by `segue train-policy` (or elsewhere with the same interface),
    /// run through ONNX Runtime over the model's K candidate slots. Spelled `policy:FILE.onnx`.
    Trained(PathBuf),
}

impl PolicyChoice {
    /// The built-in sequencers.
    pub const BUILTIN: [PolicyChoice; 4] = [
        PolicyChoice::Random,
        PolicyChoice::GreedyAligned,
        PolicyChoice::GreedyAll,
        PolicyChoice::Beam,
    ];

    /// The built-in sequencers (kept for callers that iterate them).
    pub const ALL: [PolicyChoice; 4] = Self::BUILTIN;

    /// The name plans and reports carry: the built-in's name, or `policy:<file stem>`.
    pub fn name(&self) -> String {
        match self {
            PolicyChoice::Random => "random".into(),
            PolicyChoice::GreedyAligned => "greedy-aligned".into(),
            PolicyChoice::GreedyAll => "greedy-all".into(),
            PolicyChoice::Beam => "beam".into(),
            PolicyChoice::Trained(path) => format!(
                "policy:{}",
                path.file_stem().map_or_else(
                    || path.display().to_string(),
                    |s| s.to_string_lossy().into()
                )
            ),
        }
    }
}

impl std::str::FromStr for PolicyChoice {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, QueryError> {
        if let Some(file) = s.strip_prefix("policy:") {
            if file.trim().is_empty() {
                return Err(QueryError::InvalidArgument(
                    "`policy:` needs the ONNX file, e.g. policy:fixtures/policy/demo-real.onnx"
                        .into(),
                ));
            }
            return Ok(PolicyChoice::Trained(PathBuf::from(file)));
        }
        PolicyChoice::BUILTIN
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                QueryError::InvalidArgument(format!(
                    "unknown policy `{s}`; expected random, greedy-aligned, greedy-all, beam or \
                     policy:FILE.onnx"
                ))
            })
    }
}

/// How to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOptions {
    pub policy: PolicyChoice,
    /// Only tracks matching this filter expression are placed.
    pub filter: Option<String>,
    /// Evaluate every track at every step instead of the top candidates from the index.
    pub exact: bool,
    /// Candidates per segment in scalable mode.
    pub candidates: usize,
    /// In scalable mode, find each segment's candidates by an exact scan instead of the graph:
    /// slower, but the true best, and the same however a catalogue is sharded.
    pub exact_candidates: bool,
    /// Plans kept per segment by the beam planner.
    pub beam_width: usize,
    /// Every segment is covered by its track: no CONTINUE past a track's end, no new track
    /// shorter than its first segment (the reference's mask allows both).
    pub whole_segments: bool,
    /// Seed of the random policy, and of a trained policy's draws when it samples.
    pub seed: u64,
    /// A trained policy samples its actions (seeded by `seed` and the video id) instead of
    /// taking the most probable one.
    pub sample: bool,
    pub objective: ObjectiveConfig,
    /// At most this many distinct tracks of one artist in a plan (at least 1), for every
    /// sequencer; `None`: no cap.
    pub max_per_artist: Option<u32>,
    /// Tracks never placed, by track id (e.g. the tracks of a user's last videos). Ids the
    /// library does not have are ignored.
    pub exclude_ids: Vec<String>,
    /// In a [`PlanBatch`], no track is placed in two videos: each video's tracks are excluded
    /// from the videos planned after it.
    pub no_repeat_across_videos: bool,
    /// The diversity/coherence knob: each step's new-track candidates are reranked against
    /// the plan's tracks and only the best few stay (see [`StepRerank`]); `None`: off.
    pub diversify: Option<StepRerank>,
    /// Arrange the plan for playback: beat-matched transitions and bridge tracks, each
    /// segment's offset re-pointed at where its track is heard from. Off, the plan is the
    /// sequencer's alone (offsets as the episode played them, no edit list to render): a
    /// suggestion list needs no more, and it is what a sharded catalogue plans.
    pub arrange: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            policy: PolicyChoice::Beam,
            filter: None,
            exact: false,
            candidates: DEFAULT_CANDIDATES,
            exact_candidates: false,
            beam_width: DEFAULT_BEAM_WIDTH,
            whole_segments: true,
            seed: 0,
            sample: false,
            objective: ObjectiveConfig::default(),
            max_per_artist: None,
            exclude_ids: Vec::new(),
            no_repeat_across_videos: false,
            diversify: None,
            arrange: true,
        }
    }
}

/// Plans soundtracks on one library version: its tracks, its fitted model (or the defaults),
/// its indexes, and a text encoder for captions when one is given.
pub struct Planner {
    library: Arc<Library>,
    tracks: LibraryTracks,
    fit: Option<SoundtrackFit>,
    no_reference: ReferenceEmbeddings,
    searcher: Searcher,
    /// An artist code per row, read once when a plan caps artists.
    artists: OnceLock<Arc<[u32]>>,
    /// Every track's energy, ascending, read when a router asks for energy counts.
    energies: OnceLock<Vec<f64>>,
    /// Trained policies opened so far, by file: an ONNX session is built once and reused for
    /// every video (building one costs milliseconds, a step tens of microseconds).
    policies: Mutex<HashMap<PathBuf, PolicyModel>>,
}

impl std::fmt::Debug for Planner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Planner")
            .field("library", &self.library.dir())
            .field("version", &self.library.version())
            .field("fitted", &self.fit.is_some())
            .finish_non_exhaustive()
    }
}

impl Planner {
    /// Reads the tracks' features and the stored fit.
    pub fn open(library: Arc<Library>) -> Result<Planner, QueryError> {
        Ok(Planner {
            tracks: LibraryTracks::open(library.clone())?,
            fit: SoundtrackFit::load(&library)?,
            no_reference: ReferenceEmbeddings::default(),
            searcher: Searcher::new(library.clone()),
            artists: OnceLock::new(),
            energies: OnceLock::new(),
            policies: Mutex::new(HashMap::new()),
            library,
        })
    }

    /// Embeds segment captions (for segments without a `text_emb`) with `embedder`, which must
    /// be the encoder of the library's text space.
    pub fn with_text_embedder(mut self, embedder: Arc<dyn TextEmbedder>) -> Planner {
        self.searcher = self.searcher.with_text_embedder(embedder);
        self
    }

    pub fn library(&self) -> &Arc<Library> {
        &self.library
    }

    pub fn tracks(&self) -> &LibraryTracks {
        &self.tracks
    }

    pub(super) fn searcher(&self) -> &Searcher {
        &self.searcher
    }

    /// Every track's energy as the objective reads it, ascending.
    pub(super) fn sorted_energies(&self) -> &[f64] {
        self.energies.get_or_init(|| {
            let mut e: Vec<f64> = (0..self.tracks.len())
                .map(|r| self.tracks.features(r).energy)
                .collect();
            e.sort_by(f64::total_cmp);
            e
        })
    }

    /// The stored fit, if `segue fit` was run on this library.
    pub fn fit(&self) -> Option<&SoundtrackFit> {
        self.fit.as_ref()
    }

    /// The reference embeddings in use (none without a fit).
    pub fn reference(&self) -> &ReferenceEmbeddings {
        self.fit
            .as_ref()
            .map_or(&self.no_reference, |f| &f.reference)
    }

    /// The switch budget for `video` (its own, the fitted model's, or the default).
    pub fn budget_for(&self, video: &Video) -> Result<i64, QueryError> {
        match &self.fit {
            Some(f) => f.budget_for(video),
            None => Ok(default_budget(video)),
        }
    }

    /// The rows `filter` allows (`None`: every row).
    pub fn allowed_rows(&self, filter: Option<&str>) -> Result<Option<RoaringBitmap>, QueryError> {
        let Some(expr) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
            return Ok(None);
        };
        let filter = Filter::parse(expr).map_err(QueryError::BadFilter)?;
        Ok(Some(filter.evaluate(self.searcher.filter_columns()?)))
    }

    /// `video` ready to plan: captions embedded into `text_emb` where it is missing (when the
    /// library has a text space and a text encoder is available), then validated against the
    /// library's dimensions.
    pub fn prepare<'v>(&self, video: &'v Video) -> Result<Cow<'v, Video>, QueryError> {
        let needs_text = self.library.dims().text.is_some()
            && video
                .segments
                .iter()
                .any(|s| s.text_emb.is_none() && s.caption.is_some());
        let video = match (self.searcher.text_embedder(), needs_text) {
            (Some(embedder), true) => {
                self.searcher.check_encoder(embedder.as_ref())?;
                let mut owned = video.clone();
                for (i, seg) in owned.segments.iter_mut().enumerate() {
                    if seg.text_emb.is_some() {
                        continue;
                    }
                    if let Some(caption) = &seg.caption {
                        let v = embedder.embed_query(caption).map_err(|source| {
                            QueryError::Embedding {
                                what: format!("the caption of video `{}` segment {i}", video.id),
                                source,
                            }
                        })?;
                        seg.text_emb = Some(v);
                    }
                }
                Cow::Owned(owned)
            }
            (None, true) if !self.video_has_signal(video) => {
                return Err(self.searcher.no_embedder());
            }
            _ => Cow::Borrowed(video),
        };
        video
            .validate(self.library.dims().into())
            .map_err(|i| QueryError::InvalidVideo(Box::new(i)))?;
        if !self.video_has_signal(&video) {
            return Err(QueryError::InvalidVideo(Box::new(
                crate::video::VideoIssue::new(
                    "no segment has an embedding in a space the library has (captions need a \
                     text encoder and a library with text embeddings)",
                )
                .video(&video.id),
            )));
        }
        Ok(video)
    }

    fn video_has_signal(&self, video: &Video) -> bool {
        let dims = self.library.dims();
        video.segments.iter().any(|s| {
            (dims.audio.is_some() && s.audio_emb.is_some())
                || (dims.text.is_some() && s.text_emb.is_some())
        })
    }

    /// Plans `video` with one of the built-in sequencers.
    pub fn plan(&self, video: &Video, opts: &PlanOptions) -> Result<SoundtrackPlan, QueryError> {
        let allowed = self.allowed_rows(opts.filter.as_deref())?;
        self.plan_allowed(video, opts, allowed.as_ref())
    }

    /// [`Planner::plan`] with the filter already evaluated (for many videos under one filter).
    /// The options' exclusions and artist cap apply; to keep tracks from repeating across
    /// videos, plan them through a [`PlanBatch`].
    pub fn plan_allowed(
        &self,
        video: &Video,
        opts: &PlanOptions,
        allowed: Option<&RoaringBitmap>,
    ) -> Result<SoundtrackPlan, QueryError> {
        let allowed = self.without_excluded(allowed, &opts.exclude_ids, None)?;
        self.plan_rows(video, opts, allowed.as_deref())
    }

    /// Plans a batch of videos (a project, a channel) under one filter: with
    /// [`PlanOptions::no_repeat_across_videos`], each video's tracks are kept out of the
    /// videos planned after it.
    pub fn batch<'p>(
        &'p self,
        opts: &'p PlanOptions,
        allowed: Option<&RoaringBitmap>,
    ) -> Result<PlanBatch<'p>, QueryError> {
        let allowed = self
            .without_excluded(allowed, &opts.exclude_ids, None)?
            .map(Cow::into_owned);
        Ok(PlanBatch {
            planner: self,
            opts,
            allowed,
            used: RoaringBitmap::new(),
        })
    }

    /// Plans `videos` in order as one batch under the options' filter (see
    /// [`Planner::batch`]): a project's or a channel's videos.
    pub fn plan_videos(
        &self,
        videos: &[Video],
        opts: &PlanOptions,
    ) -> Result<Vec<SoundtrackPlan>, QueryError> {
        let allowed = self.allowed_rows(opts.filter.as_deref())?;
        let mut batch = self.batch(opts, allowed.as_ref())?;
        videos.iter().map(|v| batch.plan(v)).collect()
    }

    /// `allowed` (every row when `None`) without the rows of `ids` and of `used`; borrowed
    /// when nothing is taken out.
    fn without_excluded<'a>(
        &self,
        allowed: Option<&'a RoaringBitmap>,
        ids: &[String],
        used: Option<&RoaringBitmap>,
    ) -> Result<Option<Cow<'a, RoaringBitmap>>, QueryError> {
        let mut out = used.cloned().unwrap_or_default();
        if !ids.is_empty() {
            let by_id = self.searcher.rows_by_id()?;
            out.extend(ids.iter().filter_map(|id| by_id.get(id)).map(|&r| r as u32));
        }
        if out.is_empty() {
            return Ok(allowed.map(Cow::Borrowed));
        }
        let mut set = allowed
            .cloned()
            .unwrap_or_else(|| (0..self.library.rows() as u32).collect());
        set -= out;
        Ok(Some(Cow::Owned(set)))
    }

    /// The artist cap of `opts`, if any.
    fn artist_cap(&self, opts: &PlanOptions) -> Result<Option<ArtistCap>, QueryError> {
        let Some(max) = opts.max_per_artist else {
            return Ok(None);
        };
        let artists = match self.artists.get() {
            Some(a) => a.clone(),
            None => {
                let columns = self.searcher.filter_columns()?;
                let codes: Arc<[u32]> = (0..columns.rows())
                    .map(|r| columns.text_code(TextField::Artist, r).unwrap_or(NO_ARTIST))
                    .collect();
                self.artists.get_or_init(|| codes).clone()
            }
        };
        Ok(Some(ArtistCap::new(artists, max)?))
    }

    /// Plans `video` over exactly the rows `allowed` (exclusions already taken out).
    fn plan_rows(
        &self,
        video: &Video,
        opts: &PlanOptions,
        allowed: Option<&RoaringBitmap>,
    ) -> Result<SoundtrackPlan, QueryError> {
        if let PolicyChoice::Trained(path) = &opts.policy {
            return self.plan_trained(video, opts, allowed, path);
        }
        let candidates = self.candidates(opts, allowed)?;
        let mut sequencer = builtin_sequencer(opts, candidates)?;
        self.plan_within(video, opts, sequencer.as_mut(), allowed)
    }

    /// Opens the policy file (once per planner) and returns its session, taken out of the
    /// cache for the caller to give back.
    fn take_policy(&self, path: &Path) -> Result<PolicyModel, QueryError> {
        let cached = self
            .policies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(path);
        match cached {
            Some(m) => Ok(m),
            // One intra-op thread: the network is tiny and threads only add hand-off cost.
            None => PolicyModel::open(path, 1),
        }
    }

    /// A trained policy over its K slots: the top-K tracks by alignment from the index
    /// (every track in exact mode), the request's filter and whole-segment rule in its mask.
    pub fn policy_sequencer<'s>(
        &'s self,
        model: PolicyModel,
        opts: &PlanOptions,
        allowed: Option<&'s RoaringBitmap>,
    ) -> Result<PolicySequencer<'s>, QueryError> {
        let slots = model.meta().dims.slots;
        let provider: Box<dyn CandidateProvider + 's> = if opts.exact {
            Box::new(AllTracks)
        } else {
            Box::new(
                AnnCandidates::new(&self.library, self.reference(), allowed, slots)?
                    .exact_scan(opts.exact_candidates),
            )
        };
        let filter: Box<dyn RowFilter + 's> = match allowed {
            Some(a) => Box::new(a),
            None => Box::new(AllRows),
        };
        let config = ObsConfig {
            slots,
            whole_segments: opts.whole_segments,
        };
        let mut builder = ObservationBuilder::new(&self.tracks, config, provider, filter)?;
        if let Some(cap) = self.artist_cap(opts)? {
            builder = builder.with_artist_cap(cap);
        }
        if let Some(rerank) = opts.diversify {
            builder = builder.with_step_rerank(rerank);
        }
        let choice = if opts.sample {
            Choice::Sample(opts.seed)
        } else {
            Choice::Greedy
        };
        PolicySequencer::new(model, builder, choice)
    }

    fn plan_trained(
        &self,
        video: &Video,
        opts: &PlanOptions,
        allowed: Option<&RoaringBitmap>,
        path: &Path,
    ) -> Result<SoundtrackPlan, QueryError> {
        let model = self.take_policy(path)?;
        let mut sequencer = self.policy_sequencer(model, opts, allowed)?;
        let plan = self.plan_within(video, opts, &mut sequencer, allowed);
        self.policies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_path_buf(), sequencer.into_model());
        let mut plan = plan?;
        plan.policy = opts.policy.name();
        Ok(plan)
    }

    /// The candidates a sequencer of `opts` considers: every allowed track (exact) or the top
    /// ones by alignment from the index (scalable), with the whole-segment rule if asked.
    pub fn candidates<'s>(
        &'s self,
        opts: &PlanOptions,
        allowed: Option<&'s RoaringBitmap>,
    ) -> Result<Candidates<'s>, QueryError> {
        let base = if opts.exact {
            Candidates::exact()
        } else {
            Candidates::new(
                AnnCandidates::new(&self.library, self.reference(), allowed, opts.candidates)?
                    .exact_scan(opts.exact_candidates),
            )
        };
        let base = match allowed {
            Some(a) => base.with_filter(a),
            None => base,
        };
        let base = match self.artist_cap(opts)? {
            Some(cap) => base.with_artist_cap(cap),
            None => base,
        };
        let base = match opts.diversify {
            Some(rerank) => base.with_step_rerank(rerank),
            None => base,
        };
        Ok(base.whole_segments(opts.whole_segments))
    }

    /// Plans `video` with any sequencer (e.g. a trained policy), timing the whole episode.
    /// Bridge tracks come from the rows the options' filter allows, less their exclusions.
    pub fn plan_with(
        &self,
        video: &Video,
        opts: &PlanOptions,
        sequencer: &mut dyn Sequencer,
    ) -> Result<SoundtrackPlan, QueryError> {
        let allowed = self.allowed_rows(opts.filter.as_deref())?;
        let allowed = self.without_excluded(allowed.as_ref(), &opts.exclude_ids, None)?;
        self.plan_within(video, opts, sequencer, allowed.as_deref())
    }

    /// [`Planner::plan_with`] with bridge tracks from `allowed` (all rows when `None`).
    fn plan_within(
        &self,
        video: &Video,
        opts: &PlanOptions,
        sequencer: &mut dyn Sequencer,
        allowed: Option<&RoaringBitmap>,
    ) -> Result<SoundtrackPlan, QueryError> {
        let video = self.prepare(video)?;
        let budget = self.budget_for(&video)?;
        let objective = Objective::new(&self.tracks, self.reference(), opts.objective)?;
        let start = Instant::now();
        let outcome = run_episode(&objective, &video, budget, sequencer)?;
        let total_ms = start.elapsed().as_secs_f64() * 1e3;
        let mut plan = self.to_plan(&video, &outcome, sequencer.name(), total_ms)?;
        if opts.arrange {
            self.arrange(&mut plan, &video, allowed)?;
        }
        Ok(plan)
    }

    /// Track names and the totals of a finished episode.
    pub fn to_plan(
        &self,
        video: &Video,
        outcome: &EpisodeOutcome,
        policy: &str,
        total_ms: f64,
    ) -> Result<SoundtrackPlan, QueryError> {
        let rows: Vec<u64> = outcome.tracks();
        let fields = crate::search::fields::track_fields(
            &self.library,
            &rows,
            &[Field::Title, Field::Artist, Field::DurationS],
        )?;
        let timing = PlanTiming {
            total_ms,
            ms_per_step: total_ms / outcome.steps.len().max(1) as f64,
        };
        let mut plan = SoundtrackPlan::from_outcome(
            video,
            outcome,
            policy,
            self.library.version(),
            &fields,
            timing,
            self.library.dims().audio.is_some(),
        );
        plan.motion_energy_spearman =
            plan.motion_energy_correlation(video, |row| self.tracks.features(row).energy);
        Ok(plan)
    }

    /// Arranges `plan` for playback (see [`PlanOptions::arrange`]), its bridge tracks from
    /// the rows `allowed` (all when `None`).
    fn arrange(
        &self,
        plan: &mut SoundtrackPlan,
        video: &Video,
        allowed: Option<&RoaringBitmap>,
    ) -> Result<(), QueryError> {
        let mut distinct: Vec<u64> = plan.segments.iter().map(|s| s.row).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let analyses = arrange::read_analyses(&self.library, &distinct)?
            .into_iter()
            .map(|a| (a.row, a))
            .collect();
        let bridges = arrange::find_bridges(&self.library, plan, video, &analyses, allowed)?;
        let arrangement = arrange::arrange(plan, video, &analyses, &bridges);
        arrange::sync_offsets(plan, &arrangement);
        plan.arrangement = Some(arrangement);
        Ok(())
    }
}

/// The built-in sequencer `opts` names, choosing among `candidates`.
pub(super) fn builtin_sequencer<'p>(
    opts: &PlanOptions,
    candidates: Candidates<'p>,
) -> Result<Box<dyn Sequencer + 'p>, QueryError> {
    Ok(match &opts.policy {
        PolicyChoice::Random => Box::new(Random::new(opts.seed, candidates)),
        PolicyChoice::GreedyAligned => Box::new(Greedy::aligned(candidates)),
        PolicyChoice::GreedyAll => Box::new(Greedy::all(candidates)),
        PolicyChoice::Beam => Box::new(Beam::new(opts.beam_width, candidates)?),
        PolicyChoice::Trained(path) => {
            return Err(QueryError::InvalidArgument(format!(
                "{} is a trained policy, not a built-in sequencer",
                path.display()
            )));
        }
    })
}

/// Plans the videos of one batch in turn (see [`Planner::batch`]).
#[derive(Debug)]
pub struct PlanBatch<'p> {
    planner: &'p Planner,
    opts: &'p PlanOptions,
    /// The filter's rows without the excluded ids (`None`: every row, nothing excluded).
    allowed: Option<RoaringBitmap>,
    /// Rows placed by the batch's plans so far.
    used: RoaringBitmap,
}

impl PlanBatch<'_> {
    /// Plans the next video; with `no_repeat_across_videos`, never with a track of an earlier
    /// video of the batch.
    pub fn plan(&mut self, video: &Video) -> Result<SoundtrackPlan, QueryError> {
        let used = self.opts.no_repeat_across_videos.then_some(&self.used);
        let allowed = self
            .planner
            .without_excluded(self.allowed.as_ref(), &[], used)?;
        let plan = self
            .planner
            .plan_rows(video, self.opts, allowed.as_deref())?;
        let placed = plan
            .segments
            .iter()
            .filter(|s| s.action == PlannedAction::New)
            .map(|s| s.row);
        let bridges = plan
            .arrangement
            .iter()
            .flat_map(|a| &a.transitions)
            .filter_map(|t| t.bridge.as_ref().map(|b| b.row));
        self.used.extend(placed.chain(bridges).map(|r| r as u32));
        Ok(plan)
    }

    /// Rows placed by the batch's plans so far (their tracks and bridge tracks).
    pub fn used_rows(&self) -> &RoaringBitmap {
        &self.used
    }
}
