//! Diversity and coherence reranking over a candidate pool, with hard caps, in one pass.
//!
//! Search takes a pool of candidates from the ordinary retrieval and reorders it to `k`
//! ([`crate::search`]); planning takes exclusions out of its allowed rows and masks artists at
//! their cap at each step ([`crate::sequencer::ArtistCap`]). What is here:
//!
//! * [`spec`]: what is asked — [`Diversify`] (MMR λ, DPP θ), [`Caps`] (per artist, album, tag
//!   prefix), [`Exclusions`] (track ids, artists), exclusion lists read from files.
//! * [`groups`]: caps as groups with capacities ([`CapGroups`]).
//! * [`mmr`] and [`dpp`]: the two greedy rerankers; [`rerank`] picks one, or the relevance
//!   order when no diversity is asked.
//!
//! Every reranker is greedy and takes the caps as a constraint on each pick, so a result
//! never breaks a cap and has `k` items whenever the pool has `k` that fit the caps picked in
//! this order. Ties go to the lower pool index (the retrieval's order), so results are
//! deterministic.

pub mod dpp;
pub mod groups;
pub mod mmr;
pub mod spec;
#[cfg(test)]
mod tests;

pub use groups::{CapCounter, CapGroups, CapGroupsBuilder};
pub use spec::{
    Caps, DEFAULT_DPP_THETA, DEFAULT_MMR_LAMBDA, Diversify, Exclusions, parse_id_list, read_id_list,
};

/// One pick of a reranker: the candidate's index in the pool and the value that ranked it
/// (its relevance, MMR score or DPP gain).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    pub index: usize,
    pub score: f32,
}

/// Up to `k` candidates of a pool, best first, by `method` under `caps`. `relevance[i]` and
/// the unit vector `vectors[i]` describe candidate `i`; `vectors` may be empty when `method`
/// is [`Diversify::None`].
pub fn rerank(
    method: Diversify,
    relevance: &[f32],
    vectors: &[&[f32]],
    caps: &CapGroups,
    k: usize,
) -> Vec<Pick> {
    match method {
        Diversify::None => relevance_order(relevance, caps, k),
        Diversify::Mmr { lambda } => mmr::mmr(lambda, relevance, vectors, caps, k),
        Diversify::Dpp { theta } => dpp::dpp(theta, relevance, vectors, caps, k),
    }
}

/// The pool in its own order (relevance, best first), skipping what the caps forbid.
pub fn relevance_order(relevance: &[f32], caps: &CapGroups, k: usize) -> Vec<Pick> {
    let mut counter = caps.counter();
    let mut out = Vec::with_capacity(k.min(relevance.len()));
    for (i, &r) in relevance.iter().enumerate() {
        if out.len() == k {
            break;
        }
        if counter.allows(i) {
            counter.take(i);
            out.push(Pick { index: i, score: r });
        }
    }
    out
}
