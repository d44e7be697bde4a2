//! `limeade._native`: the private extension module. Thin wrappers that turn Python calls into
//! `limeade-plan` / `limeade-apply` calls and Rust errors into Python exceptions, in one place.

mod heap;
mod objects;
mod watch;

use std::path::PathBuf;

use limeade_apply::{
    LoaderSource, Mutation, MutationLog, Registry, RegistryError, ScanOutcome, Stamp,
};
use limeade_plan::{
    decode_source, Aspect, Execution, ModuleMeta, ModuleSource, Outcome, PlanError, Version,
};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

create_exception!(
    _native,
    PlanFailure,
    PyException,
    "Planning failed: args are (message, path, line, col, kind); line and col are None when \
     unknown; kind is one word (`syntax`, `unsupported`, `decode`, `too_deep`, `internal`)."
);

/// Turn a planning error into `PlanFailure(message, path, line, col, kind)`.
fn plan_failure(error: &PlanError) -> PyErr {
    let (line, col) = match error.location() {
        Some((line, col)) => (Some(line), Some(col)),
        None => (None, None),
    };
    PlanFailure::new_err((
        error.to_string(),
        error.path().to_owned(),
        line,
        col,
        error.kind(),
    ))
}

fn registry_failure(error: RegistryError) -> PyErr {
    match error {
        RegistryError::Plan(e) => plan_failure(&e),
        RegistryError::NotTracked(name) => PyKeyError::new_err(name),
    }
}

/// Call `f` with a loader's source given as `bytes` or `str`.
fn with_loader_source<T>(
    source: &Bound<'_, PyAny>,
    f: impl FnOnce(LoaderSource<'_>) -> Result<T, RegistryError>,
) -> PyResult<T> {
    if let Ok(bytes) = source.cast::<pyo3::types::PyBytes>() {
        return f(LoaderSource::Encoded(bytes.as_bytes())).map_err(registry_failure);
    }
    let text: String = source.extract().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err("a module's source must be bytes or str")
    })?;
    f(LoaderSource::Decoded(&text)).map_err(registry_failure)
}

/// A plan made by the Rust planner: what a refresh would change.
#[pyclass(module = "limeade._native", frozen)]
struct Plan {
    plan: limeade_plan::Plan,
}

#[pymethods]
impl Plan {
    /// The compact text (`~ C.method  body`, `! C  metaclass changed ...`).
    fn render(&self) -> String {
        self.plan.render()
    }

    /// The compact text with each change's predicted outcome: `outcomes` maps module -> the
    /// kind and outcome in words (`body -> updated in place`) of each change, in the order
    /// [`Plan::changes`] gives them, shown in place of its kind; `elsewhere` maps module ->
    /// lines about what its refresh does in other places (shown after its changes).
    fn render_with_outcomes(
        &self,
        outcomes: limeade_plan::OutcomeNotes,
        elsewhere: std::collections::HashMap<String, Vec<String>>,
    ) -> String {
        limeade_plan::render_plan_with(&self.plan, &outcomes, &elsewhere)
    }

    /// Each module's changes as every view names them: module -> `[(key, shown, kind)]` in
    /// plan order (`key` is what the change's outcome is recorded under).
    fn changes(&self) -> std::collections::HashMap<String, Vec<(String, String, String)>> {
        self.plan
            .modules
            .iter()
            .map(|m| {
                let lines = limeade_plan::module_changes(m)
                    .into_iter()
                    .map(|c| (c.key, c.shown, c.kind))
                    .collect();
                (m.module.clone(), lines)
            })
            .collect()
    }

    /// The whole plan as JSON.
    fn to_json(&self) -> String {
        self.plan.to_json()
    }

    /// What the live side needs, as compact JSON: every changed definition and statement, every
    /// class (the live side walks classes to reach members), conflicts, unbound names, and per
    /// scope the names the new source binds there.
    fn actions_json(&self) -> String {
        limeade_apply::actions::actions_json(&self.plan)
    }

