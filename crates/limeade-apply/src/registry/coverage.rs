//! How the registry learns of edits without looking at every file: the folders of tracked
//! modules are watched (natively, or polled where native watches ran out), and a module whose
//! events cannot be trusted (a symbolic link, a polled folder) is checked at every scan.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{lock, Registry, SharedWatcher, POLL_INTERVAL};
use crate::watch::{Coverage, FileWatcher, Touched, WatchError};

impl Registry {
    /// The file watcher, for auto-refresh to share.
    pub fn watcher(&self) -> Option<SharedWatcher> {
        self.watcher.clone()
    }

    /// Switch to a new watcher (native, or polling when `poll` is set) watching the same
    /// directories; the old one is closed.
    pub fn replace_watcher(&mut self, poll: bool) -> Result<SharedWatcher, WatchError> {
        let fresh = Arc::new(Mutex::new(FileWatcher::new(poll, POLL_INTERVAL)?));
        if let Some(old) = self.watcher.replace(Arc::clone(&fresh)) {
            lock(&old).close();
        }
        self.rewatch_all();
        Ok(fresh)
    }

    /// In the child of a `fork()`: the watcher's thread did not survive, and its descriptor is
    /// shared with the parent (reading it would steal the parent's events). Forget it without
    /// touching it (its locks may have been held at the fork) and start a new one.
    pub fn reset_after_fork(&mut self, poll: bool) -> Option<SharedWatcher> {
        if let Some(old) = self.watcher.take() {
            std::mem::forget(old);
        }
        // Its thread did not survive either (and may have held its lock): the child's first
        // plans parse as they need.
        std::mem::forget(std::mem::take(&mut self.warm));
        // The reader's thread is gone too: the deferred tracks are read here, now.
        std::mem::forget(std::mem::take(&mut self.reader));
        self.settle_deferred();
        self.watcher = FileWatcher::new(poll, POLL_INTERVAL)
            .ok()
            .map(|w| Arc::new(Mutex::new(w)));
        self.rewatch_all();
        self.watcher.clone()
    }

    /// Stop watching (at interpreter exit): later scans check every file.
    pub fn close_watcher(&mut self) {
        if let Some(old) = self.watcher.take() {
            lock(&old).close();
        }
        self.full_scan_due = true;
    }

    fn rewatch_all(&mut self) {
        self.full_scan_due = true;
        let dirs: Vec<PathBuf> = self.dirs.drain().collect();
        for dir in dirs {
            self.watch_dir(&dir);
        }
        self.unwatched.clear();
        let names: Vec<String> = self.modules.keys().cloned().collect();
        for name in names {
            let path = PathBuf::from(&self.modules[&name].meta.path);
            self.mark_coverage(&name, &path);
        }
    }

    /// Watch `dir` for the registry (once); how it is covered.
    fn watch_dir(&mut self, dir: &Path) -> Option<Coverage> {
        let watcher = self.watcher.as_ref()?;
        let mut watcher = lock(watcher);
        if self.dirs.contains(dir) {
            return watcher.coverage(dir);
        }
        let coverage = watcher.watch_dir(dir).ok()?.0;
        self.dirs.insert(dir.to_path_buf());
        Some(coverage)
    }

    /// Modules whose events are not confirmed before a scan (polled directories, platforms
    /// without the probe, symbolic links) are checked at every scan.
    pub(super) fn mark_coverage(&mut self, name: &str, path: &Path) {
        let coverage = path.parent().and_then(|dir| self.watch_dir(dir));
        // Through a symbolic link, events arrive for the link target's directory.
        let direct = self.is_real_path(path);
        self.always_scan.retain(|n| n != name);
        if !direct || coverage != Some(Coverage::Immediate) {
            self.always_scan.push(name.to_owned());
        }
    }

    /// Whether `path` is its file's real path: the file is not a symbolic link and its
    /// directory is its own real path. The directory's answer is kept: resolving every path
    /// component costs more than the rest of tracking a module at start-up.
    fn is_real_path(&mut self, path: &Path) -> bool {
        let (Some(dir), Ok(meta)) = (path.parent(), std::fs::symlink_metadata(path)) else {
            return false;
        };
        if meta.file_type().is_symlink() || !path.is_absolute() {
            return false;
        }
        if let Some(&real) = self.real_dirs.get(dir) {
            return real;
        }
        let real = std::fs::canonicalize(dir).is_ok_and(|resolved| resolved == dir);
        self.real_dirs.insert(dir.to_path_buf(), real);
        real
    }

    /// Watch the folders of the modules tracked since the last call (see `unwatched`).
    pub fn watch_tracked(&mut self) {
        for name in std::mem::take(&mut self.unwatched) {
            if let Some(tracked) = self.modules.get(&name) {
                let path = PathBuf::from(&tracked.meta.path);
                self.mark_coverage(&name, &path);
            }
        }
    }

    /// Watch newly tracked modules' folders as they are tracked (`true`, for an auto-refresh
    /// watcher; the folders of modules tracked before are watched now), or from the next scan
    /// on (`false`, the default).
    pub fn set_watch_at_once(&mut self, at_once: bool) {
        self.watch_at_once = at_once;
        if at_once {
            self.watch_tracked();
        }
    }

    /// The warning to give once when directories had to be polled for lack of native watches.
    pub fn take_watch_warning(&self) -> Option<String> {
        self.watcher
            .as_ref()
            .and_then(|w| lock(w).take_fallback_warning())
    }

    /// Move what the watcher saw into `dirty` (or schedule a full scan).
    pub(super) fn collect_touched(&mut self) {
        match self.watcher.as_ref().map(|w| lock(w).touched()) {
            Some(Touched::Paths(paths)) => self.dirty.extend(paths),
            Some(Touched::Everything) | None => self.full_scan_due = true,
        }
    }
}
