//! The reference's greedy baselines (`eval.py` `GreedyAgent` over `get_action_rewards`).
//!
//! Each valid action is simulated one step ahead and scored in float32, as the reference's
//! `rewards = np.zeros(n, float32)` array does: `value = f32(reward)`, then for each extra term
//! `value = f32(value + term)`. The best value wins; ties go to the highest action index (the
//! reference takes `argmax` of the reversed vector), so CONTINUE beats any track and a higher
//! row beats a lower one.

use super::Sequencer;
use super::candidates::Candidates;
use crate::error::QueryError;
use crate::objective::{Action, Episode, StepReport, Term};

/// What the greedy sequencer maximises: the step reward plus zero or more of its terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreedyObjective {
    extra: Vec<Term>,
}

impl GreedyObjective {
    /// `greedy-all` (the reference's `-a greedy`): the full step reward (alignment,
    /// smoothness, penalties and, at the last segment, the switch and theme terms).
    pub fn all() -> Self {
        GreedyObjective { extra: Vec::new() }
    }

    /// `greedy-aligned` (the reference's `-a greedy/alignment_reward,same_track_penalty`): the
    /// reward plus alignment and repetition penalty once more. So alignment and repetition
    /// count double; smoothness and the terminal terms still count once. (The paper describes
    /// this baseline as "alignment only"; the reference code, which we follow, does this.)
    pub fn aligned() -> Self {
        GreedyObjective {
            extra: vec![Term::AlignmentReward, Term::SameTrackPenalty],
        }
    }

    /// The reward plus the given terms.
    pub fn reward_plus(extra: Vec<Term>) -> Self {
        GreedyObjective { extra }
    }

    /// Parses the reference's `greedy/<k1>,<k2>` key list (our or the reference's term names);
    /// an empty string is [`GreedyObjective::all`].
    pub fn parse(keys: &str) -> Result<Self, QueryError> {
        if keys.trim().is_empty() {
            return Ok(Self::all());
        }
        let extra = keys
            .split(',')
            .map(|k| {
                Term::from_name(k.trim()).ok_or_else(|| {
                    QueryError::InvalidArgument(format!("unknown reward term `{}`", k.trim()))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(GreedyObjective { extra })
    }

    pub fn extra_terms(&self) -> &[Term] {
        &self.extra
    }

    /// The float32 value the reference stores for an action.
    pub fn value(&self, report: &StepReport) -> f32 {
        let mut v = report.reward as f32;
        for t in &self.extra {
            v = (v as f64 + report.terms.get(*t)) as f32;
        }
        v
    }
}

/// Greedy one-step lookahead over the valid candidate actions.
#[derive(Debug)]
pub struct Greedy<'p> {
    objective: GreedyObjective,
    candidates: Candidates<'p>,
    actions: Vec<Action>,
    name: String,
}

impl<'p> Greedy<'p> {
    pub fn new(objective: GreedyObjective, candidates: Candidates<'p>) -> Self {
        let name = if objective == GreedyObjective::all() {
            "greedy-all".to_string()
        } else if objective == GreedyObjective::aligned() {
            "greedy-aligned".to_string()
        } else {
            let keys: Vec<&str> = objective.extra.iter().map(|t| t.name()).collect();
            format!("greedy/{}", keys.join(","))
        };
        Greedy {
            objective,
            candidates,
            actions: Vec::new(),
            name,
        }
    }

    pub fn all(candidates: Candidates<'p>) -> Self {
        Greedy::new(GreedyObjective::all(), candidates)
    }

    pub fn aligned(candidates: Candidates<'p>) -> Self {
        Greedy::new(GreedyObjective::aligned(), candidates)
    }

    pub fn objective(&self) -> &GreedyObjective {
        &self.objective
    }

    /// The value of every valid candidate action at the episode's next segment, in action
    /// order (rows ascending, CONTINUE last): the reference's `get_action_rewards` vector
    /// without its masked (−inf) entries.
    pub fn score(&mut self, episode: &Episode<'_>) -> Result<Vec<(Action, f32)>, QueryError> {
        self.candidates.actions(episode, &mut self.actions)?;
        let eval = episode.evaluator()?;
        self.actions
            .iter()
            .map(|&a| Ok((a, self.objective.value(&eval.evaluate(a)?))))
            .collect()
    }
}

/// The last action attaining the maximum (actions are in ascending reference order).
pub(crate) fn best(scored: &[(Action, f32)]) -> Option<Action> {
    let mut best: Option<(Action, f32)> = None;
    for &(a, v) in scored {
        if best.is_none_or(|(_, bv)| v >= bv) {
            best = Some((a, v));
        }
    }
    best.map(|(a, _)| a)
}

impl Sequencer for Greedy<'_> {
    fn name(&self) -> &str {
        &self.name
    }

    fn begin(&mut self, _video: &crate::video::Video) {
        self.candidates.reset();
    }

    fn choose(&mut self, episode: &Episode<'_>) -> Result<Action, QueryError> {
        let scored = self.score(episode)?;
        best(&scored).ok_or_else(|| QueryError::NoCandidates {
            video: episode.video().id.clone(),
            segment: episode.t(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_the_highest_action() {
        let s = [
            (Action::Track(1), 0.5),
            (Action::Track(4), 0.7),
            (Action::Track(9), 0.7),
            (Action::Track(12), 0.1),
        ];
        assert_eq!(best(&s), Some(Action::Track(9)));
        let s = [(Action::Track(3), 0.7), (Action::Continue, 0.7)];
        assert_eq!(best(&s), Some(Action::Continue));
        assert_eq!(best(&[]), None);
    }

    #[test]
    fn parse_accepts_reference_keys() {
        assert_eq!(
            GreedyObjective::parse("alignment_reward,same_track_penalty").unwrap(),
            GreedyObjective::aligned()
        );
        assert_eq!(GreedyObjective::parse("").unwrap(), GreedyObjective::all());
        assert_eq!(
            GreedyObjective::parse("va_imagebind_similarity").unwrap(),
            GreedyObjective::reward_plus(vec![Term::VaAudioSimilarity])
        );
        assert!(GreedyObjective::parse("alignment,nope").is_err());
    }
}
