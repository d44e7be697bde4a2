//! Class header conflicts: changes that cannot be applied by mutating the live class (bases,
//! metaclass, class keywords, `__slots__`, enum members).

use std::collections::BTreeSet;

use rustc_hash::FxHashSet as HashSet;

use crate::plan::{Conflict, ConflictKind, StatementChange, StatementStatus};
use crate::tree::{Class, Slots};

/// Base classes whose subclasses are enums: their class-level assignments are members.
const ENUM_BASES: &[&str] = &["Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum"];

#[allow(clippy::too_many_arguments)]
pub(crate) fn class_conflicts(
    qualname: &str,
    line: usize,
    old: &Class,
    new: &Class,
    statements: &[StatementChange],
    module_rebinds: &HashSet<String>,
    out: &mut Vec<Conflict>,
) {
    let mut push = |kind: ConflictKind, reason: String| {
        out.push(Conflict {
            qualname: qualname.to_owned(),
            line,
            kind,
            reason,
        });
    };
    // `metaclass=type` and a base `object` spell out what a class statement does anyway:
    // `class K:` -> `class K(object, metaclass=type):` makes the same class, no conflict.
    let old_meta = old
        .metaclass
        .clone()
        .unwrap_or_else(|| DEFAULT_METACLASS.to_owned());
    let new_meta = new
        .metaclass
        .clone()
        .unwrap_or_else(|| DEFAULT_METACLASS.to_owned());
    if old_meta != new_meta {
        push(
            ConflictKind::MetaclassChanged {
                old: old_meta.clone(),
                new: new_meta.clone(),
            },
            format!("metaclass changed: {old_meta} -> {new_meta} (cannot mutate in place)"),
        );
    }
    if explicit_bases(&old.bases) != explicit_bases(&new.bases) {
        push(
            ConflictKind::BasesChanged {
                old: old.bases.to_vec(),
                new: new.bases.to_vec(),
            },
            format!(
                "bases changed: ({}) -> ({})",
                old.bases.join(", "),
                new.bases.join(", ")
            ),
        );
    }
    if old.type_params != new.type_params {
        let old_params = old.type_params.clone().unwrap_or_default();
        let new_params = new.type_params.clone().unwrap_or_default();
        push(
            ConflictKind::TypeParamsChanged {
                old: old_params.clone(),
                new: new_params.clone(),
            },
            format!(
                "type parameters changed: {} -> {} (cannot mutate in place)",
                if old_params.is_empty() {
                    "none"
                } else {
                    &old_params
                },
                if new_params.is_empty() {
                    "none"
                } else {
                    &new_params
                },
            ),
        );
    }
    if old.keywords != new.keywords {
        push(
            ConflictKind::ClassKeywordsChanged {
                old: old.keywords.to_vec(),
                new: new.keywords.to_vec(),
            },
            format!(
                "class keywords changed: ({}) -> ({}) (__init_subclass__ would see other arguments)",
                old.keywords.join(", "),
                new.keywords.join(", ")
            ),
        );
    }
    match (&old.slots, &new.slots) {
        (None, None) => {}
        (Some(Slots::Dynamic { expression, reads }), _)
        | (_, Some(Slots::Dynamic { expression, reads })) => {
            let slots_statement_changed = old.slots != new.slots
                || statements.iter().any(|s| {
                    s.scope == qualname
                        && matches!(
                            s.status,
                            StatementStatus::Changed | StatementStatus::Removed
                        )
                        && s.binds.iter().any(|b| b == "__slots__")
                });
            if slots_statement_changed || reads.iter().any(|r| module_rebinds.contains(r.as_str()))
            {
                push(
                    ConflictKind::SlotsDynamic {
                        expression: expression.clone(),
                    },
                    format!("__slots__ = {expression} may change the instance layout (computed at class creation)"),
                );
            }
        }
        (old_slots, new_slots) => {
            let names = |s: &Option<Slots>| match s {
                Some(Slots::Literal(n)) => n.clone(),
                _ => Vec::new(),
            };
            let (old_names, new_names) = (names(old_slots), names(new_slots));
            if old_names != new_names || old_slots.is_some() != new_slots.is_some() {
                let old_set: BTreeSet<&String> = old_names.iter().collect();
                let new_set: BTreeSet<&String> = new_names.iter().collect();
                let added: Vec<String> = new_names
                    .iter()
                    .filter(|n| !old_set.contains(n))
                    .cloned()
                    .collect();
                let removed: Vec<String> = old_names
                    .iter()
                    .filter(|n| !new_set.contains(n))
                    .cloned()
                    .collect();
                let reason = if added.is_empty() && removed.is_empty() {
                    "__slots__ reordered (instance layout differs)".to_owned()
                } else {
                    format!(
                        "__slots__ changed: added [{}], removed [{}] (instance layout differs)",
                        added.join(", "),
                        removed.join(", ")
                    )
                };
                push(ConflictKind::SlotsChanged { added, removed }, reason);
            }
        }
    }
    let is_enum = new.bases.iter().any(|b| {
        let last = b.rsplit('.').next().unwrap_or(b);
        ENUM_BASES.contains(&last)
    });
    if is_enum {
        let members: Vec<String> = statements
            .iter()
            .filter(|s| {
                s.scope == qualname
                    && matches!(
                        s.status,
                        StatementStatus::Changed | StatementStatus::Removed
                    )
                    && s.label == "assignment"
            })
            .flat_map(|s| s.binds.iter().filter(|b| !b.starts_with('_')).cloned())
            .collect();
        if !members.is_empty() {
            push(
                ConflictKind::EnumMembersChanged {
                    members: members.clone(),
                },
                format!(
                    "enum members changed or removed: {} (members are created once, with the class)",
                    members.join(", ")
                ),
            );
        }
    }
}

/// The metaclass of a class statement that names none.
const DEFAULT_METACLASS: &str = "type";

/// Bases other than `object`, which every class has last whether it is written or not.
fn explicit_bases(bases: &[String]) -> Vec<&str> {
    bases
        .iter()
        .map(String::as_str)
        .filter(|b| *b != "object")
        .collect()
}
