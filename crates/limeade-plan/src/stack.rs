//! Runs parsing with a large stack and turns a panic into an error: limeade lives inside
//! long-running programs, and a stack overflow or panic there would take the user's process down.
//! Whole files parse on a thread of their own; the windows of incremental re-parses on the
//! calling thread, on its own stack when it has room for the window however deeply nested, else
//! on a large stack segment switched to on that thread (handing a window to another thread
//! costs more than parsing it).

use std::panic::{self, AssertUnwindSafe};

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
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| Err(internal(path, panic_message(&*panic)))),
            Err(e) => Err(PlanError::Internal {
                path: path.to_owned(),
                message: format!("cannot start parser thread: {e}"),
            }),
        }
    })
}

/// Stack one level of nesting may take while a tree is converted or dropped (a wide margin).
const STACK_PER_LEVEL: usize = 8 * 1024;
/// Stack the rest of parsing may take.
const STACK_BASE: usize = 256 * 1024;

/// Run `work`, which parses `source_bytes` of source, on this thread: on its own stack when that
/// has room for the source nested as deeply as it can be (one level takes at least a byte, and
/// never more than [`crate::syntax::MAX_DEPTH`] levels), else on a stack segment of
/// [`STACK_BYTES`] switched to here. A panic becomes an error.
pub(crate) fn with_stack_for<T>(
    path: &str,
    source_bytes: usize,
    work: impl FnOnce() -> Result<T, PlanError>,
) -> Result<T, PlanError> {
    let levels = source_bytes.min(crate::syntax::MAX_DEPTH);
    let needed = STACK_BASE + levels * STACK_PER_LEVEL;
    panic::catch_unwind(AssertUnwindSafe(|| {
        stacker::maybe_grow(needed, STACK_BYTES, work)
    }))
    .unwrap_or_else(|panic| Err(internal(path, panic_message(&*panic))))
}

fn internal(path: &str, message: String) -> PlanError {
    PlanError::Internal {
        path: path.to_owned(),
        message,
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}
