//! Who imports what: every tracked module's `from m import X` bindings, indexed by source
//! module `m` for the refresh's rebinding of importers' copies.

use limeade_plan::{import_bindings, ImportBinding};
use rustc_hash::FxHashMap;

use super::{Registry, Tracked};

/// Per source module, its importers' `from m import X` bindings: `(importer, bound_as, name)`.
pub(super) type ImportersIndex = FxHashMap<String, Vec<(String, String, String)>>;

impl Registry {
    /// Every `from source import X` binding in the running source of the other tracked modules:
    /// `(importer, bound_as, name)`, with `("*", "*")` for `from source import *`. A refreshed
    /// module's bindings come from the plan it was refreshed by; another module's are computed
    /// from its tree when first asked (parsed then if needed) and kept until its source
    /// changes; a module that does not parse is skipped.
    pub fn importers_of(&mut self, source: &str) -> Vec<(String, String, String)> {
        self.settle_deferred();
        // Bindings are computed once per running version; usually none is missing, and a
        // refresh of many modules asks this once per module: no copy or sort of every name.
        let missing: Vec<String> = self
            .modules
            .iter()
            .filter(|(name, t)| t.bindings.is_none() && name.as_str() != source)
            .map(|(name, _)| name.clone())
            .collect();
        for name in missing {
            let bindings = match (
                self.modules.get(&name).map(|t| t.meta.clone()),
                self.current_tree(&name),
            ) {
                (Some(meta), Some(tree)) => import_bindings(&meta, tree),
                _ => Vec::new(),
            };
            if let Some(tracked) = self.modules.get_mut(&name) {
                tracked.bindings = Some(bindings);
            }
        }
        if self.importers.is_none() && self.modules.values().all(|t| t.bindings.is_some()) {
            self.importers = Some(index_importers(&self.modules));
        }
        if let Some(index) = &self.importers {
            return index.get(source).cloned().unwrap_or_default();
        }
        // The source's own bindings are not known yet: they are not needed for its importers.
        index_importers(&self.modules)
            .remove(source)
            .unwrap_or_default()
    }
}

/// Every known `from m import X` binding of `modules` by source module `m` (a module's import
/// of itself left out): `(importer, bound_as, name)`, by importer, each importer's bindings in
/// source order.
fn index_importers(modules: &FxHashMap<String, Tracked>) -> ImportersIndex {
    let mut found: Vec<(&str, &ImportBinding)> = modules
        .iter()
        .flat_map(|(name, t)| t.bindings.iter().flatten().map(move |b| (name.as_str(), b)))
        .filter(|(name, b)| b.source_module != *name)
        .collect();
    // By importer (a stable sort keeps each importer's source order).
    found.sort_by(|a, b| a.0.cmp(b.0));
    let mut index = ImportersIndex::default();
    for (_, b) in found {
        index.entry(b.source_module.clone()).or_default().push((
            b.importer.clone(),
            b.bound_as.clone(),
            b.name.clone(),
        ));
    }
    index
}