    /// [`Plan::actions_json`]'s data as Python objects (dicts, lists, strings, ints), built
    /// directly: decoding the JSON cost a sweep of every moved definition more than planning it.
    fn actions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        pythonize::pythonize_custom::<objects::Interned, _>(
            py,
            &limeade_apply::actions::actions(&self.plan),
        )
        .map_err(|e| PyValueError::new_err(format!("plan actions: {e}")))
    }
}

fn module_source(
    name: String,
    path: String,
    is_package: bool,
    old: String,
    new: String,
) -> ModuleSource {
    ModuleSource {
        meta: ModuleMeta {
            name,
            path,
            is_package,
        },
        old,
        new,
    }
}

fn plan_modules(batch: &[ModuleSource]) -> PyResult<Plan> {
    limeade_plan::plan(batch)
        .map(|plan| Plan { plan })
        .map_err(|e| plan_failure(&e))
}

/// `(name in the plan's JSON, word for people)` pairs.
type Vocabulary = Vec<(String, String)>;

/// The plan's words for people, keyed by the names its JSON uses: `(aspects, executions,
/// outcomes)`
/// (`"kw_defaults"` -> `"kw-only defaults"`, `"definitions_only"` -> `"update definitions
/// only"`), so plan text, reports and logs say the same thing.
#[pyfunction]
fn labels() -> PyResult<(Vocabulary, Vocabulary, Vocabulary)> {
    let key = |value: serde_json::Value| value.as_str().map(str::to_owned).unwrap_or_default();
    let to_key = |value: Result<serde_json::Value, serde_json::Error>| {
        value
            .map(key)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    };
    let mut aspects = Vec::new();
    for aspect in Aspect::ALL {
        aspects.push((
            to_key(serde_json::to_value(aspect))?,
            aspect.label().to_owned(),
        ));
    }
    let mut executions = Vec::new();
    for execution in Execution::ALL {
        executions.push((
            to_key(serde_json::to_value(execution))?,
            execution.to_string(),
        ));
    }
    let mut outcomes = Vec::new();
    for outcome in Outcome::ALL {
        outcomes.push((
            to_key(serde_json::to_value(outcome))?,
            outcome.label().to_owned(),
        ));
    }
    Ok((aspects, executions, outcomes))
}

/// One module of `plan_batch`: `(name, path, is_package, old bytes, new bytes)`.
type BatchModule = (String, String, bool, Vec<u8>, Vec<u8>);

/// Plan a batch of modules from their raw bytes, decoded as the interpreter would (PEP 263):
/// `[(name, path, is_package, old, new)]`. What `python -m limeade plan` prints.
#[pyfunction]
fn plan_batch(modules: Vec<BatchModule>) -> PyResult<Plan> {
    let mut batch = Vec::with_capacity(modules.len());
    for (name, path, is_package, old, new) in modules {
        let old = decode_source(&old, &path, Version::Old).map_err(|e| plan_failure(&e))?;
        let new = decode_source(&new, &path, Version::New).map_err(|e| plan_failure(&e))?;
        batch.push(module_source(name, path, is_package, old, new));
    }
    plan_modules(&batch)
}

/// `(module name, is_package)` of a `/`-separated path relative to a source root.
/// A version of a module's source as the registry holds it, shared (not copied): the new
/// version a refresh compiles from. A refresh that compiles one definition takes only its
/// lines; the whole text becomes a Python `str` only when something needs all of it.
#[pyclass(module = "limeade._native", name = "SourceText", frozen)]
struct PySourceText {
    text: limeade_plan::SharedText,
    /// Where the lines of its top-level statements start (empty when it was not parsed).
    starts: Vec<limeade_plan::LineStart>,
}

#[pymethods]
impl PySourceText {
    /// The whole text.
    fn text(&self) -> &str {
        &self.text
    }

