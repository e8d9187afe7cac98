//! The masked policy: masks in training rollouts and inference (including the edge cases of
//! CONTINUE alone and one slot without CONTINUE), ONNX export equivalence with the trainer's
//! forward pass, seeded determinism, checkpoint/resume, logs and plots, and a short training
//! run that beats the random policy.

use std::collections::HashSet;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use segue_query::QueryError;
use segue_query::objective::{
    Action, Episode, MFCC_LEN, Mode, Objective, ObjectiveConfig, ReferenceEmbeddings, Row, Track,
    TrackFeatures, TrackTable,
};
use segue_query::policy::net::{Forward, Input, Param};
use segue_query::policy::{
    Choice, DEFAULT_STEP_REWARD_PRIOR, MASKED_LOGIT, NetConfig, NetSequencer, ObsConfig,
    Observation, ObservationBuilder, PolicyModel, PolicyNet, PolicySequencer, PpoConfig,
    TrainOutputs, Trainer, TrainingData, checkpoint, export, split_videos, train,
};
use segue_query::sequencer::{
    AllRows, AllTracks, CandidateProvider, Candidates, Greedy, Random, Sequencer, run_episode,
};
use segue_query::video::{Segment, Video};

const AUDIO: usize = 16;
const TEXT: usize = 8;

fn vector(rng: &mut ChaCha8Rng, dim: usize) -> Vec<f32> {
    (0..dim).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn track(rng: &mut ChaCha8Rng, duration: f64) -> Track {
    let mut mfcc = [0.0; MFCC_LEN];
    mfcc.iter_mut()
        .for_each(|m| *m = rng.random_range(-50.0..50.0));
    Track {
        audio_emb: Some(vector(rng, AUDIO)),
        text_emb: Some(vector(rng, TEXT)),
        features: TrackFeatures {
            bpm: rng.random_range(60.0..180.0),
            energy: rng.random_range(0.0..1.0),
            spectral_centroid: rng.random_range(900.0..3200.0),
            mfcc,
            duration,
        },
    }
}

/// `n` tracks, many short (8–40 s) so that tracks run out within a video.
fn library(n: usize, seed: u64) -> TrackTable {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let tracks = (0..n)
        .map(|_| {
            let d = rng.random_range(8.0..40.0);
            track(&mut rng, d)
        })
        .collect();
    TrackTable::new(tracks).unwrap()
}

/// Videos whose segment embeddings drift, so neighbouring segments are similar.
fn videos(k: usize, seed: u64) -> Vec<Video> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..k)
        .map(|i| {
            let n = rng.random_range(6..16);
            let (mut a, mut x) = (vector(&mut rng, AUDIO), vector(&mut rng, TEXT));
            let mut start = 0.0;
            let segments = (0..n)
                .map(|_| {
                    a.iter_mut()
                        .for_each(|v| *v += rng.random_range(-0.4f32..0.4));
                    x.iter_mut()
                        .for_each(|v| *v += rng.random_range(-0.4f32..0.4));
                    let d = rng.random_range(3.0..12.0f64).round();
                    let s = Segment {
                        start,
                        end: start + d,
                        audio_emb: Some(a.clone()),
                        text_emb: Some(x.clone()),
                        caption: None,
                        music_change: Some(rng.random_bool(0.3)),
                    };
                    start += d;
                    s
                })
                .collect();
            Video {
                id: format!("video-{i}"),
                segments,
                switch_budget: Some(rng.random_range(1..4)),
            }
        })
        .collect()
}

struct World {
    tracks: TrackTable,
    train: Vec<Video>,
    test: Vec<Video>,
    reference: ReferenceEmbeddings,
}

fn world(n_tracks: usize, n_videos: usize, seed: u64) -> World {
    let all = videos(n_videos, seed + 1);
    let (train, test) = split_videos(&all, 0.25).unwrap();
    World {
        tracks: library(n_tracks, seed),
        reference: ReferenceEmbeddings::from_videos(&all).unwrap(),
        train,
        test,
    }
}

