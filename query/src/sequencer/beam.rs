//! A lookahead planner: beam search over whole soundtracks, scored by the full objective
//! (the terminal switch-budget and theme terms included).
//!
//! All beams advance one segment at a time. Every valid action of every beam is scored by its
//! step reward; the `width` expansions with the best *priority* survive. The priority is the
//! return so far minus the switch-budget penalty that is already certain: switches never
//! decrease, so after `s` switches with `R` segments left the final count lies in
//! `[s, s + R]`, and a budget outside that range costs at least `w_switch` times the distance.
//! (This is an optimistic bound, so a path that can still meet the budget is never ranked
//! down for not having met it yet.)
//!
//! Of several plans that reach the same playback state (track, position in it, switches made)
//! only the best is kept: they share every future, so the others would waste the beam.
//!
//! The greedy-all path (the same candidates, the same float32 values and tie-breaking as
//! [`super::Greedy::all`]) is always kept in the beam, so the plan's return is never below
//! greedy-all's on the same video: the planner only ever replaces it with something better.

use super::Sequencer;
use super::candidates::Candidates;
use super::greedy::{GreedyObjective, best};
use crate::error::QueryError;
use crate::objective::{Action, Episode};
use crate::video::Video;

/// Default number of plans kept per segment.
pub const DEFAULT_BEAM_WIDTH: usize = 8;
/// The widest beam: every step scores width × candidates extensions of the plans kept.
pub const MAX_BEAM_WIDTH: usize = 256;

/// Beam search over the valid candidate actions of each segment.
#[derive(Debug)]
pub struct Beam<'p> {
    width: usize,
    candidates: Candidates<'p>,
    greedy: GreedyObjective,
    plan: Vec<Action>,
    actions: Vec<Action>,
}

/// One partial soundtrack.
#[derive(Clone)]
struct Node<'a> {
    episode: Episode<'a>,
    /// Sum of the step rewards so far.
    ret: f64,
    /// This is the greedy-all path.
    greedy: bool,
}

/// One way to extend a node by one segment.
#[derive(Debug, Clone, Copy)]
struct Expansion {
    parent: usize,
    action: Action,
    ret: f64,
    priority: f64,
    state: StateKey,
}

/// The playback state after an expansion: track, seconds played (as bits, to compare
/// exactly), switches made.
type StateKey = (u64, u64, u32);

impl<'p> Beam<'p> {
    /// Keeps `width` plans (at least 1) per segment.
    pub fn new(width: usize, candidates: Candidates<'p>) -> Result<Self, QueryError> {
        if width == 0 || width > MAX_BEAM_WIDTH {
            return Err(QueryError::InvalidArgument(format!(
                "the beam width must be between 1 and {MAX_BEAM_WIDTH} (got {width})"
            )));
        }
        Ok(Beam {
            width,
            candidates,
            greedy: GreedyObjective::all(),
            plan: Vec::new(),
            actions: Vec::new(),
        })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Plans the rest of `start`'s episode: the actions of the best soundtrack found.
    pub fn plan<'a>(&mut self, start: &Episode<'a>) -> Result<Vec<Action>, QueryError> {
        let weights = start.objective().config().weights;
        let segments = start.segment_count();
        let budget = start.budget();
        let mut beams = vec![Node {
            episode: start.clone(),
            ret: 0.0,
            greedy: true,
        }];
        let mut expansions: Vec<Expansion> = Vec::new();
        let mut greedy_scored: Vec<(Action, f32)> = Vec::new();
        while !beams[0].episode.is_done() {
            expansions.clear();
            greedy_scored.clear();
            let mut greedy_parent = None;
            for (i, node) in beams.iter().enumerate() {
                self.candidates.actions(&node.episode, &mut self.actions)?;
                let eval = node.episode.evaluator()?;
                let remaining = segments - node.episode.t() - 1;
                for &action in &self.actions {
                    let report = eval.evaluate(action)?;
                    let ret = node.ret + report.reward;
                    let certain = if remaining == 0 {
                        0.0 // the terminal reward already holds the switch term
                    } else {
                        let s = i64::from(report.transition.switch_count);
                        let gap = (s - budget).max(budget - s - remaining as i64).max(0);
                        weights.switch * gap as f64
                    };
                    let tr = report.transition;
                    expansions.push(Expansion {
                        parent: i,
                        action,
                        ret,
                        priority: ret - certain,
                        state: (tr.track, tr.track_offset_after.to_bits(), tr.switch_count),
                    });
                    if node.greedy {
                        greedy_scored.push((action, self.greedy.value(&report)));
                    }
                }
                if node.greedy {
                    greedy_parent = Some(i);
                }
            }
            let greedy_action = best(&greedy_scored);
            // Best first; ties by parent then action order, so the search is deterministic.
            expansions.sort_by(|a, b| b.priority.total_cmp(&a.priority));
            // Keep one plan per playback state (track, position in it, switches so far): two
            // plans in the same state differ only in their past, and the weaker one would
            // spend a slot of the beam on the same futures.
            let mut chosen: Vec<Expansion> = Vec::with_capacity(self.width);
            let mut seen: Vec<StateKey> = Vec::with_capacity(self.width);
            for e in &expansions {
                if chosen.len() == self.width {
                    break;
                }
                if !seen.contains(&e.state) {
                    seen.push(e.state);
                    chosen.push(*e);
                }
            }
            let is_greedy =
                |e: &Expansion| Some(e.parent) == greedy_parent && Some(e.action) == greedy_action;
            if !chosen.iter().any(is_greedy)
                && let Some(g) = expansions.iter().find(|e| is_greedy(e))
            {
                chosen.pop();
                chosen.push(*g);
            }
            let mut next = Vec::with_capacity(chosen.len());
            for e in &chosen {
                let parent = &beams[e.parent];
                let mut episode = parent.episode.clone();
                episode.step(e.action)?;
                next.push(Node {
                    episode,
                    ret: e.ret,
                    greedy: is_greedy(e),
                });
            }
            beams = next;
        }
        // The best complete plan; on a tie, the greedy one (it is what a greedy user expects).
        let best_node = beams
            .iter()
            .max_by(|a, b| a.ret.total_cmp(&b.ret).then(a.greedy.cmp(&b.greedy)))
            .expect("the beam is never empty");
        let done = start.steps().len();
        Ok(best_node.episode.steps()[done..]
            .iter()
            .map(|s| s.action)
            .collect())
    }
}

impl Sequencer for Beam<'_> {
    fn name(&self) -> &str {
        "beam"
    }

    fn begin(&mut self, _video: &Video) {
        self.plan.clear();
        self.candidates.reset();
    }

    fn choose(&mut self, episode: &Episode<'_>) -> Result<Action, QueryError> {
        if self.plan.is_empty() || episode.t() == 0 {
            // Plan the rest of the video from here, then replay it step by step.
            let mut actions = self.plan(episode)?;
            actions.reverse();
            self.plan = actions;
        }
        self.plan.pop().ok_or_else(|| QueryError::NoCandidates {
            video: episode.video().id.clone(),
            segment: episode.t(),
        })
    }
}
