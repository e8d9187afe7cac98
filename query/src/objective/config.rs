//! Settings of the objective: term weights and the environment mode.

use serde::{Deserialize, Serialize};

use crate::error::QueryError;

/// Weights of the four reward terms. Defaults are the reference's (`configs/default.yaml`).
/// The peer's names (`w_alignment`, ...) are accepted as aliases.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    #[serde(alias = "w_alignment")]
    pub alignment: f64,
    #[serde(alias = "w_smoothness")]
    pub smoothness: f64,
    #[serde(alias = "w_switch")]
    pub switch: f64,
    #[serde(alias = "w_theme")]
    pub theme: f64,
    /// Not in the reference (0 keeps the objective conformant): rewards pairing a segment's
    /// motion with the energy of its track (see `motion_energy_reward`).
    pub motion_energy: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            alignment: 1.0,
            smoothness: 0.5,
            switch: 0.3,
            theme: 0.3,
            motion_energy: 0.0,
        }
    }
}

/// The reference environment's two modes. They differ in one place: `Train` multiplies the
/// alignment of a continued segment by `exp(−0.01 · seconds already played)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The peer's `DiscreteEnv` default, used by its `train.py` (training and its eval env).
    Train,
    /// What the peer's `eval.py` uses; the mode for planning soundtracks.
    #[default]
    Test,
}

impl std::str::FromStr for Mode {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, QueryError> {
        match s {
            "train" => Ok(Mode::Train),
            "test" => Ok(Mode::Test),
            _ => Err(QueryError::InvalidArgument(format!(
                "mode must be `train` or `test`, got `{s}`"
            ))),
        }
    }
}

/// Everything configurable about the objective.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ObjectiveConfig {
    pub weights: Weights,
    pub mode: Mode,
}

impl ObjectiveConfig {
    /// Weights must be finite (they may be zero or negative, to switch a term off or invert it).
    pub fn validate(&self) -> Result<(), QueryError> {
        let w = &self.weights;
        for (name, v) in [
            ("alignment", w.alignment),
            ("smoothness", w.smoothness),
            ("switch", w.switch),
            ("theme", w.theme),
            ("motion_energy", w.motion_energy),
        ] {
            if !v.is_finite() {
                return Err(QueryError::InvalidArgument(format!(
                    "weight `{name}` is not finite ({v})"
                )));
            }
        }
        Ok(())
    }
}