fn budget(v: &Video) -> i64 {
    v.switch_budget.unwrap_or(2) as i64
}

impl World {
    fn objective(&self, mode: Mode) -> Objective<'_> {
        let cfg = ObjectiveConfig {
            mode,
            ..ObjectiveConfig::default()
        };
        Objective::new(&self.tracks, &self.reference, cfg).unwrap()
    }

    fn data(&self) -> TrainingData<'_> {
        TrainingData::exact(
            &self.tracks,
            &self.reference,
            ObjectiveConfig::default(),
            &self.train,
            &self.test,
            &budget,
        )
    }

    fn obs(&self, slots: usize) -> ObservationBuilder<'_> {
        let cfg = ObsConfig {
            slots,
            whole_segments: false,
        };
        ObservationBuilder::exact(&self.tracks, cfg).unwrap()
    }

    fn mean_return(&self, videos: &[Video], seq: &mut dyn Sequencer, mode: Mode) -> f64 {
        let obj = self.objective(mode);
        let total: f64 = videos
            .iter()
            .map(|v| run_episode(&obj, v, budget(v), seq).unwrap().total_reward)
            .sum();
        total / videos.len() as f64
    }
}

/// Small and fast settings for debug-build tests. The policy starts uniform (no step-reward
/// prior), so what the tests see it do after training it learned.
fn quick(seed: u64, slots: usize) -> PpoConfig {
    PpoConfig {
        seed,
        rollout_steps: 128,
        epochs: 3,
        minibatch: 32,
        eval_every: 2,
        step_reward_prior: 0.0,
        net: NetConfig {
            hidden: 16,
            head_hidden: 16,
        },
        obs: ObsConfig {
            slots,
            whole_segments: false,
        },
        ..PpoConfig::default()
    }
}

fn random_net(dims: segue_query::policy::ObsDims, seed: u64) -> PolicyNet<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut net = PolicyNet::new(
        dims,
        NetConfig {
            hidden: 12,
            head_hidden: 10,
        },
    )
    .unwrap();
    net.init(&mut rng);
    // O(1) weights everywhere, so that every tensor matters for the equivalence check.
    for x in &mut net.params.data {
        *x += rng.random_range(-0.3f32..0.3);
    }
    net
}

fn input(o: &Observation) -> Input<'_, f32> {
    Input {
        context: &o.context,
        slots: &o.slots,
        continue_features: &o.continue_features,
        mask: &o.mask,
    }
}

#[test]
fn observations_fill_slots_by_reward_and_mask_continue_like_the_objective() {
    let w = world(12, 6, 1);
    let obj = w.objective(Mode::Train);
    let mut b = w.obs(5);
    let mut obs = Observation::default();
    for v in &w.train {
        let mut ep = obj.start(v, budget(v)).unwrap();
        while !ep.is_done() {
            b.build(&ep, &mut obs).unwrap();
            // Slots hold the 5 best rows by step reward, best first.
            let eval = ep.evaluator().unwrap();
            let mut all: Vec<(f64, Row)> = (0..12)
                .map(|r| (eval.evaluate(Action::Track(r)).unwrap().reward, r))
                .collect();
            all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let want: Vec<Option<Row>> = all.iter().take(5).map(|x| Some(x.1)).collect();
            assert_eq!(obs.rows, want);
            assert_eq!(
                obs.slots[0], all[0].0 as f32,
                "feature 0 is the step reward"
            );
            assert_eq!(obs.valid(5), ep.continue_valid());
            assert!((0..5).all(|i| obs.valid(i)));
            let a = if ep.continue_valid() && ep.t().is_multiple_of(2) {
                Action::Continue
            } else {
                Action::Track(all[ep.t() % 5].1)
            };
            ep.step(a).unwrap();
        }
    }
    // More slots than tracks: the rest are empty and masked.
    let mut b = w.obs(20);
    let ep = obj.start(&w.train[0], 1).unwrap();
    b.build(&ep, &mut obs).unwrap();
    assert!((0..12).all(|i| obs.valid(i)));
    assert!((12..21).all(|i| !obs.valid(i)), "{:?}", obs.mask);
    assert!(obs.slots[12 * 20..].iter().all(|x| *x == 0.0));
}

