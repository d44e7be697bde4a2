//! What a change does to live objects. The live side decides it (it needs the live objects);
//! the words are named here, next to the plan's other words, so `str(plan)`, the refresh
//! report, `cargo xtask plan` and the logs say the same thing.

use serde::Serialize;

/// The outcome of one change on live objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The live function or class was changed in place: every reference sees the new version.
    UpdatedInPlace,
    /// A new definition or statement result was bound under its name.
    Added,
    /// A new object was bound under the name; old references keep the old object.
    Replaced,
    /// A dataclass or enum kept in place with its regenerated parts moved onto it.
    Grafted,
    /// A class kept in place with new base classes assigned (and its `__slots__`, if changed).
    KeptWithNewBases,
    /// A class kept in place whose literal `__slots__` changed: added slots are served by
    /// descriptors of limeade's, removed ones kept for the old instances.
    KeptWithNewSlots,
    /// The live function was kept and given its new name.
    Renamed,
    /// A changed statement ran again.
    Ran,
    /// A copy another module holds (`from m import f`, `import *`) was bound anew or dropped.
    Rebound,
    /// Live closures made from a changed nested function got the new code.
    ClosureUpdated,
    /// Nothing live was changed for it (no live object holds it, its free variables changed,
    /// the `__main__` guard).
    NotUpdated,
    /// The name was removed from the live module or class (or a registry).
    Removed,
    /// Results computed by the old code were dropped (`functools.lru_cache`).
    CacheCleared,
    /// `__limeade_migrate__` ran for the old instances of a class.
    Migrated,
    /// Only running the new code tells (what changed decorators return, whether bases a class
    /// added in the same edit can be assigned): a prediction, never a report.
    DecidedWhenRun,
}

impl Outcome {
    /// Every outcome, for vocabularies handed to other layers.
    pub const ALL: [Outcome; 15] = [
        Outcome::UpdatedInPlace,
        Outcome::Added,
        Outcome::Replaced,
        Outcome::Grafted,
        Outcome::KeptWithNewBases,
        Outcome::KeptWithNewSlots,
        Outcome::Renamed,
        Outcome::Ran,
        Outcome::Rebound,
        Outcome::ClosureUpdated,
        Outcome::NotUpdated,
        Outcome::Removed,
        Outcome::CacheCleared,
        Outcome::Migrated,
        Outcome::DecidedWhenRun,
    ];

    /// The words shown beside a change.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::UpdatedInPlace => "updated in place",
            Outcome::Added => "added",
            Outcome::Replaced => "replaced",
            Outcome::Grafted => "grafted",
            Outcome::KeptWithNewBases => "kept with new bases",
            Outcome::KeptWithNewSlots => "kept with new slots",
            Outcome::Renamed => "renamed",
            Outcome::Ran => "ran",
            Outcome::Rebound => "rebound in importer",
            Outcome::ClosureUpdated => "closure updated",
            Outcome::NotUpdated => "not updated",
            Outcome::Removed => "removed",
            Outcome::CacheCleared => "cache cleared",
            Outcome::Migrated => "migrated",
            Outcome::DecidedWhenRun => "decided when the new code runs",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_a_distinct_label() {
        let mut labels: Vec<_> = Outcome::ALL.iter().map(|o| o.label()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), Outcome::ALL.len());
    }
}