    /// For each span `(first, last)` (1-based, inclusive), those lines as the compiler counts
    /// them (split at `\n` only), with their line ends (a last line without one gets one).
    fn lines(&self, spans: Vec<(usize, usize)>) -> Vec<String> {
        limeade_plan::line_ranges(&self.text, &self.starts, &spans)
            .into_iter()
            .map(|cut| {
                let mut out = cut.to_owned();
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out
            })
            .collect()
    }

    fn __len__(&self) -> usize {
        self.text.len()
    }
}

#[pyfunction]
fn module_name_from_path(relative: &str) -> (String, bool) {
    limeade_plan::module_name_from_path(relative)
}

/// The tracked modules: the source each runs, its tree, and change detection.
#[pyclass(module = "limeade._native", name = "Registry")]
struct PyRegistry {
    registry: Registry,
}

#[pymethods]
impl PyRegistry {
    /// `poll`: watch by polling instead of the native backend.
    #[new]
    #[pyo3(signature = (poll=false))]
    fn new(poll: bool) -> Self {
        PyRegistry {
            registry: Registry::with_watcher(poll),
        }
    }

    /// The file watcher change detection reads (shared with auto-refresh), if one runs.
    fn watcher(&self) -> Option<watch::PyFileWatcher> {
        self.registry
            .watcher()
            .map(|inner| watch::PyFileWatcher { inner })
    }

    /// Watch with a new backend (polling when `poll`), the same directories.
    fn replace_watcher(&mut self, poll: bool) -> PyResult<watch::PyFileWatcher> {
        self.registry
            .replace_watcher(poll)
            .map(|inner| watch::PyFileWatcher { inner })
            .map_err(watch::watch_failure)
    }

    /// In a forked child: forget the parent's watcher and start a new one.
    fn reset_after_fork(&mut self, poll: bool) -> Option<watch::PyFileWatcher> {
        self.registry
            .reset_after_fork(poll)
            .map(|inner| watch::PyFileWatcher { inner })
    }

    /// Stop watching (interpreter exit); later scans check every file.
    fn close_watcher(&mut self) {
        self.registry.close_watcher();
    }

    /// Watch each newly tracked module's folder as it is tracked (while an auto-refresh watcher
    /// runs), or from the next scan on.
    fn set_watch_at_once(&mut self, at_once: bool) {
        self.registry.set_watch_at_once(at_once);
    }

    /// The warning to give once when directories had to be polled for lack of native watches.
    fn take_watch_warning(&self) -> Option<String> {
        self.registry.take_watch_warning()
    }

    /// Track a module as running `source` (the exact bytes it was compiled from). The file's
    /// stamp is taken now; call this before reading the file's bytes for compilation.
    #[pyo3(signature = (name, path, is_package, source, stamp=None))]
    fn track(
        &mut self,
        name: String,
        path: String,
        is_package: bool,
        source: &[u8],
        stamp: Option<(i128, u64, u64)>,
    ) -> PyResult<()> {
        let stamp = match stamp {
            Some((mtime_ns, size, inode)) => Stamp {
                mtime_ns,
                size,
                inode,
            },
            None => Stamp::of(&PathBuf::from(&path)).unwrap_or_default(),
        };
        self.registry
            .track(
                ModuleMeta {
                    name,
                    path,
                    is_package,
                },
                source,
                stamp,
            )
            .map_err(registry_failure)
    }

    /// Track a module, run from a bytecode cache validated against `stamp`, as running the bytes
    /// its file held with that stamp: read in the background (at once when the file is recent).
    /// Returns `False` when the file no longer has `stamp` or cannot be read: the caller reads
    /// and compiles it itself. Failures found later are given by `take_lost`.
    fn track_later(
        &mut self,
        name: String,
        path: String,
        is_package: bool,
        stamp: (i128, u64, u64),
    ) -> PyResult<bool> {
        let (mtime_ns, size, inode) = stamp;
        let meta = ModuleMeta {
            name,
            path,
            is_package,
        };
        let stamp = Stamp {
            mtime_ns,
            size,
            inode,
        };
        self.registry
            .track_later(meta, stamp)
            .map_err(registry_failure)
    }