/// Offers `first` at the first segment and nothing afterwards: from then on only CONTINUE
/// can be valid.
struct FirstOnly(Row);

impl CandidateProvider for FirstOnly {
    fn candidates(&mut self, ep: &Episode<'_>, out: &mut Vec<Row>) -> Result<(), QueryError> {
        if ep.t() == 0 {
            out.push(self.0);
        }
        Ok(())
    }
}

/// A net whose raw logits prefer `favour` (a slot, or CONTINUE) by a mile.
fn biased_net(dims: segue_query::policy::ObsDims, favour_continue: bool) -> PolicyNet<f32> {
    let mut net = random_net(dims, 5);
    let (on, off) = if favour_continue {
        (Param::BContOut, Param::BSlotOut)
    } else {
        (Param::BSlotOut, Param::BContOut)
    };
    net.params.get_mut(on)[0] = 1e6;
    net.params.get_mut(off)[0] = -1e6;
    net
}

#[test]
fn a_masked_action_is_never_chosen_even_when_its_logit_is_the_largest() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    // Track 0 lasts the whole video; track 1 is shorter than any segment.
    let tracks = TrackTable::new(vec![track(&mut rng, 10_000.0), track(&mut rng, 1.0)]).unwrap();
    let vids = videos(3, 4);
    let reference = ReferenceEmbeddings::from_videos(&vids).unwrap();
    let obj = Objective::new(&tracks, &reference, ObjectiveConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = ObsConfig {
        slots: 3,
        whole_segments: false,
    };
    let dims = ObservationBuilder::exact(&tracks, cfg).unwrap().dims();
    for favour_continue in [true, false] {
        let net = biased_net(dims, favour_continue);
        let path = dir.path().join(format!("biased-{favour_continue}.onnx"));
        export(&net, &path).unwrap();
        // (a) Only CONTINUE valid after the first segment; (b) one slot, CONTINUE masked
        // (track 1 ends within every segment).
        for (first, only_continue) in [(0, true), (1, false)] {
            let builder = || {
                ObservationBuilder::new(&tracks, cfg, Box::new(FirstOnly(first)), Box::new(AllRows))
                    .unwrap()
            };
            let seqs: Vec<Box<dyn Sequencer>> = vec![
                Box::new(NetSequencer::new(net.clone(), builder(), Choice::Greedy).unwrap()),
                Box::new(NetSequencer::new(net.clone(), builder(), Choice::Sample(3)).unwrap()),
                Box::new(
                    PolicySequencer::new(
                        PolicyModel::open(&path, 1).unwrap(),
                        builder(),
                        Choice::Greedy,
                    )
                    .unwrap(),
                ),
                Box::new(
                    PolicySequencer::new(
                        PolicyModel::open(&path, 1).unwrap(),
                        builder(),
                        Choice::Sample(3),
                    )
                    .unwrap(),
                ),
            ];
            for mut seq in seqs {
                for v in &vids {
                    if only_continue {
                        let out = run_episode(&obj, v, 1, seq.as_mut()).unwrap();
                        assert!(!out.terminated_early);
                        assert_eq!(out.actions()[0], Action::Track(0));
                        assert!(out.actions()[1..].iter().all(|a| *a == Action::Continue));
                    } else {
                        // Track 1 runs out in the first segment and no other row is offered
                        // afterwards: the second step has no valid action at all.
                        let mut ep = obj.start(v, 1).unwrap();
                        seq.begin(v);
                        assert_eq!(seq.choose(&ep).unwrap(), Action::Track(1));
                        ep.step(Action::Track(1)).unwrap();
                        assert!(!ep.continue_valid());
                        assert!(matches!(
                            seq.choose(&ep),
                            Err(QueryError::NoCandidates { segment: 1, .. })
                        ));
                    }
                }
            }
        }
    }
}

