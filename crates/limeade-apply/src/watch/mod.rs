//! File-system events, from one `notify` watcher per process, for two consumers:
//!
//! - the [`Registry`](crate::Registry), which asks "which files may have changed since the last
//!   scan?" so an idle refresh reads no file it need not ([`FileWatcher::touched`]);
//! - auto-refresh ([`Subscription::wait`]), which sleeps until something changed and the burst of
//!   events a save makes is over (editors write, rename a temporary file over the original,
//!   delete then recreate: several events per save).
//!
//! Directories are watched one by one (never recursively by `notify`, so excluded folders such as
//! `.git` or `node_modules` cost no watch). On Linux the native backend is inotify; when the
//! kernel's watch limit is reached, further directories are polled (the caller warns once).
//!
//! **An edit followed at once by a scan is always seen.** `notify` reads events on its own
//! thread, so before the registry trusts its list of touched files it writes to a private probe
//! file watched by the same inotify instance and waits until that event comes back: events are
//! delivered in order, so every earlier event has been recorded by then. Directories that are
//! only polled, and platforms without that guarantee, are checked file by file instead.

mod events;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use notify::{Config, Event, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};
use thiserror::Error;

use events::Shared;
pub use events::{Batch, Subscription, Waited};

/// How long a scan waits for its probe event before checking every file instead.
#[cfg(target_os = "linux")]
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Why watching failed.
#[derive(Debug, Error)]
pub enum WatchError {
    /// The backend could not be started.
    #[error("cannot start the file watcher ({backend}): {source}")]
    Start {
        /// `"native"` or `"polling"`.
        backend: &'static str,
        /// What `notify` said.
        source: notify::Error,
    },
    /// A directory could not be watched at all (not even by polling).
    #[error("cannot watch {path}: {source}")]
    Watch {
        /// The directory.
        path: String,
        /// What `notify` said.
        source: notify::Error,
    },
    /// The watcher was closed.
    #[error("the file watcher is closed")]
    Closed,
}

/// Paths reported as touched since the last drain, or "check everything".
#[derive(Debug, PartialEq, Eq)]
pub enum Touched {
    /// Only these files can have changed.
    Paths(HashSet<PathBuf>),
    /// Unknown: check every file.
    Everything,
}

/// How a directory is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Native events, confirmed by the probe before each scan: scans may trust them.
    Immediate,
    /// Native events without the probe guarantee (non-Linux platforms): scans check the files.
    Native,
    /// Polled: events arrive up to one poll interval late.
    Polled,
}

/// Never follow a symbolic link out of a watched directory. The poll watcher then reads a
/// link's own metadata (`lstat`), so editing the file or folder a link points to outside the
/// watched trees is no event; inotify watches each directory on its own (never recursively), so
/// it never descends through a link anyway, and the setting is there should that change.
fn no_symlinks(config: Config) -> Config {
    config.with_follow_symlinks(false)
}

/// The private file whose events prove that every earlier event has been recorded: created in
/// the temporary directory, watched, then unlinked at once (nothing is left on disk, however
/// the process ends); writes go through the open descriptor.
#[cfg(target_os = "linux")]
#[derive(Debug)]
struct Probe {
    path: PathBuf,
    file: std::fs::File,
    written: u64,
}

#[cfg(target_os = "linux")]
impl Probe {
    fn create(watcher: &mut RecommendedWatcher) -> Option<Probe> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        // The probe lives in a folder of its own, removed at once: were its folder watched (a
        // tracked module directly in the temp folder), each poke would be seen twice, through
        // the folder's watch too, and a wait would end before the events it waits for.
        let dir = std::env::temp_dir().join(format!(
            ".limeade-probe-{}-{n}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        std::fs::create_dir(&dir).ok()?;
        let path = dir.join("probe");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path);
        let watched = file.is_ok() && watcher.watch(&path, RecursiveMode::NonRecursive).is_ok();
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_dir(&dir);
        let file = file.ok()?;
        watched.then_some(Probe {
            path,
            file,
            written: 0,
        })
    }

    fn poke(&mut self) -> bool {
        use std::os::unix::fs::FileExt;
        self.written += 1;
        self.file.write_at(b"p", 0).is_ok()
    }
}

/// The process's file watcher: a native backend, a polling one for what the native one cannot
/// take (or for everything, when polling is asked for), and the shared event state.
pub struct FileWatcher {
    shared: Arc<Shared>,
    native: Option<RecommendedWatcher>,
    polling: Option<PollWatcher>,
    poll_interval: Duration,
    #[cfg(target_os = "linux")]
    probe: Option<Probe>,
    /// Directories and how many users asked for each (the registry, explicit watch paths).
    owners: HashMap<PathBuf, (u32, Coverage)>,
    /// The native backend refused a directory for lack of watches: the first time, a warning.
    fallback_warning: Option<String>,
    fell_back: bool,
    /// Test hook: pretend the native backend can take only this many directories.
    native_limit: Option<usize>,
}

