//! The exported ONNX file computes what the trainer's network computes, plans the same
//! soundtracks, and is refused with a clear error where it does not fit.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use segue_query::objective::Mode;
use segue_query::policy::{Choice, MASKED_LOGIT, Observation, PolicyModel, PolicySequencer};
use segue_query::sequencer::run_episode;
use segue_train::net::Forward;
use segue_train::{NetSequencer, Trainer, export};

use crate::world::{budget, input, quick, random_net, world};

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
