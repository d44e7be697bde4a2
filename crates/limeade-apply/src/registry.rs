//! Tracked modules: the source each one was loaded from (recorded at import, never re-read), its
//! parsed tree (kept so the next edit re-parses only what changed), and cheap change detection
//! (`tracked.rs`): file stamps first, then the bytes compared with the running text, never
//! `.pyc` files.

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use limeade_plan::tree::ModuleTree;
use limeade_plan::{
    decode_source, default_readers, plan_parsed, DefaultReader, ImportBinding, LineStart,
    ModuleMeta, ParsedModule, ParsedPair, Plan, PlanError, SharedText, Version,
};
use rustc_hash::FxHashMap;

use crate::error::RegistryError;
use crate::later::LaterReader;
pub use crate::loader_source::LoaderSource;
pub use crate::stamp::Stamp;
use crate::warm::WarmParser;
use crate::watch::FileWatcher;
use deferred::Deferred;
use importers::ImportersIndex;
use tracked::{scan_one, Tracked};

/// The process's file watcher, shared by the registry and auto-refresh.
pub type SharedWatcher = Arc<Mutex<FileWatcher>>;

/// A refresh that replaced at least this many bytes of source (all its modules together)
/// keeps their new texts packed (see [`limeade_plan::KeptText`]): one that large (a branch
/// switched, a dependency upgraded) is not followed by edits of every module of it, and packing
/// costs it about 3 ms per MB, a few percent of its time. The modules of a smaller refresh may
/// be the ones being edited (a sweep of a package repeated, `rich`'s 1.2 MB: packing and
/// unpacking again would add 5 ms to each of its 60-90 ms).
pub const PACK_AFTER: usize = 2 << 20;

/// How often polled directories are looked at.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// What a scan found for one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// The file's text differs from what the program runs.
    Changed(String),
    /// The file is gone: the module is skipped, the program keeps what it has.
    Deleted(String),
    /// The file cannot be read or decoded.
    Unreadable {
        /// Module name.
        name: String,
        /// Why.
        reason: String,
    },
}

/// Every tracked module, keyed by name.
#[derive(Debug, Default)]
pub struct Registry {
    modules: FxHashMap<String, Tracked>,
    /// Module names by source path (a file can back two modules, e.g. `__main__` and `app`).
    by_path: FxHashMap<PathBuf, Vec<String>>,
    /// Reports which files were touched, so an idle scan need not `stat` every module.
    watcher: Option<SharedWatcher>,
    /// Directories of tracked files, watched for the registry (again after a backend change).
    dirs: HashSet<PathBuf>,
    /// Files touched since the last full scan.
    dirty: HashSet<PathBuf>,
    /// The next scan must check every file (new modules, unwatchable files, lost events).
    full_scan_due: bool,
    /// Modules whose path is not their file's real path (symbolic links): always checked.
    always_scan: Vec<String>,
    /// Per directory of a tracked file: whether it is its own real path (no link on the way).
    real_dirs: FxHashMap<PathBuf, bool>,
    /// Modules tracked since their folders were last watched: watched at the next scan, or at
    /// once while `watch_at_once` is set. A watched folder reports every file opened in it
    /// (inotify cannot leave opens out), so watching while a program imports hundreds of
    /// modules from its folders would wake the watcher's thread for every file the import
    /// reads; nothing is missed meanwhile, because a newly tracked module is checked at the
    /// next scan anyway (`full_scan_due`), after its folder is watched.
    unwatched: Vec<String>,
    /// Watch a newly tracked module's folder at once (set while an auto-refresh watcher runs,
    /// which learns of edits only through the watches).
    watch_at_once: bool,
    /// Parses the running sources in the background once imports went quiet.
    warm: WarmParser,
    /// Every tracked module's `from m import X` bindings by source module `m`, built once all
    /// are known and dropped whenever one changes (a module tracked, untracked or refreshed): a
    /// refresh of many modules asks [`Registry::importers_of`] once per module.
    importers: Option<ImportersIndex>,
    /// Modules tracked by stamp whose source the background reader has yet to hand over
    /// ([`Registry::track_later`]); every query of the registry takes the reads first.
    deferred: FxHashMap<String, Deferred>,
    /// How many deferred tracks were made (each read is matched to its track).
    deferred_count: u64,
    /// Reads the files of deferred tracks.
    reader: LaterReader,
    /// Deferred tracks that failed (the file changed before it was read, or cannot be read or
    /// decoded): `(name, why)`, for the caller to log.
    lost: Vec<(String, String)>,
}

