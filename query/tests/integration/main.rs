//! Integration tests of `segue-query`: the objective replayed against the reference's recorded
//! episodes, the sequencers, the video format, and the policy's observations.

mod artist_cap;
mod golden;
mod observation;
mod sequencer;
mod video;
mod video_fuzz;
mod world;
