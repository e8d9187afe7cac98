//! No masked action is ever chosen: not by the trainer's rollouts, not by the trainer's network
//! nor the exported ONNX file at planning time, greedy or sampled, even when the masked
//! action's raw logit is the largest.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use segue_fixtures::tracks::random_track;
use segue_query::QueryError;
use segue_query::objective::{
    Action, Episode, Objective, ObjectiveConfig, ReferenceEmbeddings, Row, TrackTable,
};
use segue_query::policy::{
    Choice, ObsConfig, ObsDims, ObservationBuilder, PolicyModel, PolicySequencer,
};
use segue_query::sequencer::{AllRows, CandidateProvider, Sequencer, run_episode};
use segue_train::net::Param;
use segue_train::{NetSequencer, PolicyNet, Trainer, export};

use crate::world::{DIMS, quick, random_net, videos, world};

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
fn biased_net(dims: ObsDims, favour_continue: bool) -> PolicyNet<f32> {
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
    let tracks = TrackTable::new(vec![
        random_track(&mut rng, DIMS, 10_000.0),
        random_track(&mut rng, DIMS, 1.0),
    ])
    .unwrap();
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
