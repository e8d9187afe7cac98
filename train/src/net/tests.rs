//! The hand-written gradients against central finite differences, in f64, for every parameter
//! of every tensor, through the full PPO loss (policy, value and entropy terms) on masks with
//! empty slots, CONTINUE masked, and CONTINUE alone.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::loss::{LossCoefs, log_softmax, ppo_sample, total};

struct Sample {
    context: Vec<f64>,
    slots: Vec<f64>,
    cont: Vec<f64>,
    mask: Vec<f64>,
    action: usize,
    old_logp: f64,
    advantage: f64,
    ret: f64,
}

const COEFS: LossCoefs = LossCoefs {
    clip: 0.2,
    value: 0.5,
    entropy: 0.05,
};

fn dims() -> ObsDims {
    ObsDims {
        audio: 3,
        text: 2,
        slots: 4,
    }
}

fn net(rng: &mut ChaCha8Rng) -> PolicyNet<f64> {
    let mut n = PolicyNet::<f64>::new(
        dims(),
        NetConfig {
            hidden: 5,
            head_hidden: 4,
        },
    )
    .unwrap();
    // Every parameter non-zero and O(1), so that no tensor's gradient vanishes.
    for x in &mut n.params.data {
        *x = rng.random_range(-0.6..0.6);
    }
    n
}

fn input(s: &Sample) -> Input<'_, f64> {
    Input {
        context: &s.context,
        slots: &s.slots,
        continue_features: &s.cont,
        mask: &s.mask,
    }
}

/// Samples whose ratio sits either well inside or well outside the clip range (never at the
/// kink, where the loss is not differentiable).
fn samples(net: &PolicyNet<f64>, rng: &mut ChaCha8Rng) -> Vec<Sample> {
    let d = dims();
    let masks: [&[f64]; 5] = [
        &[1.0, 1.0, 1.0, 1.0, 1.0],
        &[1.0, 1.0, 0.0, 0.0, 1.0],
        &[0.0, 0.0, 0.0, 0.0, 1.0],
        &[1.0, 0.0, 0.0, 0.0, 0.0],
        &[1.0, 1.0, 1.0, 0.0, 0.0],
    ];
    let mut out = Vec::new();
    for (i, m) in masks.iter().enumerate() {
        let mut v = |n: usize| {
            (0..n)
                .map(|_| rng.random_range(-1.0..1.0))
                .collect::<Vec<f64>>()
        };
        let mut slots = v(d.slots * SLOT_FEATURES);
        for (k, m) in m[..d.slots].iter().enumerate() {
            if *m == 0.0 {
                slots[k * SLOT_FEATURES..(k + 1) * SLOT_FEATURES].fill(0.0);
            }
        }
        let mut s = Sample {
            context: v(d.context()),
            slots,
            cont: if m[d.slots] == 1.0 {
                v(SLOT_FEATURES)
            } else {
                vec![0.0; SLOT_FEATURES]
            },
            mask: m.to_vec(),
            action: 0,
            old_logp: 0.0,
            advantage: rng.random_range(-1.5..1.5),
            ret: rng.random_range(-2.0..2.0),
        };
        let valid: Vec<usize> = (0..m.len()).filter(|&j| m[j] == 1.0).collect();
        s.action = valid[rng.random_range(0..valid.len())];
        let mut f = Forward::default();
        net.forward(input(&s), &mut f);
        let mut logp = vec![0.0; m.len()];
        log_softmax(&f.logits, &s.mask, &mut logp);
        let offset = if i % 2 == 0 { 0.05 } else { 0.6 };
        s.old_logp = logp[s.action]
            + if rng.random_bool(0.5) {
                offset
            } else {
                -offset
            };
        out.push(s);
    }
    out
}

fn loss_and_grad(net: &PolicyNet<f64>, samples: &[Sample], grad: Option<&mut Params<f64>>) -> f64 {
    let n = samples.len() as f64;
    let mut f = Forward::default();
    let mut b = Backward::default();
    let mut sum = 0.0;
    let mut grad = grad;
    for s in samples {
        net.forward(input(s), &mut f);
        let mut logp = vec![0.0; s.mask.len()];
        let mut dlogits = vec![0.0; s.mask.len()];
        let (l, dv) = ppo_sample(
            &f.logits,
            &s.mask,
            f.value,
            s.action,
            s.old_logp,
            s.advantage,
            s.ret,
            COEFS,
            1.0 / n,
            &mut logp,
            &mut dlogits,
        );
        sum += total(&l, COEFS) / n;
        if let Some(g) = grad.as_deref_mut() {
            net.backward(input(s), &f, &dlogits, dv, g, &mut b);
        }
    }
    sum
}

#[test]
fn gradients_match_finite_differences_for_every_parameter() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut net = net(&mut rng);
    let samples = samples(&net, &mut rng);
    let mut grad = Params::zeros(net.layout());
    loss_and_grad(&net, &samples, Some(&mut grad));
    let eps = 1e-6;
    let mut worst = 0.0f64;
    for p in Param::ALL {
        let offset = net.layout().offset(p);
        let mut largest = 0.0f64;
        for i in 0..net.layout().len_of(p) {
            let x = net.params.data[offset + i];
            net.params.data[offset + i] = x + eps;
            let up = loss_and_grad(&net, &samples, None);
            net.params.data[offset + i] = x - eps;
            let down = loss_and_grad(&net, &samples, None);
            net.params.data[offset + i] = x;
            let numeric = (up - down) / (2.0 * eps);
            let analytic = grad.data[offset + i];
            let err = (numeric - analytic).abs();
            assert!(
                err <= 1e-7 + 1e-6 * numeric.abs(),
                "{}[{i}]: analytic {analytic}, numeric {numeric}",
                p.name()
            );
            worst = worst.max(err);
            largest = largest.max(analytic.abs());
        }
        assert!(largest > 1e-6, "{}: gradient is zero everywhere", p.name());
    }
    assert!(worst < 1e-7, "{worst}");
}

#[test]
fn masked_logits_are_the_constant_and_valid_ones_untouched() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let net64 = net(&mut rng);
    let net32 = PolicyNet {
        dims: net64.dims,
        config: net64.config,
        params: net64.params.cast::<f32>(),
    };
    for s in samples(&net64, &mut rng) {
        let c: Vec<f32> = s.context.iter().map(|x| *x as f32).collect();
        let sl: Vec<f32> = s.slots.iter().map(|x| *x as f32).collect();
        let co: Vec<f32> = s.cont.iter().map(|x| *x as f32).collect();
        let m: Vec<f32> = s.mask.iter().map(|x| *x as f32).collect();
        let mut f = Forward::default();
        let inp = Input {
            context: &c,
            slots: &sl,
            continue_features: &co,
            mask: &m,
        };
        net32.forward(inp, &mut f);
        let mut unmasked = f.clone();
        let ones = vec![1.0f32; m.len()];
        net32.forward(Input { mask: &ones, ..inp }, &mut unmasked);
        for (i, mi) in m.iter().enumerate() {
            if *mi == 0.0 {
                assert_eq!(f.logits[i], MASKED_LOGIT);
            } else {
                assert_eq!(f.logits[i], unmasked.logits[i]);
            }
        }
        let mut logp = vec![0.0f32; m.len()];
        log_softmax(&f.logits, &m, &mut logp);
        let p: f32 = logp
            .iter()
            .zip(&m)
            .filter(|(_, m)| **m == 1.0)
            .map(|(l, _)| l.exp())
            .sum();
        assert!((p - 1.0).abs() < 1e-5);
    }
}
