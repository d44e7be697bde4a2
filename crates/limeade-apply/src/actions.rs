//! The part of a plan the live side acts on, as compact JSON: a 10,000-line module's full plan
//! lists every unchanged definition, which the live side does not need to see on each refresh.

use std::collections::BTreeMap;

use limeade_plan::{
    DefinitionKind, DefinitionStatus, ModulePlan, Plan, StatementChange, StatementStatus,
};
use serde::Serialize;

/// One module's actions.
#[derive(Serialize)]
struct ModuleActions<'a> {
    #[serde(flatten)]
    plan: ModulePlan,
    /// Scope (`""` for the module, else a class qualname) -> names the new source binds there.
    scope_names: BTreeMap<String, Vec<&'a str>>,
    /// Unchanged statements on other lines: functions they made (lambdas, `def` inside `if`)
    /// need their line numbers updated.
    moved_statements: Vec<StatementChange>,
}

#[derive(Serialize)]
struct Actions<'a> {
    modules: Vec<ModuleActions<'a>>,
    order: &'a limeade_plan::ApplyOrder,
}

fn parent(qualname: &str) -> &str {
    qualname.rsplit_once('.').map_or("", |(p, _)| p)
}

fn last(qualname: &str) -> &str {
    qualname.rsplit_once('.').map_or(qualname, |(_, l)| l)
}

/// The actions of `plan` as JSON.
pub fn actions_json(plan: &Plan) -> String {
    let modules = plan
        .modules
        .iter()
        .map(|m| {
            let mut scope_names: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for d in &m.definitions {
                if d.status != DefinitionStatus::Removed {
                    scope_names
                        .entry(parent(&d.qualname).to_owned())
                        .or_default()
                        .push(last(&d.qualname));
                }
            }
            for s in &m.statements {
                if s.status != StatementStatus::Removed {
                    scope_names
                        .entry(s.scope.clone())
                        .or_default()
                        .extend(s.binds.iter().map(String::as_str));
                }
            }
            for names in scope_names.values_mut() {
                names.sort_unstable();
                names.dedup();
            }
            let moved_statements = m
                .statements
                .iter()
                .filter(|s| {
                    s.status == StatementStatus::Unchanged
                        && !s.binds.is_empty()
                        && s.old_span.map(|o| o.start_line) != s.new_span.map(|n| n.start_line)
                })
                .cloned()
                .collect();
            let mut filtered = m.clone();
            filtered.definitions.retain(|d| {
                d.status != DefinitionStatus::Unchanged || d.kind == DefinitionKind::Class
            });
            filtered
                .statements
                .retain(|s| s.status != StatementStatus::Unchanged);
            ModuleActions {
                plan: filtered,
                scope_names,
                moved_statements,
            }
        })
        .collect();
    serde_json::to_string(&Actions {
        modules,
        order: &plan.order,
    })
    .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
