//! Runs parsing on a thread with a large stack and turns a panic into an error: limeade lives inside
//! long-running programs, and a stack overflow or panic there would take the user's process down.

use crate::error::PlanError;

/// Stack for parser threads. Depth is bounded before parsing (see `syntax::MAX_DEPTH`); this
/// leaves a wide margin for the recursive drop of the parser's tree even in debug builds.
const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Run `work` on a scoped thread with [`STACK_BYTES`] of stack.
pub(crate) fn with_big_stack<T: Send>(
    path: &str,
    work: impl FnOnce() -> Result<T, PlanError> + Send,
) -> Result<T, PlanError> {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("limeade-plan".to_owned())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, work);
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|panic| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_owned());
                Err(PlanError::Internal {
                    path: path.to_owned(),
                    message,
                })
            }),
            Err(e) => Err(PlanError::Internal {
                path: path.to_owned(),
                message: format!("cannot start parser thread: {e}"),
            }),
        }
    })
}