impl std::fmt::Debug for FileWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileWatcher")
            .field("backend", &self.backend())
            .field("dirs", &self.owners.len())
            .finish()
    }
}

impl FileWatcher {
    /// A watcher using the platform's native backend, or polling every `poll_interval` when
    /// `poll` is set (Docker bind mounts, WSL, network file systems).
    pub fn new(poll: bool, poll_interval: Duration) -> Result<FileWatcher, WatchError> {
        let shared = Arc::new(Shared::default());
        let mut watcher = FileWatcher {
            shared,
            native: None,
            polling: None,
            poll_interval,
            #[cfg(target_os = "linux")]
            probe: None,
            owners: HashMap::new(),
            fallback_warning: None,
            fell_back: false,
            native_limit: None,
        };
        if poll {
            watcher.start_polling()?;
        } else {
            watcher.start_native()?;
        }
        Ok(watcher)
    }

    fn start_native(&mut self) -> Result<(), WatchError> {
        // Set once the probe exists (it must be watched by this very watcher).
        let probe_path = Arc::new(OnceLock::<PathBuf>::new());
        let probe_for_handler = Arc::clone(&probe_path);
        let shared = Arc::clone(&self.shared);
        let handler = move |event: notify::Result<Event>| {
            shared.record(event, probe_for_handler.get().map(PathBuf::as_path));
        };
        #[cfg_attr(not(target_os = "linux"), allow(unused_mut))]
        let mut native =
            RecommendedWatcher::new(handler, no_symlinks(Config::default())).map_err(|source| {
                WatchError::Start {
                    backend: "native",
                    source,
                }
            })?;
        #[cfg(target_os = "linux")]
        {
            self.probe = Probe::create(&mut native);
            if let Some(probe) = &self.probe {
                let _ = probe_path.set(probe.path.clone());
            }
        }
        self.native = Some(native);
        Ok(())
    }

    fn start_polling(&mut self) -> Result<(), WatchError> {
        if self.polling.is_some() {
            return Ok(());
        }
        let shared = Arc::clone(&self.shared);
        // Modification times are compared in whole seconds: two saves within one second are
        // told apart by their contents.
        let config = no_symlinks(Config::default())
            .with_poll_interval(self.poll_interval)
            .with_compare_contents(true);
        let polling =
            PollWatcher::new(move |e| shared.record(e, None), config).map_err(|source| {
                WatchError::Start {
                    backend: "polling",
                    source,
                }
            })?;
        self.polling = Some(polling);
        Ok(())
    }

