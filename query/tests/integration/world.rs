//! The synthetic world the sequencer and observation tests share (tracks and drifting videos
//! from `segue_fixtures::tracks`).

use segue_fixtures::tracks::{WorldDims, drifting_videos, random_tracks};
use segue_query::objective::{
    EpisodeOutcome, Mode, Objective, ObjectiveConfig, ReferenceEmbeddings, TrackTable,
};
use segue_query::policy::{ObsConfig, ObservationBuilder};
use segue_query::sequencer::{Sequencer, run_episode};
use segue_query::video::Video;

pub const DIMS: WorldDims = WorldDims { audio: 16, text: 8 };

pub struct World {
    pub tracks: TrackTable,
    pub videos: Vec<Video>,
    pub reference: ReferenceEmbeddings,
}

pub fn world(n_tracks: usize, n_videos: usize, seed: u64) -> World {
    let videos = drifting_videos(n_videos, seed + 1, DIMS, false);
    World {
        tracks: random_tracks(n_tracks, seed, DIMS),
        reference: ReferenceEmbeddings::from_videos(&videos).unwrap(),
        videos,
    }
}

impl World {
    pub fn objective(&self, mode: Mode) -> Objective<'_> {
        let cfg = ObjectiveConfig {
            mode,
            ..ObjectiveConfig::default()
        };
        Objective::new(&self.tracks, &self.reference, cfg).unwrap()
    }

    /// Every video with switch budget 3.
    pub fn run(&self, seq: &mut dyn Sequencer, mode: Mode) -> Vec<EpisodeOutcome> {
        let obj = self.objective(mode);
        self.videos
            .iter()
            .map(|v| run_episode(&obj, v, 3, seq).unwrap())
            .collect()
    }

    /// Observations of `slots` candidates over every track.
    pub fn obs(&self, slots: usize) -> ObservationBuilder<'_> {
        let cfg = ObsConfig {
            slots,
            whole_segments: false,
        };
        ObservationBuilder::exact(&self.tracks, cfg).unwrap()
    }
}
