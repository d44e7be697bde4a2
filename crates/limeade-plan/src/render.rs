//! The compact human rendering of a plan: one line per change, conflicts marked `!`. The same text
//! is what `cargo xtask plan` prints and what `str(plan)` shows in Python.

use std::collections::HashMap;
use std::fmt::Write;

use crate::plan::{DefinitionStatus, ModulePlan, Plan, StatementStatus};
use crate::tree::Span;

/// What the live side predicts a change does, by module and change key (a definition's
/// `name`, a statement's `name label status`, a conflict's class), shown after the change.
pub type OutcomeNotes = HashMap<String, HashMap<String, String>>;

/// Render a whole batch: the apply order, then each module.
pub fn render_plan(plan: &Plan) -> String {
    render_plan_with(plan, &OutcomeNotes::new(), &HashMap::new())
}

/// [`render_plan`] with each change's predicted outcome after it (`~ f  body -> updated in
/// place`) and, per module, lines about what its refresh does elsewhere (copies in importers
/// rebound, registry entries removed, defaults re-evaluated: found by the live side), shown
/// after the module's own changes as `* line`.
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
        out.push_str(&render_module_with(module, &|key| {
            notes.and_then(|n| n.get(key)).map(String::as_str)
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

/// ` -> outcome` for a change whose outcome is known.
fn note(outcome: Option<&str>) -> String {
    outcome.map(|o| format!(" -> {o}")).unwrap_or_default()
}

fn render_module_with<'a>(plan: &ModulePlan, outcome: &dyn Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "module {} ({}): {}",
        plan.module, plan.path, plan.execution
    );
    for conflict in &plan.conflicts {
        let _ = writeln!(
            out,
            "! {}  {}{}",
            conflict.qualname,
            conflict.reason,
            note(outcome(&conflict.qualname))
        );
    }
    for def in &plan.definitions {
        let name = &def.name;
        match def.status {
            DefinitionStatus::Unchanged => {}
            DefinitionStatus::Added => {
                let line = def.new_span.map(|s| s.start_line).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "+ {name}  {} (line {line}){}",
                    kind_word(def.kind),
                    note(outcome(name))
                );
            }
            DefinitionStatus::Removed => {
                let _ = writeln!(
                    out,
                    "- {name}  {}{}",
                    kind_word(def.kind),
                    note(outcome(name))
                );
            }
            DefinitionStatus::Changed => {
                let aspects: Vec<&str> = def.aspects.iter().map(|a| a.label()).collect();
                let moved_lines = match (def.old_span, def.new_span) {
                    (Some(a), Some(b)) if a.start_line != b.start_line => {
                        format!(" (line {} -> {})", a.start_line, b.start_line)
                    }
                    _ if def.aspects == [crate::plan::Aspect::Moved] => {
                        " (lines inside)".to_owned()
                    }
                    _ => String::new(),
                };
                let sym = if aspects == ["moved"] { '=' } else { '~' };
                let _ = writeln!(
                    out,
                    "{sym} {name}  {}{moved_lines}{}",
                    aspects.join(", "),
                    note(outcome(name))
                );
            }
        }
    }
    for stmt in &plan.statements {
        let sym = match stmt.status {
            StatementStatus::Unchanged => continue,
            StatementStatus::Changed => '~',
            StatementStatus::Added => '+',
            StatementStatus::Removed => '-',
        };
        let binds = &stmt.name;
        let line = stmt
            .new_span
            .or(stmt.old_span)
            .map(|s| s.start_line)
            .unwrap_or_default();
        let status = match stmt.status {
            StatementStatus::Changed => "changed",
            StatementStatus::Added => "added",
            _ => "removed",
        };
        let key = format!("{binds} {} {status}", stmt.label);
        let _ = writeln!(
            out,
            "{sym} {binds}  {} {status} (line {line}){}",
            stmt.label,
            note(outcome(&key))
        );
    }
    if !plan.unbound_names.is_empty() {
        let _ = writeln!(out, "- unbound: {}", plan.unbound_names.join(", "));
    }
    for rename in &plan.renames {
        let _ = writeln!(
            out,
            "> {} -> {}  rename candidate (same code)",
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
