//! Runs parsing on a thread with a large stack and turns a panic into an error: limeade lives inside
//! long-running programs, and a stack overflow or panic there would take the user's process down.
//! Whole files parse on a thread of their own; the windows of incremental re-parses on one kept
//! thread, since starting a thread costs more than parsing an edited window (0.2 ms to a few ms
//! in a busy process).

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};

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

/// A job for the kept parser thread.
type Job = Box<dyn FnOnce() + Send>;

/// The kept parser thread: where to send jobs, and the process that started it (a forked child
/// has the memory of the parent's thread but not the thread).
struct KeptThread {
    pid: u32,
    jobs: mpsc::Sender<Job>,
}

static KEPT: Mutex<Option<KeptThread>> = Mutex::new(None);

/// Start `work` on the kept parser thread (with [`STACK_BYTES`] of stack; started when first
/// needed and again when it is gone: in a forked child, or if it stopped) and return at once: the caller does its own part of
/// the job meanwhile, then [`Started::wait`]s for the thread's.
pub(crate) fn start_on_kept_thread<T: Send + 'static>(
    path: &str,
    work: impl FnOnce() -> Result<T, PlanError> + Send + 'static,
) -> Result<Started<T>, PlanError> {
    let (reply, outcome) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let _ = reply.send(panic::catch_unwind(AssertUnwindSafe(work)));
    });
    send(job).map_err(|message| internal(path, message))?;
    Ok(Started {
        path: path.to_owned(),
        outcome,
    })
}

/// Drop `value` on the kept parser thread: freeing a large tree touches every one of its
/// allocations, which the caller (a refresh holding the GIL) need not wait for.
pub(crate) fn drop_on_kept_thread<T: Send + 'static>(value: T) {
    // If the thread cannot take it, it is dropped here.
    let _ = send(Box::new(move || drop(value)));
}

/// Work started on the kept parser thread.
pub(crate) struct Started<T> {
    path: String,
    outcome: mpsc::Receiver<std::thread::Result<Result<T, PlanError>>>,
}

impl<T> Started<T> {
    /// The work's result, once it is done.
    pub(crate) fn wait(self) -> Result<T, PlanError> {
        match self.outcome.recv() {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => Err(internal(&self.path, panic_message(&*panic))),
            Err(_) => Err(internal(&self.path, "parser thread stopped".to_owned())),
        }
    }
}

fn send(job: Job) -> Result<(), String> {
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    let pid = std::process::id();
    let job = match kept.as_ref().filter(|k| k.pid == pid) {
        Some(thread) => match thread.jobs.send(job) {
            Ok(()) => return Ok(()),
            Err(mpsc::SendError(job)) => job,
        },
        None => job,
    };
    // In a forked child, the parent's channel may be in any state: forget it, untouched.
    if let Some(stale) = kept.take() {
        std::mem::forget(stale);
    }
    let (jobs, incoming) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("limeade-plan".to_owned())
        .stack_size(STACK_BYTES)
        .spawn(move || incoming.into_iter().for_each(|job| job()))
        .map_err(|e| format!("cannot start parser thread: {e}"))?;
    jobs.send(job)
        .map_err(|_| "parser thread stopped".to_owned())?;
    *kept = Some(KeptThread { pid, jobs });
    Ok(())
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