impl Registry {
    /// A registry that watches tracked files' directories (natively, or by polling when
    /// `poll` is set); without a watcher every scan checks every file.
    pub fn with_watcher(poll: bool) -> Registry {
        Registry {
            watcher: FileWatcher::new(poll, POLL_INTERVAL)
                .ok()
                .map(|w| Arc::new(Mutex::new(w))),
            full_scan_due: true,
            ..Registry::default()
        }
    }

    /// Track `meta` as running `source` (the bytes it was compiled from) with `stamp`.
    pub fn track(
        &mut self,
        meta: ModuleMeta,
        source: &[u8],
        stamp: Stamp,
    ) -> Result<(), RegistryError> {
        let text = decode_source(source, &meta.path, Version::Old)?;
        self.track_text(meta, text, stamp);
        Ok(())
    }

    /// Track `meta` as running `text` (already decoded, by [`Registry::track`] or by tests).
    pub fn track_text(&mut self, meta: ModuleMeta, text: String, stamp: Stamp) {
        let name = meta.name.clone();
        // A deferred track of an earlier import is superseded by this one.
        self.deferred.remove(&name);
        let path = PathBuf::from(&meta.path);
        if self.watch_at_once {
            self.mark_coverage(&name, &path);
        } else {
            self.unwatched.push(name.clone());
        }
        // Changes between reading the file and watching it would be missed otherwise.
        self.full_scan_due = true;
        if let Some(previous) = self.modules.get(&name) {
            let old_path = PathBuf::from(&previous.meta.path);
            if let Some(names) = self.by_path.get_mut(&old_path) {
                names.retain(|n| n != &name);
            }
        }
        self.by_path.entry(path).or_default().push(name.clone());
        let text: SharedText = Arc::new(text);
        self.warm.submit(&meta, &text);
        let tracked = Tracked::new(meta, text, stamp, false);
        self.importers = None;
        self.modules.insert(name, tracked);
    }

    /// Move the background parser's finished trees into the versions they were parsed from,
    /// compact (texts packed, trees encoded), with their `from m import X` bindings.
    fn absorb_warm(&mut self) {
        for (name, text, warm) in self.warm.take_all() {
            let (Some(tracked), Ok(warm)) = (self.modules.get_mut(&name), warm) else {
                // Untracked meanwhile, or a parse error: the planner reports it when asked.
                continue;
            };
            let same = (tracked.current.text.plain()).is_some_and(|kept| Arc::ptr_eq(kept, &text));
            if !tracked.current.is_parsed() && same {
                tracked.current.text = warm.module.kept_text().clone();
                tracked.current.frozen = Some(warm.module);
                tracked.bindings.get_or_insert(warm.bindings);
            }
        }
    }

    /// How many running sources the background parser has yet to parse.
    pub fn warm_queue(&self) -> usize {
        self.warm.queued()
    }

    /// Track `meta`, loaded by a custom loader, as running `source`. Nothing is read from
    /// `meta.path` (it may not be a file): the current source comes from
    /// [`Registry::offer_source`], and scans report the module changed only after an offer
    /// differed from what runs.
    pub fn track_offered(
        &mut self,
        meta: ModuleMeta,
        source: LoaderSource<'_>,
    ) -> Result<(), RegistryError> {
        let text = source.decode(&meta.path, Version::Old)?;
        let name = meta.name.clone();
        self.untrack(&name);
        self.importers = None;
        self.modules.insert(
            name,
            Tracked::new(meta, Arc::new(text), Stamp::default(), true),
        );
        Ok(())
    }