    /// `[(name, why)]`: modules whose background read failed since the last call (not tracked).
    fn take_lost(&mut self) -> Vec<(String, String)> {
        self.registry.take_lost()
    }

    /// Track a module of a custom loader as running `source` (`bytes` from `get_data`, decoded
    /// like a file, or `str` from `get_source`). `path` is the file name its code was compiled
    /// with; nothing is read from it: the current source comes from `offer_source`.
    fn track_offered(
        &mut self,
        name: String,
        path: String,
        is_package: bool,
        source: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let meta = ModuleMeta {
            name,
            path,
            is_package,
        };
        with_loader_source(source, |source| self.registry.track_offered(meta, source))
    }

    /// The current source of a `track_offered` module (`bytes` or `str`); returns whether it
    /// differs from what the program runs.
    fn offer_source(&mut self, name: &str, source: &Bound<'_, PyAny>) -> PyResult<bool> {
        with_loader_source(source, |source| self.registry.offer_source(name, source))
    }

    /// Stop tracking a module; returns whether it was tracked.
    fn untrack(&mut self, name: &str) -> bool {
        self.registry.untrack(name)
    }

    fn __contains__(&mut self, name: &str) -> bool {
        self.registry.contains(name)
    }

    /// Tracked module names, sorted.
    fn names(&mut self) -> Vec<String> {
        self.registry.names()
    }

    /// Path of a tracked module.
    fn path(&mut self, name: &str) -> Option<String> {
        self.registry.path(name).map(str::to_owned)
    }

    /// The source the program runs.
    fn source(&mut self, name: &str) -> Option<String> {
        self.registry.source(name).map(std::borrow::Cow::into_owned)
    }

    /// The newer source a scan found on disk.
    fn pending_source(&mut self, name: &str) -> Option<&str> {
        self.registry.pending_source(name)
    }

    /// The newer source a scan found on disk, shared: lines are cut out of it natively.
    fn pending_text(&mut self, name: &str) -> Option<PySourceText> {
        self.registry
            .pending_text(name)
            .map(|(text, starts)| PySourceText { text, starts })
    }

    /// Look for edits: `[(name, "changed" | "deleted" | "unreadable", detail)]`.
    #[pyo3(signature = (names=None))]
    fn scan(&mut self, names: Option<Vec<String>>) -> Vec<(String, &'static str, String)> {
        self.registry
            .scan(names.as_deref())
            .into_iter()
            .map(|outcome| match outcome {
                ScanOutcome::Changed(name) => (name, "changed", String::new()),
                ScanOutcome::Deleted(name) => (name, "deleted", String::new()),
                ScanOutcome::Unreadable { name, reason } => (name, "unreadable", reason),
            })
            .collect()
    }

    /// Plan the pending versions of `names` (raises `PlanFailure`).
    fn plan(&mut self, names: Vec<String>) -> PyResult<Plan> {
        self.registry
            .plan(&names)
            .map(|plan| Plan { plan })
            .map_err(registry_failure)
    }

    /// `[(importer, bound_as, name)]`: where other tracked modules copied names of `source`
    /// with `from source import name as bound_as` (`("*", "*")` for `from source import *`).
    fn importers_of(&mut self, source: &str) -> Vec<(String, String, String)> {
        self.registry.importers_of(source)
    }

