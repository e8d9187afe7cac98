//! What a rerank asks for: the diversity method, hard caps and exclusions, each validated when
//! it is built, so a bad value fails before any search runs.

use serde::Serialize;

use crate::error::QueryError;

/// MMR's trade-off when `mmr` is given without a value: relevance weighs a little over twice
/// the redundancy penalty. A starting point, not yet measured on a real catalogue (the quality
/// benchmark of issue 15 is still to be run).
pub const DEFAULT_MMR_LAMBDA: f32 = 0.7;

/// The DPP's trade-off when `dpp` is given without a value (not yet measured either; see
/// [`DEFAULT_MMR_LAMBDA`]).
pub const DEFAULT_DPP_THETA: f32 = 0.9;

/// How a candidate pool is reordered for diversity.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum Diversify {
    /// Relevance order (caps and exclusions still apply).
    #[default]
    None,
    /// Maximal marginal relevance (Carbonell & Goldstein 1998): each pick maximises
    /// `λ·relevance − (1 − λ)·(max similarity to the tracks already picked)`. `λ = 1` is the
    /// relevance order, `λ = 0` pure novelty.
    Mmr { lambda: f32 },
    /// Greedy MAP of a determinantal point process (Chen, Zhang & Zhou 2018) with kernel
    /// `L = diag(q)·S·diag(q)`, `q = exp(α·relevance)`, `α = θ / (2(1 − θ))`: each pick
    /// maximises `θ·relevance + (1 − θ)·log det` gain of the similarity kernel `S`. `θ = 1` is
    /// the relevance order, `θ = 0` pure diversity.
    Dpp { theta: f32 },
}

impl Diversify {
    /// MMR with `lambda` in [0, 1].
    pub fn mmr(lambda: f32) -> Result<Diversify, QueryError> {
        Ok(Diversify::Mmr {
            lambda: unit_interval("MMR λ", lambda)?,
        })
    }

    /// A DPP with `theta` in [0, 1].
    pub fn dpp(theta: f32) -> Result<Diversify, QueryError> {
        Ok(Diversify::Dpp {
            theta: unit_interval("DPP θ", theta)?,
        })
    }

    /// The method's name: `none`, `mmr` or `dpp`.
    pub fn name(&self) -> &'static str {
        match self {
            Diversify::None => "none",
            Diversify::Mmr { .. } => "mmr",
            Diversify::Dpp { .. } => "dpp",
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Diversify::None)
    }
}

impl std::fmt::Display for Diversify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Diversify::None => f.write_str("none"),
            Diversify::Mmr { lambda } => write!(f, "mmr:{lambda}"),
            Diversify::Dpp { theta } => write!(f, "dpp:{theta}"),
        }
    }
}

impl std::str::FromStr for Diversify {
    type Err = QueryError;

    /// `none`, `mmr`, `mmr:LAMBDA`, `dpp`, `dpp:THETA`.
    fn from_str(s: &str) -> Result<Diversify, QueryError> {
        let (name, value) = match s.trim().split_once(':') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (s.trim(), None),
        };
        let number = |what: &str, default: f32| -> Result<f32, QueryError> {
            match value {
                None => Ok(default),
                Some(v) => v
                    .parse::<f32>()
                    .map_err(|_| invalid(format!("{what} must be a number in [0, 1], got {v:?}"))),
            }
        };
        match name.to_ascii_lowercase().as_str() {
            "none" | "off" if value.is_none() => Ok(Diversify::None),
            "mmr" => Diversify::mmr(number("MMR λ", DEFAULT_MMR_LAMBDA)?),
            "dpp" => Diversify::dpp(number("DPP θ", DEFAULT_DPP_THETA)?),
            _ => Err(invalid(format!(
                "unknown diversity method {s:?}; expected mmr[:LAMBDA], dpp[:THETA] or none"
            ))),
        }
    }
}

