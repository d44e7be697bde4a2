//! Warm parsing: the sources the program runs are parsed by a background thread once imports
//! have gone quiet, so the first refresh after start-up re-parses incrementally like every later
//! one, instead of parsing the running version of each changed module (and, for importers'
//! bindings, of every other tracked module) first.
//!
//! The thread is plain Rust: it never touches the interpreter, so it needs no GIL and runs
//! beside the program's threads. It waits until no module was tracked for [`QUIET`] (a
//! program's start-up imports hundreds of modules; parsing meanwhile would compete with them
//! for the CPU), then parses the queue one module at a time. A result is only taken for the
//! very text it was parsed from (the same shared allocation), so a version that changed in
//! the meantime is parsed again by the planner as before. The thread also packs the text it
//! parsed (see [`limeade_plan::KeptText`]): a module nobody has edited keeps its source packed.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use limeade_plan::{
    import_bindings, FrozenModule, ImportBinding, ModuleMeta, ParsedModule, PlanError, SharedText,
    Version,
};
use rustc_hash::FxHashMap;

/// How long no module must have been tracked before the thread starts parsing.
pub const QUIET: Duration = Duration::from_millis(1000);

/// One source to parse, as queued: which submission of module `name` it is. Only the latest is
/// parsed; its text is held by [`Latest`] alone, so a module tracked again before the thread
/// got to it (the import hook records a module twice when it compiles from source) does not
/// keep the text it replaced alive until then.
struct Job {
    name: String,
    generation: u64,
}

/// A module's latest submission.
struct Latest {
    generation: u64,
    /// What to parse: taken by the thread when it starts parsing.
    source: Option<(ModuleMeta, SharedText)>,
}

/// A finished parse, for the text it was parsed from.
struct Warmed {
    text: SharedText,
    parsed: Result<Warm, PlanError>,
}

/// What the background parser makes of a running source: its tree encoded and its text packed
/// (see [`FrozenModule`]: the module is not being edited), and its `from m import X` bindings
/// (every module's are asked for at the first refresh: found here, no tree is decoded for them).
#[derive(Debug)]
pub struct Warm {
    /// The parsed module, kept compact.
    pub module: FrozenModule,
    /// Its `from m import X` bindings.
    pub bindings: Vec<ImportBinding>,
}

#[derive(Default)]
struct State {
    queue: std::collections::VecDeque<Job>,
    /// Per module, its latest submission (a module tracked again, or forgotten, leaves stale
    /// jobs in the queue: skipped when their turn comes, so submitting stays O(1)).
    latest: FxHashMap<String, Latest>,
    submissions: u64,
    done: FxHashMap<String, Warmed>,
    last_submit: Option<Instant>,
    started: bool,
    /// The registry is gone: the thread ends.
    closed: bool,
    /// A job is being parsed right now.
    parsing: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A parse that panicked leaves no half-written state behind: the lock stays usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The background parser of one registry (its thread starts with the first source).
#[derive(Default)]
pub struct WarmParser {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WarmParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarmParser").finish_non_exhaustive()
    }
}

impl WarmParser {
    /// Parse `text` (module `meta`) in the background, once imports went quiet.
    pub fn submit(&self, meta: &ModuleMeta, text: &SharedText) {
        let name = meta.name.as_str();
        let mut state = self.shared.lock();
        state.done.remove(name);
        state.submissions += 1;
        let generation = state.submissions;
        state.latest.insert(
            name.to_owned(),
            Latest {
                generation,
                source: Some((meta.clone(), Arc::clone(text))),
            },
        );
        let was_idle = state.queue.is_empty();
        state.queue.push_back(Job {
            name: name.to_owned(),
            generation,
        });
        state.last_submit = Some(Instant::now());
        if !state.started {
            let shared = Arc::clone(&self.shared);
            let spawned = thread::Builder::new()
                .name("limeade-warm".to_owned())
                .spawn(move || run(&shared));
            // Without a thread the planner parses when it needs to, as it always could.
            state.started = spawned.is_ok();
            if !state.started {
                state.queue.clear();
            }
        }
        // The thread waits for good with an empty queue, else for quiet with a timeout (it
        // reads `last_submit` when that ends): only the first job of a burst need wake it.
        // (A wake per module tracked cost start-up a futex round trip each.)
        if was_idle {
            self.shared.wake.notify_one();
        }
    }

    /// The finished parses, each with the text it was parsed from: the caller keeps a parse
    /// only for the very text (the same allocation) its module still runs.
    pub fn take_all(&self) -> Vec<(String, SharedText, Result<Warm, PlanError>)> {
        let mut state = self.shared.lock();
        if state.done.is_empty() {
            return Vec::new();
        }
        state
            .done
            .drain()
            .map(|(name, warmed)| (name, warmed.text, warmed.parsed))
            .collect()
    }

    /// Forget `name` (untracked): queued and finished work for it is dropped.
    pub fn forget(&self, name: &str) {
        let mut state = self.shared.lock();
        state.latest.remove(name);
        state.done.remove(name);
    }