    /// The current source of a module tracked with [`Registry::track_offered`], as its loader
    /// gives it now; returns whether it differs from what the program runs (then it is pending,
    /// or its decoding error is, and planning reports it).
    pub fn offer_source(
        &mut self,
        name: &str,
        source: LoaderSource<'_>,
    ) -> Result<bool, RegistryError> {
        let tracked = self
            .modules
            .get_mut(name)
            .filter(|t| t.offered)
            .ok_or_else(|| RegistryError::NotTracked(name.to_owned()))?;
        if let Some(news) = tracked.known_version(|text| source.is(text), Stamp::default()) {
            return Ok(news);
        }
        match source.decode(&tracked.meta.path, Version::New) {
            Ok(text) => Ok(tracked.now_holds(text, Stamp::default())),
            Err(e) => {
                tracked.pending = None;
                tracked.pending_error = Some(e);
                Ok(true)
            }
        }
    }

    /// Stop tracking `name`.
    pub fn untrack(&mut self, name: &str) -> bool {
        let deferred = self.deferred.remove(name).is_some();
        self.warm.forget(name);
        self.importers = None;
        let Some(tracked) = self.modules.remove(name) else {
            return deferred;
        };
        self.always_scan.retain(|n| n != name);
        if let Some(names) = self.by_path.get_mut(Path::new(&tracked.meta.path)) {
            names.retain(|n| n != name);
        }
        true
    }

    /// Whether `name` is tracked.
    pub fn contains(&mut self, name: &str) -> bool {
        self.settle_deferred();
        self.modules.contains_key(name)
    }

    /// Tracked module names, sorted.
    pub fn names(&mut self) -> Vec<String> {
        self.settle_deferred();
        let mut names: Vec<String> = self.modules.keys().cloned().collect();
        names.sort_unstable();
        names
    }

    /// Path of a tracked module.
    pub fn path(&mut self, name: &str) -> Option<&str> {
        self.settle_deferred();
        self.modules.get(name).map(|t| t.meta.path.as_str())
    }

