//! Which tracked files may have changed since the last refresh, without a `stat` per module:
//! on Linux, an inotify descriptor on the tracked files' directories, read without blocking at
//! each scan. Events of writes that completed before the scan are already queued, so an edit
//! followed at once by `refresh()` is always seen. Elsewhere (or when the kernel's queue
//! overflowed) the caller falls back to checking every file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Paths reported as touched since the last drain, or "check everything".
#[derive(Debug, PartialEq, Eq)]
pub enum Touched {
    /// Only these files can have changed.
    Paths(HashSet<PathBuf>),
    /// Unknown: check every file.
    Everything,
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use inotify::{Inotify, WatchDescriptor, WatchMask};
    use rustc_hash::FxHashMap;

    /// inotify watches on directories.
    pub struct DirWatcher {
        inotify: Inotify,
        dirs: FxHashMap<WatchDescriptor, PathBuf>,
        watched: HashSet<PathBuf>,
        buffer: Vec<u8>,
    }

    impl DirWatcher {
        /// A watcher, or `None` when inotify is unavailable.
        pub fn new() -> Option<DirWatcher> {
            let inotify = Inotify::init().ok()?;
            Some(DirWatcher {
                inotify,
                dirs: FxHashMap::default(),
                watched: HashSet::new(),
                buffer: vec![0; 64 * 1024],
            })
        }

        /// Watch the directory holding `file`; false when it cannot be watched.
        pub fn watch_file(&mut self, file: &Path) -> bool {
            let Some(dir) = file.parent() else {
                return false;
            };
            if self.watched.contains(dir) {
                return true;
            }
            let mask = WatchMask::MODIFY
                | WatchMask::CLOSE_WRITE
                | WatchMask::ATTRIB
                | WatchMask::CREATE
                | WatchMask::DELETE
                | WatchMask::MOVED_FROM
                | WatchMask::MOVED_TO
                | WatchMask::DELETE_SELF
                | WatchMask::MOVE_SELF;
            match self.inotify.watches().add(dir, mask) {
                Ok(wd) => {
                    self.dirs.insert(wd, dir.to_path_buf());
                    self.watched.insert(dir.to_path_buf());
                    true
                }
                Err(_) => false,
            }
        }

        /// Everything queued since the last call, without blocking.
        pub fn drain(&mut self) -> Touched {
            let mut paths = HashSet::new();
            loop {
                let events = match self.inotify.read_events(&mut self.buffer) {
                    Ok(events) => events,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(_) => return Touched::Everything,
                };
                let mut any = false;
                for event in events {
                    any = true;
                    if event.mask.contains(inotify::EventMask::Q_OVERFLOW)
                        || event.mask.contains(inotify::EventMask::IGNORED)
                        || event.mask.contains(inotify::EventMask::DELETE_SELF)
                        || event.mask.contains(inotify::EventMask::MOVE_SELF)
                    {
                        return Touched::Everything;
                    }
                    if let (Some(dir), Some(name)) = (self.dirs.get(&event.wd), event.name) {
                        paths.insert(dir.join(name));
                    }
                }
                if !any {
                    break;
                }
            }
            Touched::Paths(paths)
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    /// No watcher on this platform: every scan checks every file.
    pub struct DirWatcher;

    impl DirWatcher {
        /// Always `None` here.
        pub fn new() -> Option<DirWatcher> {
            None
        }

        /// Unsupported.
        pub fn watch_file(&mut self, _file: &Path) -> bool {
            false
        }

        /// Unsupported.
        pub fn drain(&mut self) -> Touched {
            Touched::Everything
        }
    }
}

pub use imp::DirWatcher;

impl std::fmt::Debug for DirWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirWatcher")
    }
}
