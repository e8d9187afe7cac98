//! The synthetic world every policy test trains on: tracks and drifting videos from
//! `segue_fixtures::tracks`, split into training and held-out videos.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use segue_fixtures::tracks::{WorldDims, drifting_videos, random_tracks};
use segue_query::objective::{Mode, Objective, ObjectiveConfig, ReferenceEmbeddings, TrackTable};
use segue_query::policy::{ObsConfig, ObsDims, Observation, ObservationBuilder};
use segue_query::sequencer::{Sequencer, run_episode};
use segue_query::video::Video;
use segue_train::net::Input;
use segue_train::{NetConfig, PolicyNet, PpoConfig, TrainingData, split_videos};

pub const DIMS: WorldDims = WorldDims { audio: 16, text: 8 };

pub struct World {
    pub tracks: TrackTable,
    pub train: Vec<Video>,
    pub test: Vec<Video>,
    pub reference: ReferenceEmbeddings,
}

/// Videos with their own switch budgets.
pub fn videos(k: usize, seed: u64) -> Vec<Video> {
    drifting_videos(k, seed, DIMS, true)
}

pub fn world(n_tracks: usize, n_videos: usize, seed: u64) -> World {
    let all = videos(n_videos, seed + 1);
    let (train, test) = split_videos(&all, 0.25).unwrap();
    World {
        tracks: random_tracks(n_tracks, seed, DIMS),
        reference: ReferenceEmbeddings::from_videos(&all).unwrap(),
        train,
        test,
    }
}

pub fn budget(v: &Video) -> i64 {
    v.switch_budget.unwrap_or(2) as i64
}

impl World {
    pub fn objective(&self, mode: Mode) -> Objective<'_> {
        let cfg = ObjectiveConfig {
            mode,
            ..ObjectiveConfig::default()
        };
        Objective::new(&self.tracks, &self.reference, cfg).unwrap()
    }

    pub fn data(&self) -> TrainingData<'_> {
        TrainingData::exact(
            &self.tracks,
            &self.reference,
            ObjectiveConfig::default(),
            &self.train,
            &self.test,
            &budget,
        )
    }

    pub fn obs(&self, slots: usize) -> ObservationBuilder<'_> {
        let cfg = ObsConfig {
            slots,
            whole_segments: false,
        };
        ObservationBuilder::exact(&self.tracks, cfg).unwrap()
    }

    pub fn mean_return(&self, videos: &[Video], seq: &mut dyn Sequencer, mode: Mode) -> f64 {
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
pub fn quick(seed: u64, slots: usize) -> PpoConfig {
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

pub fn random_net(dims: ObsDims, seed: u64) -> PolicyNet<f32> {
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

pub fn input(o: &Observation) -> Input<'_, f32> {
    Input {
        context: &o.context,
        slots: &o.slots,
        continue_features: &o.continue_features,
        mask: &o.mask,
    }
}