    /// How many sources are waiting to be parsed or being parsed (tests and benchmarks wait
    /// for 0).
    pub fn queued(&self) -> usize {
        let state = self.shared.lock();
        state
            .queue
            .iter()
            .filter(|job| is_latest(&state, job))
            .count()
            + usize::from(state.parsing)
    }
}

impl Drop for WarmParser {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
    }
}

/// The thread: wait for quiet, then parse the queue, oldest job first.
fn run(shared: &Shared) {
    let mut state = shared.lock();
    while !state.closed {
        let quiet_for = state.last_submit.map(|t| t.elapsed());
        match quiet_for {
            _ if state.queue.is_empty() => {
                state = shared
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            Some(elapsed) if elapsed < QUIET => {
                state = shared
                    .wake
                    .wait_timeout(state, QUIET - elapsed)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            _ => {
                let Some(job) = state.queue.pop_front() else {
                    continue;
                };
                let Some((meta, text)) = state
                    .latest
                    .get_mut(&job.name)
                    .filter(|latest| latest.generation == job.generation)
                    .and_then(|latest| latest.source.take())
                else {
                    continue;
                };
                state.parsing = true;
                drop(state);
                let parsed =
                    ParsedModule::parse_shared(&meta.path, Arc::clone(&text), Version::Old).map(
                        |mut parsed| {
                            parsed.pack();
                            Warm {
                                bindings: import_bindings(&meta, parsed.tree()),
                                module: parsed.freeze(),
                            }
                        },
                    );
                state = shared.lock();
                state.parsing = false;
                // Submitted again meanwhile (a newer text), or forgotten: this result is stale.
                if is_latest(&state, &job) {
                    state.done.insert(job.name, Warmed { text, parsed });
                }
            }
        }
    }
}

/// Whether `job` is its module's latest submission (not superseded, not forgotten).
fn is_latest(state: &State, job: &Job) -> bool {
    state
        .latest
        .get(&job.name)
        .is_some_and(|latest| latest.generation == job.generation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str) -> ModuleMeta {
        ModuleMeta {
            name: name.to_owned(),
            path: format!("{name}.py"),
            is_package: false,
        }
    }

    fn wait_until_parsed(warm: &WarmParser) {
        let deadline = Instant::now() + QUIET * 20;
        while warm.queued() > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn parses_after_quiet_and_only_hands_over_the_same_text() {
        let warm = WarmParser::default();
        let text: SharedText = Arc::new("def f():\n    return 1\n".to_owned());
        let start = Instant::now();
        warm.submit(&meta("m"), &text);
        wait_until_parsed(&warm);
        assert!(
            start.elapsed() >= QUIET,
            "nothing is parsed before imports go quiet"
        );
        let done = warm.take_all();
        assert_eq!(done.len(), 1);
        let (name, parsed_text, parsed) = &done[0];
        assert_eq!(name, "m");
        assert!(Arc::ptr_eq(parsed_text, &text), "the very text submitted");
        let warm_result = parsed.as_ref().expect("valid source");
        let kept = warm_result.module.kept_text();
        assert!(kept.plain().is_none(), "handed over packed");
        assert_eq!(kept.text("m.py").expect("unpacks"), *text);
        let thawed = warm_result.module.thaw().expect("decodes");
        assert_eq!(thawed.tree().statements.len(), 1, "its tree, encoded");
        assert!(warm.take_all().is_empty(), "taken once");
    }

    #[test]
    fn a_parse_error_is_handed_over_and_a_forgotten_module_is_dropped() {
        let warm = WarmParser::default();
        let broken: SharedText = Arc::new("def f(:\n".to_owned());
        let other: SharedText = Arc::new("X = 1\n".to_owned());
        warm.submit(&meta("broken"), &broken);
        warm.submit(&meta("gone"), &other);
        warm.forget("gone");
        wait_until_parsed(&warm);
        let done = warm.take_all();
        assert_eq!(done.len(), 1, "the forgotten module is not parsed");
        assert_eq!(done[0].0, "broken");
        assert!(Arc::ptr_eq(&done[0].1, &broken));
        assert!(done[0].2.is_err());
        drop(other);
    }

    #[test]
    fn a_module_submitted_again_keeps_only_its_latest_text() {
        let warm = WarmParser::default();
        let first: SharedText = Arc::new("X = 1\n".to_owned());
        let second: SharedText = Arc::new("X = 2\n".to_owned());
        warm.submit(&meta("m"), &first);
        warm.submit(&meta("m"), &second);
        assert_eq!(
            Arc::strong_count(&first),
            1,
            "the replaced text is let go at once, not when its turn in the queue comes"
        );
        assert_eq!(warm.queued(), 1);
        wait_until_parsed(&warm);
        let done = warm.take_all();
        assert_eq!(done.len(), 1);
        assert!(
            Arc::ptr_eq(&done[0].1, &second),
            "the latest text is parsed"
        );
    }
}