    /// `"native"`, `"polling"`, `"native+polling"` (native until the watch limit, then
    /// polling) or `"closed"`.
    pub fn backend(&self) -> &'static str {
        match (
            self.native.is_some(),
            self.polling.is_some(),
            self.fell_back,
        ) {
            (true, _, true) => "native+polling",
            (true, _, false) => "native",
            (false, true, _) => "polling",
            (false, false, _) => "closed",
        }
    }

    /// Watch the files directly inside `dir` (not its subdirectories). Counted: each call
    /// needs one [`FileWatcher::unwatch_dir`] to stop. Returns how the directory is watched and
    /// whether this call started watching it.
    pub fn watch_dir(&mut self, dir: &Path) -> Result<(Coverage, bool), WatchError> {
        if let Some((count, coverage)) = self.owners.get_mut(dir) {
            *count += 1;
            return Ok((*coverage, false));
        }
        let coverage = self.add(dir)?;
        self.owners.insert(dir.to_path_buf(), (1, coverage));
        self.shared.lock().watched_dirs.insert(dir.to_path_buf());
        Ok((coverage, true))
    }

    fn add(&mut self, dir: &Path) -> Result<Coverage, WatchError> {
        if self.shared.lock().closed {
            return Err(WatchError::Closed);
        }
        let native_full = self
            .native_limit
            .is_some_and(|limit| self.native_dirs() >= limit);
        if let Some(native) = self.native.as_mut() {
            let result = if native_full {
                Err(notify::Error::new(notify::ErrorKind::MaxFilesWatch))
            } else {
                native.watch(dir, RecursiveMode::NonRecursive)
            };
            match result {
                Ok(()) => return Ok(self.native_coverage()),
                Err(e) if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) => {
                    if !self.fell_back {
                        self.fell_back = true;
                        self.fallback_warning = Some(format!(
                            "the system's limit of inotify watches is reached at {}: further \
                             directories are polled every {} ms (raise \
                             fs.inotify.max_user_watches to watch them natively)",
                            dir.display(),
                            self.poll_interval.as_millis()
                        ));
                    }
                }
                Err(source) => {
                    return Err(WatchError::Watch {
                        path: dir.display().to_string(),
                        source,
                    })
                }
            }
        }
        self.start_polling()?;
        let polling = self.polling.as_mut().ok_or(WatchError::Closed)?;
        polling
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|source| WatchError::Watch {
                path: dir.display().to_string(),
                source,
            })?;
        Ok(Coverage::Polled)
    }

    fn native_coverage(&self) -> Coverage {
        #[cfg(target_os = "linux")]
        if self.probe.is_some() {
            return Coverage::Immediate;
        }
        Coverage::Native
    }

    fn native_dirs(&self) -> usize {
        self.owners
            .values()
            .filter(|(_, c)| *c != Coverage::Polled)
            .count()
    }

    /// One user of `dir` no longer needs it; the last one stops watching it.
    pub fn unwatch_dir(&mut self, dir: &Path) {
        let Some((count, coverage)) = self.owners.get_mut(dir) else {
            return;
        };
        *count -= 1;
        if *count > 0 {
            return;
        }
        let coverage = *coverage;
        self.owners.remove(dir);
        self.shared.lock().watched_dirs.remove(dir);
        let _ = match coverage {
            Coverage::Polled => self.polling.as_mut().map(|w| w.unwatch(dir)),
            _ => self.native.as_mut().map(|w| w.unwatch(dir)),
        };
    }

    /// How `dir` is watched, if it is.
    pub fn coverage(&self, dir: &Path) -> Option<Coverage> {
        self.owners.get(dir).map(|(_, c)| *c)
    }

    /// The warning to give once when the native backend ran out of watches.
    pub fn take_fallback_warning(&mut self) -> Option<String> {
        self.fallback_warning.take()
    }

    /// Test hook: pretend the native backend can take only `limit` directories.
    pub fn set_native_limit(&mut self, limit: Option<usize>) {
        self.native_limit = limit;
    }

    /// Every path touched since the last call, once every event written before this call has
    /// been recorded (the probe round trip), or [`Touched::Everything`] when that cannot be
    /// known. Watched directories that were removed are watched again if they are back.
    pub fn touched(&mut self) -> Touched {
        let confirmed = self.confirm_delivery();
        let (lost, everything, dirty) = {
            let mut state = self.shared.lock();
            let lost = std::mem::take(&mut state.lost_dirs);
            let everything = std::mem::take(&mut state.everything);
            (lost, everything, std::mem::take(&mut state.dirty))
        };
        for dir in lost {
            self.rewatch(&dir);
        }
        if everything || !confirmed {
            Touched::Everything
        } else {
            Touched::Paths(dirty)
        }
    }

    /// Whether every event written before this call is in the shared state.
    fn confirm_delivery(&mut self) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(probe) = self.probe.as_mut() {
            if !probe.poke() {
                return false;
            }
            let target = probe.written;
            let deadline = std::time::Instant::now() + PROBE_TIMEOUT;
            let mut state = self.shared.lock();
            while state.probe_seen < target {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    // Whatever arrives late must not end a later wait early.
                    probe.written = state.probe_seen.max(probe.written);
                    return false;
                }
                state = self
                    .shared
                    .changed
                    .wait_timeout(state, left)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            }
            return true;
        }
        false
    }

    fn rewatch(&mut self, dir: &Path) {
        let Some((count, coverage)) = self.owners.get(dir).copied() else {
            return;
        };
        let _ = match coverage {
            Coverage::Polled => self.polling.as_mut().map(|w| w.unwatch(dir)),
            _ => self.native.as_mut().map(|w| w.unwatch(dir)),
        };
        if dir.is_dir() {
            if let Ok(coverage) = self.add(dir) {
                self.owners.insert(dir.to_path_buf(), (count, coverage));
                return;
            }
        }
        // Still gone: look again at the next scan.
        let mut state = self.shared.lock();
        state.lost_dirs.push(dir.to_path_buf());
        state.everything = true;
    }

    /// A new consumer of batches (auto-refresh).
    pub fn subscribe(&self) -> Subscription {
        let mut state = self.shared.lock();
        let id = state.next_subscriber;
        state.next_subscriber += 1;
        state.subscribers.insert(id, Batch::default());
        Subscription {
            shared: Arc::clone(&self.shared),
            id,
        }
    }

    /// Stop both backends and wake every waiting subscriber. Safe to call twice.
    pub fn close(&mut self) {
        self.native = None;
        self.polling = None;
        #[cfg(target_os = "linux")]
        {
            self.probe = None;
        }
        let mut state = self.shared.lock();
        state.closed = true;
        self.shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("limeade-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn a_write_is_touched_at_once_and_a_save_burst_is_one_batch() {
        let dir = temp_dir("fw-burst");
        let mut watcher = FileWatcher::new(false, Duration::from_millis(100)).expect("starts");
        let (coverage, new) = watcher.watch_dir(&dir).expect("watches");
        assert!(new);
        let sub = watcher.subscribe();
        let file = dir.join("m.py");
        std::fs::write(&file, "X = 1\n").expect("write");
        if coverage == Coverage::Immediate {
            match watcher.touched() {
                Touched::Paths(paths) => assert!(paths.contains(&file), "{paths:?}"),
                Touched::Everything => panic!("the probe must confirm delivery"),
            }
        }
        // Write a temporary file and rename it over the original, as editors do.
        let temp = dir.join("m.py.tmp");
        std::fs::write(&temp, "X = 2\n").expect("write");
        std::fs::rename(&temp, &file).expect("rename");
        let debounce = Duration::from_millis(50);
        let Waited::Batch(batch) = sub.wait(debounce, Duration::from_secs(5)) else {
            panic!("no batch");
        };
        assert!(batch.paths.contains(&file), "{:?}", batch.paths);
        assert!(matches!(
            sub.wait(debounce, Duration::from_millis(200)),
            Waited::Timeout
        ));
        sub.close();
        watcher.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Edits under the target of a link that leaves the watched directory are no event, with
    /// either backend; an edit inside, made after them, is (the watcher was alive all along).
    #[cfg(unix)]
    #[test]
    fn links_out_of_a_watched_directory_are_not_followed() {
        for poll in [false, true] {
            let base = temp_dir(if poll {
                "fw-links-poll"
            } else {
                "fw-links-native"
            });
            let (tree, outside) = (base.join("tree"), base.join("outside"));
            std::fs::create_dir_all(&tree).expect("tree");
            std::fs::create_dir_all(outside.join("pkg")).expect("outside");
            let target = outside.join("settings.cfg");
            std::fs::write(&target, "a = 1\n").expect("write");
            std::fs::write(outside.join("pkg").join("m.py"), "X = 1\n").expect("write");
            std::os::unix::fs::symlink(&target, tree.join("settings.cfg")).expect("link");
            std::os::unix::fs::symlink(outside.join("pkg"), tree.join("pkg")).expect("link");
            let mut watcher = FileWatcher::new(poll, Duration::from_millis(50)).expect("starts");
            watcher.watch_dir(&tree).expect("watches");
            let sub = watcher.subscribe();
            std::fs::write(&target, "a = 2, and longer\n").expect("write");
            std::fs::write(outside.join("pkg").join("m.py"), "X = 2\n").expect("write");
            std::fs::write(outside.join("pkg").join("new.py"), "Y = 1\n").expect("write");
            // A few poll intervals, so the edits above are polled before the one below.
            std::thread::sleep(Duration::from_millis(300));
            let inside = tree.join("inside.cfg");
            std::fs::write(&inside, "b = 1\n").expect("write");
            let mut seen = HashSet::new();
            while !seen.contains(&inside) {
                let Waited::Batch(batch) =
                    sub.wait(Duration::from_millis(20), Duration::from_secs(10))
                else {
                    panic!("the edit inside was not seen (poll: {poll})");
                };
                seen.extend(batch.paths);
            }
            let linked = [tree.join("settings.cfg"), tree.join("pkg")];
            assert!(
                seen.iter()
                    .all(|p| !linked.contains(p) && !p.starts_with(&outside)),
                "poll: {poll}: {seen:?}"
            );
            watcher.close();
            let _ = std::fs::remove_dir_all(&base);
        }
    }

    #[test]
    fn directories_beyond_the_native_limit_are_polled_with_one_warning() {
        let dir = temp_dir("fw-limit");
        let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
        for d in [&a, &b, &c] {
            std::fs::create_dir_all(d).expect("dir");
        }
        let mut watcher = FileWatcher::new(false, Duration::from_millis(50)).expect("starts");
        watcher.set_native_limit(Some(1));
        assert_ne!(watcher.watch_dir(&a).expect("a").0, Coverage::Polled);
        assert_eq!(watcher.watch_dir(&b).expect("b").0, Coverage::Polled);
        assert_eq!(watcher.watch_dir(&c).expect("c").0, Coverage::Polled);
        assert!(watcher.take_fallback_warning().is_some());
        assert!(watcher.take_fallback_warning().is_none(), "warned once");
        let sub = watcher.subscribe();
        let file = c.join("late.py");
        std::fs::write(&file, "X = 1\n").expect("write");
        let Waited::Batch(batch) = sub.wait(Duration::from_millis(20), Duration::from_secs(5))
        else {
            panic!("a polled directory reports changes too");
        };
        assert!(batch.paths.contains(&file), "{:?}", batch.paths);
        watcher.close();
        assert!(matches!(
            sub.wait(Duration::ZERO, Duration::from_secs(1)),
            Waited::Closed
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
