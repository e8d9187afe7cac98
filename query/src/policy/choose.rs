//! Turning masked logits into an action index: argmax or a seeded draw, over the valid
//! actions only. Both look at the mask themselves rather than trusting the logits, so a
//! network that ignores its mask input (one trained elsewhere, say) still never yields a
//! masked action.

use rand::Rng;

/// How a policy picks among its valid actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// The most probable valid action (ties: the lowest index, i.e. the better slot).
    Greedy,
    /// A draw from the masked softmax, seeded with this seed mixed with the video id.
    Sample(u64),
}

/// Index of the largest logit among the valid actions, or `None` if none is valid.
pub fn argmax_valid(logits: &[f32], mask: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, (l, m)) in logits.iter().zip(mask).enumerate() {
        if *m > 0.5 && best.is_none_or(|(_, b)| *l > b) {
            best = Some((i, *l));
        }
    }
    best.map(|(i, _)| i)
}

/// A draw from the softmax of the valid logits (computed in f64), or `None` if none is valid.
pub fn sample_valid(logits: &[f32], mask: &[f32], rng: &mut impl Rng) -> Option<usize> {
    let best = argmax_valid(logits, mask)?;
    let max = logits[best] as f64;
    let weight = |i: usize| {
        if mask[i] > 0.5 {
            (logits[i] as f64 - max).exp()
        } else {
            0.0
        }
    };
    let total: f64 = (0..logits.len()).map(weight).sum();
    let mut u = rng.random::<f64>() * total;
    let mut last = best;
    for i in 0..logits.len() {
        let w = weight(i);
        if w > 0.0 {
            last = i;
            if u < w {
                return Some(i);
            }
            u -= w;
        }
    }
    // Rounding left `u` just above the last weight: that action.
    Some(last)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn masked_actions_are_never_chosen_even_with_the_best_logit() {
        let logits = [5.0, 1.0, 9.0, 0.5];
        let mask = [0.0, 1.0, 0.0, 1.0];
        assert_eq!(argmax_valid(&logits, &mask), Some(1));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let i = sample_valid(&logits, &mask, &mut rng).unwrap();
            assert!(i == 1 || i == 3);
        }
        assert_eq!(argmax_valid(&logits, &[0.0; 4]), None);
        assert_eq!(sample_valid(&logits, &[0.0; 4], &mut rng), None);
        // Masked logits at −1e8 with one valid action: that action, always.
        let only = [-1e8, -1e8, 3.0];
        assert_eq!(sample_valid(&only, &[0.0, 0.0, 1.0], &mut rng), Some(2));
    }

    #[test]
    fn ties_go_to_the_lowest_index() {
        assert_eq!(argmax_valid(&[2.0, 2.0, 1.0], &[1.0, 1.0, 1.0]), Some(0));
    }
}