#[test]
fn whole_segments_masks_continue_when_the_track_would_run_out() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    // Track 0: 12 s. Segments of 8 s: after one segment 4 s remain, less than a segment.
    let tracks = TrackTable::new(vec![track(&mut rng, 12.0), track(&mut rng, 500.0)]).unwrap();
    let seg = |s: f64| Segment {
        start: s,
        end: s + 8.0,
        audio_emb: Some(vector(&mut ChaCha8Rng::seed_from_u64(s as u64), AUDIO)),
        text_emb: None,
        caption: None,
        music_change: None,
    };
    let v = Video {
        id: "v".into(),
        segments: vec![seg(0.0), seg(8.0), seg(16.0)],
        switch_budget: None,
    };
    let reference = ReferenceEmbeddings::from_videos(std::slice::from_ref(&v)).unwrap();
    let obj = Objective::new(&tracks, &reference, ObjectiveConfig::default()).unwrap();
    let mut ep = obj.start(&v, 1).unwrap();
    ep.step(Action::Track(0)).unwrap();
    assert!(
        ep.continue_valid(),
        "the objective allows CONTINUE (4 s left)"
    );
    let mut obs = Observation::default();
    for (whole, valid) in [(false, true), (true, false)] {
        let cfg = ObsConfig {
            slots: 2,
            whole_segments: whole,
        };
        let mut b = ObservationBuilder::exact(&tracks, cfg).unwrap();
        b.build(&ep, &mut obs).unwrap();
        assert_eq!(obs.valid(2), valid);
    }
}

#[test]
fn rollouts_never_take_a_masked_action() {
    let w = world(10, 8, 3);
    // K < library size, K = library size, K > library size (empty slots are masked).
    for slots in [4, 10, 14] {
        let mut t = Trainer::new(w.data(), quick(1, slots)).unwrap();
        for _ in 0..2 {
            t.update().unwrap();
            let r = t.last_rollout();
            assert!(!r.masked_action_taken);
            let a = slots + 1;
            for (i, act) in r.actions.iter().enumerate() {
                assert_eq!(
                    r.masks[i * a + act],
                    1.0,
                    "step {i} took masked action {act}"
                );
            }
            // Both kinds of action occur.
            assert!(r.actions.contains(&slots));
            assert!(r.actions.iter().any(|x| *x < slots));
        }
    }
}

