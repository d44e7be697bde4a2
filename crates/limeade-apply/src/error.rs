//! Errors of the registry of tracked modules that are not Python exceptions already.

use thiserror::Error;

/// Why the registry could not track, read or plan a module.
#[derive(Debug, Error)]
pub enum RegistryError {
    /// A module name that is not tracked.
    #[error("module {0} is not tracked by limeade")]
    NotTracked(String),
    /// The source could not be planned (syntax, decoding, ...).
    #[error(transparent)]
    Plan(#[from] limeade_plan::PlanError),
}
