//! The compact human rendering of a plan: one line per change, conflicts marked `!`. The same text
//! is what `cargo xtask plan` prints and what `str(plan)` shows in Python.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use crate::plan::{Aspect, DefinitionAction, DefinitionStatus, ModulePlan, Plan, StatementStatus};
use crate::tree::Span;

/// What the live side predicts each change does, by module, one entry per change in
/// [`module_changes`] order (two conflicts of one class share a key): the change's kind with
/// its outcome (`body -> updated in place`), shown in place of the kind.
pub type OutcomeNotes = HashMap<String, Vec<String>>;

/// Render a whole batch: the apply order, then each module.
pub fn render_plan(plan: &Plan) -> String {
    render_plan_with(plan, &OutcomeNotes::new(), &HashMap::new())
}

/// [`render_plan`] with each change's kind and predicted outcome (`~ f  body -> updated in
/// place`, the words the refresh report uses) and, per module, lines about what its refresh
/// does elsewhere (copies in importers rebound, registry entries removed, defaults
/// re-evaluated: found by the live side), shown after the module's own changes as `* line`.
pub fn render_plan_with(
    plan: &Plan,
    outcomes: &OutcomeNotes,
    elsewhere: &HashMap<String, Vec<String>>,
) -> String {
    let mut out = String::new();
    if plan.modules.len() > 1 || !plan.order.cycles.is_empty() {
        let order: Vec<String> = plan
            .order
            .groups
            .iter()
            .map(|g| {
                if g.len() == 1 {
                    g[0].clone()
                } else {
                    format!("{{{}}}", g.join(", "))
                }
            })
            .collect();
        let _ = writeln!(out, "apply order: {}", order.join(" -> "));
        for cycle in &plan.order.cycles {
            let _ = writeln!(
                out,
                "! import cycle: {} (applied as one group, in name order)",
                cycle.join(", ")
            );
        }
        for edge in plan.order.edges.iter().filter(|e| e.weak) {
            let _ = writeln!(
                out,
                "  {} imports {} inside a function (weak)",
                edge.importer, edge.imported
            );
        }
        out.push('\n');
    }
    for (i, module) in plan.modules.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let notes = outcomes.get(&module.module);
        out.push_str(&render_module_with(module, &|i| {
            notes.and_then(|n| n.get(i)).map(String::as_str)
        }));
        for line in elsewhere.get(&module.module).into_iter().flatten() {
            let _ = writeln!(out, "* {line}");
        }
    }
    out
}

/// Render one module's plan.
pub fn render_module(plan: &ModulePlan) -> String {
    render_module_with(plan, &|_| None)
}

/// One change of a module as every view names it: the plan text, `plan.changes` and the
/// refresh report (Python) and `cargo xtask plan` all read these, so they agree word for word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLine {
    /// What the live side records the change's outcome under: a definition's `name` (`C.x#2`),
    /// a statement's `name label status`, an unbound name, a conflict's class.
    pub key: String,
    /// The name shown (`C.m`, `old -> new` for a rename).
    pub shown: String,
    /// What changed, in words: the aspects (`body, kw-only defaults`), `added`, `removed`,
    /// `renamed`, `assignment changed`, `unbound`, `conflict: <reason>`.
    pub kind: String,
    /// The plan text's mark: `~` changed, `=` only moved, `+` added, `-` removed or unbound,
    /// `>` renamed, `!` conflict.
    pub mark: char,
    /// Where, for the plan text only (`function, line 12`, `line 6 -> 12`); may be empty.
    pub place: String,
}