    /// The source the program runs for `name` (unpacked if it was packed; `None` also if
    /// it does not unpack, which no text packed here does).
    pub fn source(&mut self, name: &str) -> Option<Cow<'_, str>> {
        self.settle_deferred();
        let tracked = self.modules.get(name)?;
        tracked.current.text.text(&tracked.meta.path).ok()
    }

    /// The pending (on-disk) source for `name`, if a scan found one.
    pub fn pending_source(&mut self, name: &str) -> Option<&str> {
        self.settle_deferred();
        self.modules
            .get(name)?
            .pending
            .as_ref()
            .and_then(|p| p.text.plain())
            .map(|text| text.as_str())
    }

    /// [`Registry::pending_source`], shared (it stays valid after the version is accepted),
    /// with the lines its top-level statements start on, once it is parsed (see
    /// [`limeade_plan::line_ranges`]).
    pub fn pending_text(&mut self, name: &str) -> Option<(SharedText, Vec<LineStart>)> {
        self.settle_deferred();
        let tracked = self.modules.get(name)?;
        let pending = tracked.pending.as_ref()?;
        let starts = pending
            .parsed
            .as_ref()
            .map(ParsedModule::line_starts)
            .unwrap_or_default();
        Some((pending.text.shared(&tracked.meta.path).ok()?, starts))
    }

    /// Whether the file at `name`'s path is, by its stamp, the version the program runs (the
    /// stamp taken when that version was read): then whoever reads the file (`linecache`) gets
    /// the running lines, and no copy of them need be kept. `false` for modules of custom
    /// loaders, whose path is never read here.
    pub fn file_is_running_version(&mut self, name: &str) -> bool {
        self.settle_deferred();
        self.modules.get(name).is_some_and(|t| {
            !t.offered
                && t.current.stamp != Stamp::default()
                && Stamp::of(Path::new(&t.meta.path)).is_ok_and(|now| now == t.current.stamp)
        })
    }

    /// Look at the files of `names` (all when `None`): a stamp that differs leads to a read and a
    /// hash; a different hash records the new text as pending and reports the module changed.
    pub fn scan(&mut self, names: Option<&[String]>) -> Vec<ScanOutcome> {
        self.settle_deferred();
        let mut out = Vec::new();
        // Before looking at any file: an edit after this is reported by the watch.
        self.watch_tracked();
        self.absorb_warm();
        self.collect_touched();
        let selected: Vec<String> = match names {
            Some(names) => {
                for name in names {
                    if let Some(t) = self.modules.get(name) {
                        self.dirty.remove(Path::new(&t.meta.path));
                    }
                }
                names.to_vec()
            }
            None if self.full_scan_due => {
                self.full_scan_due = false;
                self.dirty.clear();
                let mut all: Vec<String> = self.modules.keys().cloned().collect();
                all.sort_unstable();
                all
            }
            None => {
                let mut some: Vec<String> = self
                    .dirty
                    .drain()
                    .filter_map(|path| self.by_path.get(&path))
                    .flatten()
                    .cloned()
                    .collect();
                some.extend(
                    self.modules
                        .values()
                        .filter(|t| t.pending.is_some() || t.pending_error.is_some() || t.problem)
                        .map(|t| t.meta.name.clone()),
                );
                some.extend(self.always_scan.iter().cloned());
                some.sort_unstable();
                some.dedup();
                some
            }
        };
        for name in selected {
            let Some(tracked) = self.modules.get_mut(&name) else {
                continue;
            };
            if let Some(outcome) = scan_one(tracked) {
                out.push(outcome);
            }
        }
        out
    }

    /// Plan the pending versions of `names`. Old trees are parsed once and kept; new versions are
    /// re-parsed incrementally from them. Errors name the file, line and column.
    pub fn plan(&mut self, names: &[String]) -> Result<Plan, RegistryError> {
        self.settle_deferred();
        self.absorb_warm();
        for name in names {
            let tracked = self
                .modules
                .get_mut(name)
                .ok_or_else(|| RegistryError::NotTracked(name.clone()))?;
            if tracked.current.parse(&tracked.meta.path)? {
                // Parsed here: the background parser's job for it (queued, or running now)
                // would make a second tree, kept until the next absorb only to be dropped.
                self.warm.forget(name);
            }
            if let Some(error) = &tracked.pending_error {
                return Err(RegistryError::Plan(error.clone()));
            }
            let Some(pending) = tracked.pending.as_mut() else {
                continue;
            };
            if pending.parsed.is_none() {
                let old = tracked
                    .current
                    .parsed
                    .as_ref()
                    .ok_or_else(|| PlanError::Internal {
                        path: tracked.meta.path.clone(),
                        message: "old tree missing".to_owned(),
                    })?;
                let (new, _) = old.reparse_shared(pending.text.shared(&tracked.meta.path)?)?;
                pending.parsed = Some(new);
            }
        }
        let mut pairs = Vec::with_capacity(names.len());
        for name in names {
            let tracked = &self.modules[name];
            let (Some(old), Some(new)) = (
                tracked.current.parsed.as_ref(),
                tracked.pending.as_ref().and_then(|p| p.parsed.as_ref()),
            ) else {
                continue;
            };
            pairs.push(ParsedPair {
                meta: &tracked.meta,
                old,
                new,
            });
        }
        let plan = plan_parsed(&pairs);
        for module in &plan.modules {
            if let Some(pending) = self
                .modules
                .get_mut(&module.module)
                .and_then(|t| t.pending.as_mut())
            {
                pending.bindings = Some(module.bindings.clone());
            }
        }
        Ok(plan)
    }

    /// The tree of the source `name` runs, parsed when first needed (`None` when untracked or
    /// when it does not parse).
    fn current_tree(&mut self, name: &str) -> Option<&ModuleTree> {
        self.settle_deferred();
        self.absorb_warm();
        let tracked = self.modules.get_mut(name)?;
        // Not parsed before (now, or it does not parse): no background parse of it is of use.
        if tracked.current.parse(&tracked.meta.path).unwrap_or(true) {
            self.warm.forget(name);
        }
        let tracked = self.modules.get(name)?;
        tracked.current.parsed.as_ref().map(ParsedModule::tree)
    }

    /// Functions of `module`'s running source (module level and methods of its classes) whose
    /// default expressions read one of `names`, with those expressions.
    pub fn default_readers(&mut self, module: &str, names: &[String]) -> Vec<DefaultReader> {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.current_tree(module)
            .map(|tree| default_readers(tree, &names))
            .unwrap_or_default()
    }

    /// Heap bytes the registry keeps for its tracked modules, by kind (for the memory
    /// benchmark): the recorded source texts, copies of them held by their parsed versions
    /// (none while they are shared), the definition trees, and the `from m import X` bindings.
    pub fn memory_use(&mut self) -> Vec<(&'static str, usize)> {
        self.settle_deferred();
        self.absorb_warm();
        let (mut source, mut copies, mut trees, mut bindings) = (0, 0, 0, 0);
        for tracked in self.modules.values() {
            for version in std::iter::once(&tracked.current).chain(&tracked.pending) {
                source += version.text.heap_bytes();
                if let Some(parsed) = &version.parsed {
                    if !parsed.kept_text().same_allocation(&version.text) {
                        copies += parsed.kept_text().heap_bytes();
                    }
                    trees += parsed.tree_heap_bytes();
                }
                if let Some(frozen) = &version.frozen {
                    if !frozen.kept_text().same_allocation(&version.text) {
                        copies += frozen.kept_text().heap_bytes();
                    }
                    trees += frozen.tree_heap_bytes();
                }
            }
            for binding in tracked.bindings.iter().flatten() {
                bindings += std::mem::size_of::<ImportBinding>()
                    + binding.importer.capacity()
                    + binding.bound_as.capacity()
                    + binding.name.capacity()
                    + binding.source_module.capacity();
            }
        }
        vec![
            ("source_text", source),
            ("parsed_text_copies", copies),
            ("trees", trees),
            ("bindings", bindings),
        ]
    }

    /// The pending versions of `names` were applied: they are what the program runs now.
    /// After a large refresh (see [`PACK_AFTER`]) their texts are kept packed.
    pub fn accept(&mut self, names: &[String]) {
        self.settle_deferred();
        self.importers = None;
        let replaced: usize = names
            .iter()
            .filter_map(|name| self.modules.get(name)?.pending.as_ref())
            .map(|pending| pending.text.len())
            .sum();
        for name in names {
            if let Some(tracked) = self.modules.get_mut(name) {
                if let Some(mut pending) = tracked.pending.take() {
                    // The plan's bindings of this version, or none: computed when first asked.
                    tracked.bindings = pending.bindings.take();
                    let replaced_version = std::mem::replace(&mut tracked.current, pending);
                    if let Some(parsed) = replaced_version.parsed {
                        parsed.free();
                    }
                    if replaced >= PACK_AFTER {
                        tracked.current.compact();
                    }
                    // A background parse of the version it ran before is of no use any more.
                    self.warm.forget(name);
                }
                tracked.pending_error = None;
            }
        }
    }
}

/// The watcher, even if a thread panicked while holding it.
fn lock(watcher: &SharedWatcher) -> MutexGuard<'_, FileWatcher> {
    watcher
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

mod coverage;
mod deferred;
mod importers;
mod tracked;

#[cfg(test)]
mod tests;
