//! The event state `notify`'s thread writes and its readers share: touched paths for the
//! registry, one pending batch per auto-refresh subscriber, and the wait for a burst to end.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{Event, EventKind};

/// At most this many paths are remembered between two reads; beyond it, "check everything".
const MAX_PATHS: usize = 10_000;

/// What auto-refresh receives after a burst of events is over.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// Every path an event named (files and directories).
    pub paths: HashSet<PathBuf>,
    /// Directories created inside watched directories (to watch them too, if wanted).
    pub created_dirs: Vec<PathBuf>,
    /// Events were lost or too many: treat everything as possibly changed.
    pub everything: bool,
    /// Errors the backend reported.
    pub errors: Vec<String>,
    last_event: Option<Instant>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.everything && self.errors.is_empty()
    }
}

/// What [`Subscription::wait`] returns.
#[derive(Debug)]
pub enum Waited {
    /// Something changed and no event came for the debounce interval.
    Batch(Batch),
    /// Nothing happened before the timeout.
    Timeout,
    /// The watcher was closed.
    Closed,
}

#[derive(Debug, Default)]
pub(super) struct State {
    /// Touched paths not yet given to the registry.
    pub(super) dirty: HashSet<PathBuf>,
    /// The registry must check every file at its next scan.
    pub(super) everything: bool,
    /// Probe events seen so far.
    pub(super) probe_seen: u64,
    /// Directories watched, to notice when one is removed (its watch dies with it).
    pub(super) watched_dirs: HashSet<PathBuf>,
    /// Watched directories that were removed or moved away: watched again at the next scan.
    pub(super) lost_dirs: Vec<PathBuf>,
    /// Pending batches by subscriber.
    pub(super) subscribers: HashMap<u64, Batch>,
    pub(super) next_subscriber: u64,
    pub(super) closed: bool,
}

/// What the event handler (on `notify`'s thread) and the readers share.
#[derive(Debug, Default)]
pub(super) struct Shared {
    state: Mutex<State>,
    pub(super) changed: Condvar,
}

impl Shared {
    /// The state, even if a thread panicked while holding it (the state stays consistent:
    /// every update is a plain insert).
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn record(&self, result: notify::Result<Event>, probe: Option<&Path>) {
        let mut state = self.lock();
        let event = match result {
            Ok(event) => event,
            Err(error) => {
                state.everything = true;
                let now = Instant::now();
                for batch in state.subscribers.values_mut() {
                    batch.errors.push(error.to_string());
                    batch.last_event = Some(now);
                }
                self.changed.notify_all();
                return;
            }
        };
        if is_noise(&event.kind) {
            return;
        }
        if event.need_rescan() {
            state.everything = true;
            let now = Instant::now();
            for batch in state.subscribers.values_mut() {
                batch.everything = true;
                batch.last_event = Some(now);
            }
            self.changed.notify_all();
            return;
        }
        let now = Instant::now();
        let mut any = false;
        for path in &event.paths {
            if probe.is_some_and(|p| p == path) {
                if matches!(event.kind, EventKind::Modify(ModifyKind::Data(_))) {
                    state.probe_seen += 1;
                    any = true;
                }
                continue;
            }
            any = true;
            let gone = matches!(
                event.kind,
                EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From))
            );
            if gone && state.watched_dirs.contains(path) {
                state.lost_dirs.push(path.clone());
                state.everything = true;
            }
            if state.dirty.len() >= MAX_PATHS {
                state.dirty.clear();
                state.everything = true;
            } else {
                state.dirty.insert(path.clone());
            }
            let created_dir = matches!(event.kind, EventKind::Create(CreateKind::Folder));
            for batch in state.subscribers.values_mut() {
                if batch.paths.len() >= MAX_PATHS {
                    batch.everything = true;
                } else {
                    batch.paths.insert(path.clone());
                }
                if created_dir {
                    batch.created_dirs.push(path.clone());
                }
                batch.last_event = Some(now);
            }
        }
        if any {
            self.changed.notify_all();
        }
    }
}

/// Events that say nothing about content: opening, reading, closing a file opened to read.
fn is_noise(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => false,
        EventKind::Access(_) => true,
        _ => false,
    }
}

/// One consumer's view of the events: a batch per burst.
#[derive(Debug)]
pub struct Subscription {
    pub(super) shared: Arc<Shared>,
    pub(super) id: u64,
}

impl Subscription {
    /// Block until something changed and no event arrived for `debounce` (one batch per save,
    /// however many events the editor made), or until `timeout` passes with nothing to report.
    pub fn wait(&self, debounce: Duration, timeout: Duration) -> Waited {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if state.closed {
                return Waited::Closed;
            }
            let Some(batch) = state.subscribers.get_mut(&self.id) else {
                return Waited::Closed;
            };
            let now = Instant::now();
            let wait = if batch.is_empty() {
                deadline.saturating_duration_since(now)
            } else {
                let quiet = batch
                    .last_event
                    .map_or(debounce, |t| now.saturating_duration_since(t));
                if quiet >= debounce {
                    return Waited::Batch(std::mem::take(batch));
                }
                debounce - quiet
            };
            if wait.is_zero() {
                return Waited::Timeout;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, wait)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Stop receiving batches; a thread blocked in [`Subscription::wait`] returns `Closed`.
    pub fn close(&self) {
        let mut state = self.shared.lock();
        state.subscribers.remove(&self.id);
        self.shared.changed.notify_all();
    }
}