#[test]
fn the_onnx_export_computes_what_the_trainer_computes() {
    let w = world(9, 6, 4);
    let obj = w.objective(Mode::Test);
    let mut b = w.obs(6);
    let dims = b.dims();
    let net = random_net(dims, 7);
    // A batch of real observations (playing a random policy) plus random masks.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut batch: Vec<Observation> = Vec::new();
    for v in w.train.iter().chain(&w.test) {
        let mut ep = obj.start(v, budget(v)).unwrap();
        while !ep.is_done() {
            let mut o = Observation::default();
            b.build(&ep, &mut o).unwrap();
            let valid: Vec<usize> = (0..dims.actions()).filter(|i| o.valid(*i)).collect();
            let pick = valid[rng.random_range(0..valid.len())];
            ep.step(o.action(pick).unwrap()).unwrap();
            let mut masked = o.clone();
            for m in masked.mask.iter_mut() {
                *m = if rng.random_bool(0.6) { 1.0 } else { 0.0 };
            }
            batch.push(o);
            batch.push(masked);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.onnx");
    export(&net, &path).unwrap();
    let mut model = PolicyModel::open(&path, 1).unwrap();
    assert_eq!(model.meta().dims, dims);
    let n = batch.len();
    let cat =
        |f: fn(&Observation) -> &Vec<f32>| batch.iter().flat_map(f).copied().collect::<Vec<f32>>();
    let (c, s, co, m) = (
        cat(|o| &o.context),
        cat(|o| &o.slots),
        cat(|o| &o.continue_features),
        cat(|o| &o.mask),
    );
    let mut logits = vec![0.0; n * dims.actions()];
    let mut values = vec![0.0; n];
    model
        .run(n, dims.slots, &c, &s, &co, &m, &mut logits, &mut values)
        .unwrap();
    let mut f = Forward::default();
    let mut worst = 0.0f32;
    for (i, o) in batch.iter().enumerate() {
        net.forward(input(o), &mut f);
        for (j, want) in f.logits.iter().enumerate() {
            let got = logits[i * dims.actions() + j];
            if o.mask[j] == 0.0 {
                assert_eq!(got, MASKED_LOGIT);
                assert_eq!(*want, MASKED_LOGIT);
            } else {
                worst = worst.max((got - want).abs());
            }
        }
        worst = worst.max((values[i] - f.value).abs());
    }
    assert!(worst <= 1e-5, "largest difference {worst}");
    // Batch of one, as the sequencer runs it.
    let mut one = [0.0; 1];
    let mut l1 = vec![0.0; dims.actions()];
    let o = &batch[3];
    model
        .run(
            1,
            dims.slots,
            &o.context,
            &o.slots,
            &o.continue_features,
            &o.mask,
            &mut l1,
            &mut one,
        )
        .unwrap();
    assert_eq!(&l1[..], &logits[3 * dims.actions()..4 * dims.actions()]);
}

#[test]
fn the_onnx_and_net_sequencers_plan_the_same_soundtracks() {
    let w = world(10, 6, 5);
    let mut t = Trainer::new(w.data(), quick(2, 6)).unwrap();
    t.update().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.onnx");
    export(t.net(), &path).unwrap();
    for choice in [Choice::Greedy, Choice::Sample(11)] {
        let mut a = NetSequencer::new(t.net().clone(), w.obs(6), choice).unwrap();
        let mut b =
            PolicySequencer::new(PolicyModel::open(&path, 1).unwrap(), w.obs(6), choice).unwrap();
        let obj = w.objective(Mode::Test);
        for v in w.train.iter().chain(&w.test) {
            let pa = run_episode(&obj, v, budget(v), &mut a).unwrap();
            let pb = run_episode(&obj, v, budget(v), &mut b).unwrap();
            assert_eq!(pa.actions(), pb.actions(), "{choice:?} {}", v.id);
            assert!(pa.steps.iter().all(|s| !s.transition.illegal));
        }
    }
}

#[test]
fn a_model_for_other_dimensions_is_refused_with_a_clear_error() {
    let w = world(6, 4, 6);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.onnx");
    let mut dims = w.obs(4).dims();
    dims.audio = 32;
    export(&random_net(dims, 1), &path).unwrap();
    let err = PolicySequencer::new(
        PolicyModel::open(&path, 1).unwrap(),
        w.obs(4),
        Choice::Greedy,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("32/8") && err.contains("16/8"), "{err}");
    let junk = dir.path().join("junk.onnx");
    std::fs::write(&junk, b"not a model").unwrap();
    let err = PolicyModel::open(&junk, 1).unwrap_err().to_string();
    assert!(err.contains("junk.onnx"), "{err}");
}

fn state_without_time(t: &Trainer<'_>) -> (Vec<u8>, Vec<String>) {
    let mut s = t.snapshot();
    s.seconds = 0.0;
    let history = s
        .history
        .iter_mut()
        .map(|h| {
            h.seconds = 0.0;
            format!("{h:?}")
        })
        .collect();
    s.history.clear();
    (checkpoint::to_bytes(&s).unwrap(), history)
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let w = world(8, 6, 7);
    let run = |seed| {
        let mut t = Trainer::new(w.data(), quick(seed, 5)).unwrap();
        t.update().unwrap();
        t.update().unwrap();
        state_without_time(&t)
    };
    let a = run(3);
    assert_eq!(a, run(3));
    assert_ne!(a.0, run(4).0);
}

#[test]
fn resuming_from_a_checkpoint_continues_the_same_run() {
    let w = world(8, 6, 8);
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("run.ckpt");
    let cfg = quick(5, 5);
    let total = 4 * cfg.rollout_steps as u64;
    let mut whole = Trainer::new(w.data(), cfg).unwrap();
    train(&mut whole, total, &TrainOutputs::default()).unwrap();

    let mut first = Trainer::new(w.data(), cfg).unwrap();
    let out = TrainOutputs {
        checkpoint: Some(ck.clone()),
        ..TrainOutputs::default()
    };
    train(&mut first, total / 2, &out).unwrap();
    drop(first);
    let mut second = Trainer::resume(w.data(), checkpoint::load(&ck).unwrap()).unwrap();
    train(&mut second, total, &out).unwrap();
    assert!(second.state().updates >= 4);
    assert_eq!(state_without_time(&whole), state_without_time(&second));

    // Other videos: refused.
    let fewer = &w.train[1..];
    let data = TrainingData::exact(
        &w.tracks,
        &w.reference,
        ObjectiveConfig::default(),
        fewer,
        &w.test,
        &budget,
    );
    let err = Trainer::resume(data, checkpoint::load(&ck).unwrap()).unwrap_err();
    assert!(err.to_string().contains("other videos"), "{err}");
}

#[test]
fn corrupt_checkpoints_are_errors_naming_the_file() {
    let w = world(6, 4, 9);
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("c.ckpt");
    let t = Trainer::new(w.data(), quick(1, 4)).unwrap();
    checkpoint::save(&t.snapshot(), &ck).unwrap();
    let good = std::fs::read(&ck).unwrap();
    assert_eq!(checkpoint::load(&ck).unwrap(), t.snapshot());
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    for (bytes, want) in [
        (flipped, "checksum"),
        (good[..good.len() - 3].to_vec(), "truncated"),
        (b"SEGUEXXX".to_vec(), "magic"),
    ] {
        std::fs::write(&ck, bytes).unwrap();
        let err = checkpoint::load(&ck).unwrap_err().to_string();
        assert!(err.contains(want) && err.contains("c.ckpt"), "{err}");
    }
}

fn is_png(p: &Path) -> bool {
    std::fs::read(p).unwrap().starts_with(b"\x89PNG\r\n\x1a\n")
}

#[test]
fn a_short_run_beats_the_random_policy_and_writes_its_log_and_plots() {
    let w = world(12, 16, 10);
    let cfg = PpoConfig {
        rollout_steps: 256,
        ..quick(1, 12)
    };
    let mut t = Trainer::new(w.data(), cfg).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = TrainOutputs {
        log: Some(dir.path().join("log.csv")),
        plot: Some(dir.path().join("curve")),
        baselines: vec![("random".into(), 0.0)],
        ..TrainOutputs::default()
    };
    let (stats, files) = train(&mut t, 12 * 256, &out).unwrap();
    assert!(stats.len() >= 12);

    let mode = Mode::Train;
    let mut policy = NetSequencer::new(t.net().clone(), w.obs(12), Choice::Greedy).unwrap();
    let p = w.mean_return(&w.train, &mut policy, mode);
    let r = w.mean_return(&w.train, &mut Random::new(1, Candidates::exact()), mode);
    let g = w.mean_return(&w.train, &mut Greedy::all(Candidates::exact()), mode);
    eprintln!(
        "train-mode mean return on the train videos: random {r:.3}, greedy-all {g:.3}, policy {p:.3}"
    );
    assert!(
        p > r + 0.5 * (g - r),
        "policy {p} vs random {r} (greedy-all {g})"
    );

    let csv = std::fs::read_to_string(dir.path().join("log.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("update,env_steps,episodes,mean_return")
    );
    assert_eq!(lines.count(), t.state().history.len());
    let files = files.unwrap();
    assert!(
        std::fs::read_to_string(&files.svg)
            .unwrap()
            .contains("<svg")
    );
    assert!(is_png(&files.png));
}

#[test]
fn the_step_reward_prior_starts_training_from_a_soft_greedy_policy() {
    let w = world(12, 16, 10);
    let mode = Mode::Train;
    let g = w.mean_return(&w.train, &mut Greedy::all(Candidates::exact()), mode);
    let r = w.mean_return(&w.train, &mut Random::new(1, Candidates::exact()), mode);
    let untrained = |prior: f64| {
        let cfg = PpoConfig {
            step_reward_prior: prior,
            ..quick(1, 12)
        };
        let t = Trainer::new(w.data(), cfg).unwrap();
        let mut seq = NetSequencer::new(t.net().clone(), w.obs(12), Choice::Greedy).unwrap();
        w.mean_return(&w.train, &mut seq, mode)
    };
    let (uniform, prior) = (untrained(0.0), untrained(DEFAULT_STEP_REWARD_PRIOR));
    eprintln!(
        "random {r:.3}, greedy-all {g:.3}, untrained: uniform {uniform:.3}, prior {prior:.3}"
    );
    // Argmax over the prior is greedy over the slots (up to the small random MLP terms).
    assert!(
        (prior - g).abs() <= 0.02 * g.abs(),
        "prior {prior} vs greedy-all {g}"
    );
    assert!(prior > uniform, "prior {prior} vs uniform start {uniform}");
    let bad = PpoConfig {
        step_reward_prior: f64::NAN,
        ..quick(1, 12)
    };
    assert!(Trainer::new(w.data(), bad).is_err());
}

#[test]
fn the_split_is_stable_and_leaves_both_sides_non_empty() {
    let vids = videos(20, 1);
    let (train, test) = split_videos(&vids, 0.25).unwrap();
    assert_eq!(train.len() + test.len(), 20);
    assert!(!train.is_empty() && !test.is_empty());
    let ids: HashSet<String> = test.iter().map(|v| v.id.clone()).collect();
    let reversed: Vec<Video> = vids.iter().rev().cloned().collect();
    let (_, test2) = split_videos(&reversed, 0.25).unwrap();
    assert_eq!(ids, test2.iter().map(|v| v.id.clone()).collect());
    let (tr, te) = split_videos(&vids[..2], 0.1).unwrap();
    assert_eq!((tr.len(), te.len()), (1, 1));
    assert!(split_videos(&vids, 1.0).is_err());
    let _ = AllTracks;
}

/// The numbers reported for issue 6 (not run by default: about a minute in a debug build).
/// `cargo test -p segue-query --test policy -- --ignored --nocapture`; `SEGUE_POLICY_UPDATES`
/// sets the number of updates (default 60).
#[test]
#[ignore]
fn synthetic_library_experiment() {
    let updates: u64 = std::env::var("SEGUE_POLICY_UPDATES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let w = world(40, 48, 21);
    let slots = 16;
    let cfg = PpoConfig {
        rollout_steps: 512,
        eval_every: 5,
        obs: ObsConfig {
            slots,
            whole_segments: false,
        },
        ..PpoConfig::default()
    };
    let mut t = Trainer::new(w.data(), cfg).unwrap();
    let dir = std::env::temp_dir().join("segue-policy-experiment");
    std::fs::create_dir_all(&dir).unwrap();
    let out = TrainOutputs {
        progress: true,
        log: Some(dir.join("log.csv")),
        plot: Some(dir.join("curve")),
        ..TrainOutputs::default()
    };
    train(&mut t, updates * 512, &out).unwrap();
    for mode in [Mode::Train, Mode::Test] {
        for (name, vids) in [("train", &w.train), ("test", &w.test)] {
            let mut policy =
                NetSequencer::new(t.net().clone(), w.obs(slots), Choice::Greedy).unwrap();
            let p = w.mean_return(vids, &mut policy, mode);
            let r = w.mean_return(vids, &mut Random::new(1, Candidates::exact()), mode);
            let g = w.mean_return(vids, &mut Greedy::all(Candidates::exact()), mode);
            eprintln!(
                "{mode:?} objective, {name} videos ({}): random {r:.3}, greedy-all {g:.3}, policy {p:.3}",
                vids.len()
            );
        }
    }
    // The network part of a step through ONNX Runtime (a release build of the runtime, so
    // this figure does not depend on our debug build); printed, never asserted.
    let onnx = dir.join("policy.onnx");
    export(t.net(), &onnx).unwrap();
    let mut model = PolicyModel::open(&onnx, 1).unwrap();
    let obj = w.objective(Mode::Test);
    let ep = obj.start(&w.test[0], 2).unwrap();
    let mut o = Observation::default();
    w.obs(slots).build(&ep, &mut o).unwrap();
    let (mut l, mut v) = (vec![0.0; slots + 1], [0.0f32]);
    let mut run = |model: &mut PolicyModel| {
        model
            .run(
                1,
                slots,
                &o.context,
                &o.slots,
                &o.continue_features,
                &o.mask,
                &mut l,
                &mut v,
            )
            .unwrap()
    };
    (0..200).for_each(|_| run(&mut model));
    let n = 5000;
    let started = std::time::Instant::now();
    (0..n).for_each(|_| run(&mut model));
    eprintln!(
        "ONNX Runtime forward, K = {slots}, batch 1: {:.1} µs per step",
        started.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    eprintln!("log, plots and policy in {}", dir.display());
}

#[test]
fn train_policy_exports_a_policy_and_reports_it_next_to_the_baselines() {
    use segue_query::policy::{TrainPolicyOptions, train_policy};
    let w = world(10, 12, 12);
    let all: Vec<Video> = w.train.iter().chain(&w.test).cloned().collect();
    let dir = tempfile::tempdir().unwrap();
    let mut options = TrainPolicyOptions {
        out: dir.path().join("policy.onnx"),
        steps: 4 * 128,
        config: quick(3, 8),
        objective: ObjectiveConfig::default(),
        test_fraction: 0.25,
        checkpoint: Some(dir.path().join("run.ckpt")),
        checkpoint_every: 1,
        resume: false,
        log: Some(dir.path().join("log.csv")),
        plot: Some(dir.path().join("curve")),
        progress: false,
        baselines: true,
        fit: None,
    };
    let provider = || Box::new(AllTracks);
    let r = train_policy(&w.tracks, &all, provider(), Box::new(AllRows), &options).unwrap();
    assert_eq!(r.train_videos + r.test_videos, 12);
    assert_eq!(r.returns.len(), 4);
    assert!(
        r.returns
            .iter()
            .all(|s| s.random.is_some() && s.greedy_all.is_some())
    );
    let first_steps = r.env_steps;
    // The exported file plans with the right layout.
    let model = PolicyModel::open(&options.out, 1).unwrap();
    PolicySequencer::new(model, w.obs(8), Choice::Greedy).unwrap();
    // Resume to twice the steps.
    options.resume = true;
    options.steps = 8 * 128;
    let r2 = train_policy(&w.tracks, &all, provider(), Box::new(AllRows), &options).unwrap();
    assert!(r2.env_steps >= 8 * 128 && r2.env_steps > first_steps);
    let csv = std::fs::read_to_string(dir.path().join("log.csv")).unwrap();
    assert_eq!(csv.lines().count() as u64, 1 + r2.updates);
}
