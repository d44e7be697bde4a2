//! Errors of the live side that are not Python exceptions already.

use thiserror::Error;

/// Why a tracked module could not be read or a mutation not described.
#[derive(Debug, Error)]
pub enum ApplyError {
    /// A module name that is not tracked.
    #[error("module {0} is not tracked by limeade")]
    NotTracked(String),
    /// The source could not be planned (syntax, decoding, ...).
    #[error(transparent)]
    Plan(#[from] limeade_plan::PlanError),
    /// A mutation tuple that does not describe a known mutation.
    #[error("invalid mutation: {0}")]
    InvalidMutation(String),
}