/// The changes of one module, once each, in plan order: definitions, statements, names no
/// longer bound, conflicts. A removed definition a rename keeps is the rename; a removed
/// name is one change (its definition or statement), not also an unbound name; a class whose
/// only change is its header is told by its conflicts.
pub fn module_changes(plan: &ModulePlan) -> Vec<ChangeLine> {
    let renamed_away: HashSet<&str> = plan
        .definitions
        .iter()
        .filter_map(|d| d.renamed_from.as_deref())
        .collect();
    let conflicted: HashSet<&str> = plan.conflicts.iter().map(|c| c.qualname.as_str()).collect();
    let mut out = Vec::new();
    let mut gone: HashSet<&str> = renamed_away.clone();
    for def in &plan.definitions {
        let line = |span: Option<Span>| span.map(|s| s.start_line).unwrap_or_default();
        let change = match def.status {
            DefinitionStatus::Unchanged => continue,
            DefinitionStatus::Removed if renamed_away.contains(def.qualname.as_str()) => continue,
            DefinitionStatus::Changed
                if def.aspects == [Aspect::Header]
                    && conflicted.contains(def.qualname.as_str()) =>
            {
                continue
            }
            DefinitionStatus::Added => match &def.renamed_from {
                Some(old) if def.action == DefinitionAction::Rename => ChangeLine {
                    key: def.name.clone(),
                    shown: format!("{old} -> {}", def.qualname),
                    kind: RENAMED.to_owned(),
                    mark: '>',
                    place: format!("{}, line {}", kind_word(def.kind), line(def.new_span)),
                },
                _ => ChangeLine {
                    key: def.name.clone(),
                    shown: def.name.clone(),
                    kind: ADDED.to_owned(),
                    mark: '+',
                    place: format!("{}, line {}", kind_word(def.kind), line(def.new_span)),
                },
            },
            DefinitionStatus::Removed => {
                if !def.qualname.contains('.') {
                    gone.insert(def.qualname.as_str());
                }
                ChangeLine {
                    key: def.name.clone(),
                    shown: def.name.clone(),
                    kind: REMOVED.to_owned(),
                    mark: '-',
                    place: format!("{}, line {}", kind_word(def.kind), line(def.old_span)),
                }
            }
            DefinitionStatus::Changed => {
                let only_moved = def.aspects == [Aspect::Moved];
                let place = match (def.old_span, def.new_span) {
                    (Some(a), Some(b)) if a.start_line != b.start_line => {
                        format!("line {} -> {}", a.start_line, b.start_line)
                    }
                    _ if only_moved => "lines inside".to_owned(),
                    _ => String::new(),
                };
                let aspects: Vec<&str> = def.aspects.iter().map(|a| a.label()).collect();
                ChangeLine {
                    key: def.name.clone(),
                    shown: def.name.clone(),
                    kind: aspects.join(", "),
                    mark: if only_moved { '=' } else { '~' },
                    place,
                }
            }
        };
        out.push(change);
    }
    for stmt in &plan.statements {
        let (mark, status) = match stmt.status {
            StatementStatus::Unchanged => continue,
            StatementStatus::Changed => ('~', "changed"),
            StatementStatus::Added => ('+', "added"),
            StatementStatus::Removed => ('-', "removed"),
        };
        if stmt.status == StatementStatus::Removed && stmt.scope.is_empty() {
            gone.extend(stmt.binds.iter().map(String::as_str));
        }
        let line = stmt.new_span.or(stmt.old_span).map(|s| s.start_line);
        out.push(ChangeLine {
            key: format!("{} {} {status}", stmt.name, stmt.label),
            shown: stmt.name.clone(),
            kind: format!("{} {status}", stmt.label),
            mark,
            place: format!("line {}", line.unwrap_or_default()),
        });
    }
    for name in &plan.unbound_names {
        if !gone.contains(name.as_str()) {
            out.push(ChangeLine {
                key: name.clone(),
                shown: name.clone(),
                kind: UNBOUND.to_owned(),
                mark: '-',
                place: String::new(),
            });
        }
    }
    for conflict in &plan.conflicts {
        out.push(ChangeLine {
            key: conflict.qualname.clone(),
            shown: conflict.qualname.clone(),
            kind: format!("{CONFLICT}: {}", conflict.reason),
            mark: '!',
            place: format!("line {}", conflict.line),
        });
    }
    out
}

/// The kind of an added definition, a removed one, a rename, a name no longer bound and a
/// conflict (the prefix of its reason): the words every view uses.
pub const ADDED: &str = "added";
/// See [`ADDED`].
pub const REMOVED: &str = "removed";
/// See [`ADDED`].
pub const RENAMED: &str = "renamed";
/// See [`ADDED`].
pub const UNBOUND: &str = "unbound";
/// See [`ADDED`].
pub const CONFLICT: &str = "conflict";

/// `described(i)`: the words of the `i`th change with its outcome, where known.
fn render_module_with<'a>(
    plan: &ModulePlan,
    described: &dyn Fn(usize) -> Option<&'a str>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "module {} ({}): {}",
        plan.module, plan.path, plan.execution
    );
    for (i, change) in module_changes(plan).iter().enumerate() {
        let text = described(i).unwrap_or(&change.kind);
        let place = if change.place.is_empty() {
            String::new()
        } else {
            format!("  [{}]", change.place)
        };
        let _ = writeln!(out, "{} {}  {text}{place}", change.mark, change.shown);
    }
    // A removed and an added function with the same code that are not renamed (the added one
    // is a second definition of its name): shown, as they are run as new code.
    for rename in plan.renames.iter().filter(|r| {
        !plan
            .definitions
            .iter()
            .any(|d| d.renamed_from.as_deref() == Some(r.old_qualname.as_str()))
    }) {
        let _ = writeln!(
            out,
            "# {} -> {}  same code, not renamed",
            rename.old_qualname, rename.new_qualname
        );
    }
    for reader in &plan.stale_defaults {
        let params: Vec<String> = reader
            .defaults
            .iter()
            .map(|d| format!("{} (reads {})", d.param, d.reads.join(", ")))
            .collect();
        let _ = writeln!(
            out,
            "^ {}  default re-evaluated: {} (line {})",
            reader.qualname,
            params.join(", "),
            reader.def_line
        );
    }
    // The `from m import X` bindings of the import statements the edit added or changed (every
    // binding of the module would repeat its unchanged imports on each plan).
    let edited: Vec<Span> = plan
        .statements
        .iter()
        .filter(|s| matches!(s.status, StatementStatus::Added | StatementStatus::Changed))
        .filter_map(|s| s.new_span)
        .collect();
    for binding in plan.bindings.iter().filter(|b| {
        edited
            .iter()
            .any(|s| (s.start_line..=s.end_line).contains(&b.line))
    }) {
        let alias = if binding.bound_as == binding.name {
            String::new()
        } else {
            format!(" as {}", binding.bound_as)
        };
        let _ = writeln!(
            out,
            "< from {} import {}{alias}  (line {})",
            binding.source_module, binding.name, binding.line
        );
    }
    out
}

fn kind_word(kind: crate::plan::DefinitionKind) -> &'static str {
    match kind {
        crate::plan::DefinitionKind::Function => "function",
        crate::plan::DefinitionKind::AsyncFunction => "async function",
        crate::plan::DefinitionKind::Class => "class",
    }
}