    /// `[(qualname, first_line, [(param, index, text, line, reads)])]`: functions of `module`'s
    /// running source whose default expressions read one of `names` (`index` is the position
    /// in `__defaults__`, `None` for a keyword-only parameter).
    #[allow(clippy::type_complexity)]
    fn default_readers(
        &mut self,
        module: &str,
        names: Vec<String>,
    ) -> Vec<(
        String,
        usize,
        Vec<(String, Option<usize>, String, usize, Vec<String>)>,
    )> {
        self.registry
            .default_readers(module, &names)
            .into_iter()
            .map(|r| {
                let defaults = r
                    .defaults
                    .into_iter()
                    .map(|d| (d.param, d.index, d.text, d.line, d.reads))
                    .collect();
                (r.qualname, r.first_line, defaults)
            })
            .collect()
    }

    /// Whether the module's file is, by its stamp, the version the program runs.
    fn file_is_running_version(&mut self, name: &str) -> bool {
        self.registry.file_is_running_version(name)
    }

    /// Heap bytes the registry keeps, by kind (for the memory benchmark).
    fn memory_use(&mut self) -> Vec<(&'static str, usize)> {
        self.registry.memory_use()
    }

    /// How many running sources the background parser has yet to parse.
    fn warm_queue(&self) -> usize {
        self.registry.warm_queue()
    }

    /// The pending versions of `names` are now what the program runs.
    fn accept(&mut self, names: Vec<String>) {
        self.registry.accept(&names);
    }
}

/// Apply mutation tuples atomically; returns the log that can undo them.
#[pyfunction]
fn commit(py: Python<'_>, mutations: &Bound<'_, PyList>) -> PyResult<MutationLog> {
    let parsed: Vec<Mutation> = mutations
        .iter()
        .map(|item| Mutation::from_tuple(item.cast::<PyTuple>()?))
        .collect::<PyResult<_>>()?;
    limeade_apply::commit(py, &parsed)
}

/// Whether CPython accepts `new_bases` as the bases of `cls`: assigned and reverted within one
/// native call, so no other thread can see the class in between (the metaclass must not
/// override `mro()`, which the caller checks).
#[pyfunction]
fn bases_assignable(
    py: Python<'_>,
    cls: &Bound<'_, pyo3::types::PyType>,
    new_bases: &Bound<'_, PyTuple>,
) -> PyResult<bool> {
    let setattr = py
        .get_type::<pyo3::types::PyType>()
        .getattr("__setattr__")?;
    let old = cls.getattr("__bases__")?;
    if setattr.call1((cls, "__bases__", new_bases)).is_err() {
        return Ok(false);
    }
    setattr.call1((cls, "__bases__", old))?;
    Ok(true)
}

/// Test hook: make mutation `k` (counted from now) fail; `None` turns it off.
#[pyfunction]
#[pyo3(signature = (k=None))]
fn set_fail_at(k: Option<u64>) {
    limeade_apply::fault::set_fail_at(k);
}

/// Test hook: mutations counted since `set_fail_at` armed injection.
#[pyfunction]
fn mutation_count() -> u64 {
    limeade_apply::fault::mutation_count()
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("PlanFailure", m.py().get_type::<PlanFailure>())?;
    m.add_class::<Plan>()?;
    m.add_class::<PyRegistry>()?;
    m.add_class::<MutationLog>()?;
    m.add_class::<watch::PyFileWatcher>()?;
    m.add_class::<watch::PySubscription>()?;
    m.add_function(wrap_pyfunction!(plan_batch, m)?)?;
    m.add_function(wrap_pyfunction!(module_name_from_path, m)?)?;
    m.add_class::<PySourceText>()?;
    m.add_function(wrap_pyfunction!(labels, m)?)?;
    m.add_function(wrap_pyfunction!(commit, m)?)?;
    m.add_function(wrap_pyfunction!(set_fail_at, m)?)?;
    m.add_function(wrap_pyfunction!(bases_assignable, m)?)?;
    m.add_function(wrap_pyfunction!(mutation_count, m)?)?;
    m.add_function(wrap_pyfunction!(heap::functions_with_code, m)?)?;
    Ok(())
}
