//! The Maskable PPO loss of one sample and its derivatives with respect to the masked logits
//! and the value (the network's backward pass takes it from there).
//!
//! ```text
//! loss = −min(r·A, clip(r, 1 − ε, 1 + ε)·A) + c_v·(V − R)² − c_e·H(π)
//! r    = exp(log π(a) − log π_old(a))
//! ```
//!
//! The softmax, log-probabilities and entropy run over the valid actions only: a masked
//! action has probability exactly 0 and contributes nothing (not even `0 · log 0`).

use crate::scalar::Scalar;

/// Coefficients of the loss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossCoefs {
    pub clip: f64,
    pub value: f64,
    pub entropy: f64,
}

/// The terms of one sample's loss.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SampleLoss {
    pub policy: f64,
    pub value: f64,
    pub entropy: f64,
    /// `log π_old(a) − log π(a)` (for the approximate KL).
    pub log_ratio: f64,
    /// The ratio left the clip range.
    pub clipped: bool,
}

/// `log π` of every valid action into `logp` (masked entries: 0, never read).
pub fn log_softmax<T: Scalar>(logits: &[T], mask: &[T], logp: &mut [T]) {
    let half = T::from_f64(0.5);
    let mut max: Option<T> = None;
    for (l, m) in logits.iter().zip(mask) {
        if *m > half && max.is_none_or(|x| *l > x) {
            max = Some(*l);
        }
    }
    let Some(max) = max else {
        logp.fill(T::ZERO);
        return;
    };
    let mut sum = T::ZERO;
    for (l, m) in logits.iter().zip(mask) {
        if *m > half {
            sum += (*l - max).exp();
        }
    }
    let lse = max + sum.ln();
    for ((o, l), m) in logp.iter_mut().zip(logits).zip(mask) {
        *o = if *m > half { *l - lse } else { T::ZERO };
    }
}

/// One sample's loss; adds `weight ·` its gradient to `dlogits` and returns it with
/// `weight · dloss/dvalue`. `logp` is scratch of the logits' length.
#[allow(clippy::too_many_arguments)]
pub fn ppo_sample<T: Scalar>(
    logits: &[T],
    mask: &[T],
    value: T,
    action: usize,
    old_logp: T,
    advantage: T,
    ret: T,
    coefs: LossCoefs,
    weight: T,
    logp: &mut [T],
    dlogits: &mut [T],
) -> (SampleLoss, T) {
    let half = T::from_f64(0.5);
    log_softmax(logits, mask, logp);
    let lp = logp[action];
    let ratio = (lp - old_logp).exp();
    let lo = T::from_f64(1.0 - coefs.clip);
    let hi = T::from_f64(1.0 + coefs.clip);
    let clipped_ratio = if ratio < lo {
        lo
    } else if ratio > hi {
        hi
    } else {
        ratio
    };
    let surr1 = ratio * advantage;
    let surr2 = clipped_ratio * advantage;
    // d(−min(surr1, surr2))/d log π(a): the unclipped branch carries r·A, the clipped one 0.
    let (policy, dlp) = if surr1 <= surr2 {
        (-surr1, -advantage * ratio)
    } else {
        (-surr2, T::ZERO)
    };
    let mut entropy = T::ZERO;
    for (lp, m) in logp.iter().zip(mask) {
        if *m > half {
            entropy -= lp.exp() * *lp;
        }
    }
    let ce = T::from_f64(coefs.entropy);
    for (i, ((d, lpi), m)) in dlogits.iter_mut().zip(logp.iter()).zip(mask).enumerate() {
        if *m > half {
            let p = lpi.exp();
            let onehot = if i == action { T::ONE } else { T::ZERO };
            // d log π(a)/dl_i = [i = a] − p_i;  dH/dl_i = −p_i (log p_i + H).
            let d_policy = dlp * (onehot - p);
            let d_entropy = -p * (*lpi + entropy);
            *d += weight * (d_policy - ce * d_entropy);
        }
    }
    let diff = value - ret;
    let cv = T::from_f64(coefs.value);
    let dvalue = weight * T::from_f64(2.0) * cv * diff;
    let loss = SampleLoss {
        policy: policy.to_f64(),
        value: (diff * diff).to_f64(),
        entropy: entropy.to_f64(),
        log_ratio: (old_logp - lp).to_f64(),
        clipped: clipped_ratio != ratio,
    };
    (loss, dvalue)
}

/// The total loss `policy + c_v · value − c_e · entropy` of one sample.
pub fn total(l: &SampleLoss, coefs: LossCoefs) -> f64 {
    l.policy + coefs.value * l.value - coefs.entropy * l.entropy
}