/// Hard caps on a result list or a plan: at most so many tracks per artist, per album, and
/// per value of a tag prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Caps {
    pub per_artist: Option<u32>,
    pub per_album: Option<u32>,
    /// `(prefix, n)`: at most `n` tracks carry any one tag equal to `prefix` or starting with
    /// `prefix:` (so `("genre", 3)` allows 3 rock and 3 jazz tracks, `("genre:rock", 3)` 3
    /// rock tracks). Prefixes are lowercased.
    pub per_tag: Vec<(String, u32)>,
}

impl Caps {
    /// At most `n` (at least 1) tracks of any one artist.
    pub fn per_artist(mut self, n: u32) -> Result<Caps, QueryError> {
        self.per_artist = Some(positive("the per-artist cap", n)?);
        Ok(self)
    }

    /// At most `n` (at least 1) tracks of any one album.
    pub fn per_album(mut self, n: u32) -> Result<Caps, QueryError> {
        self.per_album = Some(positive("the per-album cap", n)?);
        Ok(self)
    }

    /// At most `n` (at least 1) tracks per value of tag `prefix` (replaces an earlier cap on
    /// the same prefix).
    pub fn per_tag(mut self, prefix: &str, n: u32) -> Result<Caps, QueryError> {
        let p = prefix.trim().trim_end_matches(':').to_lowercase();
        if p.is_empty() {
            return Err(invalid("a tag cap needs a tag prefix, e.g. genre:3"));
        }
        let n = positive(&format!("the cap on tag {p:?}"), n)?;
        self.per_tag.retain(|(q, _)| *q != p);
        self.per_tag.push((p, n));
        Ok(self)
    }

    /// Parses `PREFIX:N` (the last `:` separates the count): `genre:3`, `genre:rock:2`.
    pub fn parse_tag_cap(spec: &str) -> Result<(String, u32), QueryError> {
        let (prefix, n) = spec.trim().rsplit_once(':').ok_or_else(|| {
            invalid(format!(
                "tag cap {spec:?}: expected PREFIX:N, e.g. genre:3 or genre:rock:2"
            ))
        })?;
        let n: u32 = n
            .trim()
            .parse()
            .map_err(|_| invalid(format!("tag cap {spec:?}: {n:?} is not a whole number")))?;
        let caps = Caps::default().per_tag(prefix, n)?;
        Ok(caps.per_tag[0].clone())
    }

    pub fn is_empty(&self) -> bool {
        self.per_artist.is_none() && self.per_album.is_none() && self.per_tag.is_empty()
    }
}

/// Tracks that must not come back: by track id, or every track of an artist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Exclusions {
    /// External track ids; ids the library does not have are ignored (an exclusion list kept
    /// between runs may name tracks removed since) and counted in the search's statistics.
    pub track_ids: Vec<String>,
    /// Artist names, matched ignoring case as filters match them.
    pub artists: Vec<String>,
}

impl Exclusions {
    pub fn is_empty(&self) -> bool {
        self.track_ids.is_empty() && self.artists.is_empty()
    }
}

/// Reads an exclusion list: one track id per line; blank lines and lines starting with `#`
/// are skipped, as is everything after a tab or a comma (so the first column of a CSV or TSV
/// export of plans works too). An unreadable file is an error naming it.
pub fn read_id_list(path: &std::path::Path) -> Result<Vec<String>, QueryError> {
    let text = std::fs::read_to_string(path).map_err(|source| QueryError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(parse_id_list(&text))
}

/// The ids of an exclusion list's text (see [`read_id_list`]), in order, without duplicates.
pub fn parse_id_list(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    text.lines()
        .map(|l| l.split(['\t', ',']).next().unwrap_or("").trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| seen.insert(l.to_string()))
        .map(str::to_string)
        .collect()
}

fn unit_interval(what: &str, x: f32) -> Result<f32, QueryError> {
    if x.is_finite() && (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(invalid(format!("{what} must be in [0, 1], got {x}")))
    }
}

fn positive(what: &str, n: u32) -> Result<u32, QueryError> {
    if n == 0 {
        Err(invalid(format!(
            "{what} must be at least 1 (a cap of 0 would exclude everything; use a filter)"
        )))
    } else {
        Ok(n)
    }
}

fn invalid(msg: impl Into<String>) -> QueryError {
    QueryError::InvalidRequest(msg.into())
}
