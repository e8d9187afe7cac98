//! The policy's observation: slots filled by immediate reward, masks that agree with the
//! objective (and with the whole-segment rule).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use segue_fixtures::tracks::{random_track, random_vector};
use segue_query::objective::{
    Action, Mode, Objective, ObjectiveConfig, ReferenceEmbeddings, Row, TrackTable,
};
use segue_query::policy::{ObsConfig, Observation, ObservationBuilder};
use segue_query::video::{Segment, Video};

use crate::world::{DIMS, world};

#[test]
fn observations_fill_slots_by_reward_and_mask_continue_like_the_objective() {
    let w = world(12, 6, 1);
    let obj = w.objective(Mode::Train);
    let mut b = w.obs(5);
    let mut obs = Observation::default();
    for v in &w.videos {
        let mut ep = obj.start(v, 2).unwrap();
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
    let ep = obj.start(&w.videos[0], 1).unwrap();
    b.build(&ep, &mut obs).unwrap();
    assert!((0..12).all(|i| obs.valid(i)));
    assert!((12..21).all(|i| !obs.valid(i)), "{:?}", obs.mask);
    assert!(obs.slots[12 * 20..].iter().all(|x| *x == 0.0));
}

#[test]
fn whole_segments_masks_continue_when_the_track_would_run_out() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    // Track 0: 12 s. Segments of 8 s: after one segment 4 s remain, less than a segment.
    let tracks = TrackTable::new(vec![
        random_track(&mut rng, DIMS, 12.0),
        random_track(&mut rng, DIMS, 500.0),
    ])
    .unwrap();
    let seg = |s: f64| Segment {
        start: s,
        end: s + 8.0,
        audio_emb: Some(random_vector(
            &mut ChaCha8Rng::seed_from_u64(s as u64),
            DIMS.audio,
        )),
        text_emb: None,
        caption: None,
        music_change: None,
        ..Default::default()
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
