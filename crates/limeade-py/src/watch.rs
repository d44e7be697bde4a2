//! The file watcher as Python sees it: a handle on the process's one watcher (shared with the
//! registry's change detection) and subscriptions that block, without the GIL, until a burst of
//! events is over.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use limeade_apply::{Coverage, FileWatcher, SharedWatcher, Subscription, Waited, WatchError};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

pub(crate) fn watch_failure(error: WatchError) -> PyErr {
    PyOSError::new_err(error.to_string())
}

fn coverage_name(coverage: Coverage) -> &'static str {
    match coverage {
        Coverage::Immediate => "immediate",
        Coverage::Native => "native",
        Coverage::Polled => "polled",
    }
}

/// The process's file watcher (native backend, or polling).
#[pyclass(module = "limeade._native", name = "FileWatcher", frozen)]
pub(crate) struct PyFileWatcher {
    pub(crate) inner: SharedWatcher,
}

impl PyFileWatcher {
    fn lock(&self) -> MutexGuard<'_, FileWatcher> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[pymethods]
impl PyFileWatcher {
    /// A watcher of its own (not the registry's): for tests and tools.
    #[new]
    #[pyo3(signature = (poll=false, poll_interval_ms=250))]
    fn new(poll: bool, poll_interval_ms: u64) -> PyResult<Self> {
        let watcher = FileWatcher::new(poll, Duration::from_millis(poll_interval_ms))
            .map_err(watch_failure)?;
        Ok(PyFileWatcher {
            inner: Arc::new(Mutex::new(watcher)),
        })
    }

    /// `"native"`, `"polling"`, `"native+polling"` or `"closed"`.
    #[getter]
    fn backend(&self) -> &'static str {
        self.lock().backend()
    }

    /// Watch the files directly in `path`: `(coverage, newly_watched)`, coverage one of
    /// `"immediate"`, `"native"`, `"polled"`. Each call needs one `unwatch_dir`.
    fn watch_dir(&self, path: &str) -> PyResult<(&'static str, bool)> {
        let (coverage, new) = self
            .lock()
            .watch_dir(Path::new(path))
            .map_err(watch_failure)?;
        Ok((coverage_name(coverage), new))
    }

    /// Undo one `watch_dir(path)`.
    fn unwatch_dir(&self, path: &str) {
        self.lock().unwatch_dir(Path::new(path));
    }

    /// The warning to give once when the native backend ran out of watches.
    fn take_fallback_warning(&self) -> Option<String> {
        self.lock().take_fallback_warning()
    }

    /// Test hook: pretend the native backend can take only `limit` directories.
    #[pyo3(signature = (limit=None))]
    fn set_native_limit(&self, limit: Option<usize>) {
        self.lock().set_native_limit(limit);
    }

    /// A new consumer of event batches.
    fn subscribe(&self) -> PySubscription {
        PySubscription {
            inner: self.lock().subscribe(),
        }
    }

    /// Stop both backends; waiting subscriptions return `"closed"`.
    fn close(&self) {
        self.lock().close();
    }
}

/// What `Subscription.wait` returns: `(status, paths, created_dirs, everything, errors)`.
type WaitResult = (&'static str, Vec<String>, Vec<String>, bool, Vec<String>);

/// One consumer of the watcher's events.
#[pyclass(module = "limeade._native", name = "Subscription", frozen)]
pub(crate) struct PySubscription {
    inner: Subscription,
}

#[pymethods]
impl PySubscription {
    /// Block (without the GIL) until something changed and no event came for `debounce_ms`,
    /// or `timeout_ms` passed: `("batch", paths, created_dirs, everything, errors)`,
    /// `("timeout", ...)` or `("closed", ...)` with empty fields.
    fn wait(&self, py: Python<'_>, debounce_ms: u64, timeout_ms: u64) -> WaitResult {
        let debounce = Duration::from_millis(debounce_ms);
        let timeout = Duration::from_millis(timeout_ms);
        let waited = py.detach(|| self.inner.wait(debounce, timeout));
        let text = |p: &Path| p.display().to_string();
        match waited {
            Waited::Batch(batch) => {
                let mut paths: Vec<String> = batch.paths.iter().map(|p| text(p)).collect();
                paths.sort_unstable();
                let dirs = batch.created_dirs.iter().map(|p| text(p)).collect();
                ("batch", paths, dirs, batch.everything, batch.errors)
            }
            Waited::Timeout => ("timeout", Vec::new(), Vec::new(), false, Vec::new()),
            Waited::Closed => ("closed", Vec::new(), Vec::new(), false, Vec::new()),
        }
    }

    /// Stop receiving batches; a thread blocked in `wait` returns `"closed"`.
    fn close(&self) {
        self.inner.close();
    }
}
