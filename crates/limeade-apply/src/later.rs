//! Source reads left to a background thread: at start-up the import hook runs most modules from
//! their bytecode caches, validated against the source file's stamp, and reading each source
//! on the importing thread (an open, a read and a copy per module) was most of what tracking
//! added to an import. The hook records the stamp instead; this thread reads the files at once,
//! beside the program, and the registry keeps a read's bytes only when the file still has the
//! stamp the cache was validated against (see [`crate::registry::Registry::track_later`]).
//!
//! The thread is plain Rust: it never touches the interpreter, so it needs no GIL. Whoever
//! needs the results waits for the queue to drain ([`LaterReader::wait_all`]): reads take
//! microseconds each, so the wait is short. Waking a sleeping thread costs the waker a system
//! call (and on a virtual machine an interrupt to another core): woken for every module, the
//! reader cost the importing thread more than the reads it took over. So while imports come
//! in, the thread looks at its queue every [`POLL`] instead of being woken, and it sleeps
//! until woken only after [`LINGER`] without work.

/// How often the thread looks at its queue while imports come in.
pub const POLL: Duration = Duration::from_millis(2);
/// How long without work before the thread sleeps until woken.
pub const LINGER: Duration = Duration::from_millis(100);

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::stamp::{read_stamped, Stamp};

/// One file to read for module `name`: its `generation`-th deferred track (a module imported
/// again before the read was taken keeps only its latest).
#[derive(Debug)]
pub struct Job {
    /// Module name.
    pub name: String,
    /// The file to read.
    pub path: String,
    /// Which deferred track of the module this is.
    pub generation: u64,
}

/// A finished read: the bytes and the stamp of the open file they were read from.
#[derive(Debug)]
pub struct Read {
    /// Module name.
    pub name: String,
    /// The job's generation.
    pub generation: u64,
    /// The file's bytes and stamp, or why it could not be read.
    pub result: std::io::Result<(Vec<u8>, Stamp)>,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    done: Vec<Read>,
    /// A job is being read right now.
    reading: bool,
    /// The thread sleeps until woken (else it looks at the queue every [`POLL`]).
    asleep: bool,
    /// Threads in [`LaterReader::wait_all`].
    waiters: usize,
    started: bool,
    /// The registry is gone: the thread ends.
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// The queue got a job (or the reader closed).
    work: Condvar,
    /// The queue drained.
    idle: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The background reader of one registry (its thread starts with the first job).
#[derive(Default)]
pub struct LaterReader {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LaterReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaterReader").finish_non_exhaustive()
    }
}

impl LaterReader {
    /// Read `job`'s file in the background. Gives the job back when no thread could be started
    /// (the caller reads it itself).
    pub fn submit(&self, job: Job) -> Result<(), Job> {
        let mut state = self.shared.lock();
        if !state.started {
            let shared = Arc::clone(&self.shared);
            let spawned = thread::Builder::new()
                .name("limeade-read".to_owned())
                .spawn(move || run(&shared));
            if spawned.is_err() {
                return Err(job);
            }
            state.started = true;
        }
        state.queue.push_back(job);
        if state.asleep {
            state.asleep = false;
            self.shared.work.notify_one();
        }
        Ok(())
    }

    /// Every read finished since the last call, once the queue has drained (waits for it).
    pub fn wait_all(&self) -> Vec<Read> {
        let mut state = self.shared.lock();
        if state.started && !state.queue.is_empty() {
            // Rather than wait for its next look at the queue.
            self.shared.work.notify_one();
        }
        state.waiters += 1;
        while state.started && (!state.queue.is_empty() || state.reading) {
            state = self
                .shared
                .idle
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.waiters -= 1;
        std::mem::take(&mut state.done)
    }
}

impl Drop for LaterReader {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_one();
    }
}

/// The thread: read the queue, oldest job first.
fn run(shared: &Shared) {
    let mut state = shared.lock();
    let mut last_job = Instant::now();
    while !state.closed {
        let Some(job) = state.queue.pop_front() else {
            if state.waiters > 0 {
                shared.idle.notify_all();
            }
            state = if last_job.elapsed() < LINGER {
                shared
                    .work
                    .wait_timeout(state, POLL)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            } else {
                state.asleep = true;
                let mut woken = shared
                    .work
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                woken.asleep = false;
                woken
            };
            continue;
        };
        last_job = Instant::now();
        state.reading = true;
        drop(state);
        let result = read_stamped(Path::new(&job.path));
        state = shared.lock();
        state.reading = false;
        state.done.push(Read {
            name: job.name,
            generation: job.generation,
            result,
        });
    }
    // Nobody waits for a closed reader, but a waiter must never hang.
    state.queue.clear();
    state.started = false;
    shared.idle.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_job_and_hands_each_over_once() {
        let dir = std::env::temp_dir().join(format!("limeade-later-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let reader = LaterReader::default();
        for i in 0..20 {
            let path = dir.join(format!("m{i}.py"));
            std::fs::write(&path, format!("X = {i}\n")).expect("write");
            let job = Job {
                name: format!("m{i}"),
                path: path.to_string_lossy().into_owned(),
                generation: i,
            };
            reader.submit(job).expect("a thread");
        }
        let missing = Job {
            name: "gone".to_owned(),
            path: dir.join("gone.py").to_string_lossy().into_owned(),
            generation: 99,
        };
        reader.submit(missing).expect("a thread");
        let mut reads = reader.wait_all();
        assert_eq!(reads.len(), 21, "every job read before wait_all returns");
        reads.sort_by_key(|r| r.generation);
        for (i, read) in reads.iter().take(20).enumerate() {
            let (bytes, stamp) = read.result.as_ref().expect("readable");
            assert_eq!(bytes, format!("X = {i}\n").as_bytes());
            assert_eq!(stamp.size, bytes.len() as u64);
        }
        assert!(reads[20].result.is_err(), "a missing file is an error");
        assert!(reader.wait_all().is_empty(), "handed over once");
        std::fs::remove_dir_all(&dir).ok();
    }
}
