//! The part of a plan the live side acts on, as compact JSON: the changes, the unchanged classes
//! the live side uses, and facts derived from them. The import bindings stay native (the
//! registry keeps them from the plan for `importers_of`): decoding them on every refresh was
//! a seventh of a package sweep's JSON.

use std::collections::{BTreeMap, HashSet};

use limeade_plan::{
    Aspect, Conflict, DefinitionAction, DefinitionChange, DefinitionKind, DefinitionStatus,
    Execution, ModulePlan, Plan, StarExports, StatementChange, StatementStatus,
};
use serde::Serialize;

/// One module's actions: its plan without unchanged definitions (classes in use stay),
/// unchanged statements and import bindings, borrowed, never copied.
#[derive(Serialize)]
struct ModuleActions<'a> {
    module: &'a str,
    path: &'a str,
    execution: Execution,
    definitions: Vec<&'a DefinitionChange>,
    statements: Vec<&'a StatementChange>,
    conflicts: &'a [Conflict],
    unbound_names: &'a [String],
    star_exports: &'a StarExports,
    /// Scope (`""` for the module, else a class qualname) -> names the new source binds there,
    /// for the scopes the live side asks about (see `module_actions`). A class's are all its
    /// names; the module's are those of the statements the plan lists (the definitions before
    /// and after the edited region are the same code, bound already).
    scope_names: BTreeMap<&'a str, Vec<&'a str>>,
    /// Whether, by the source alone, the refresh runs no code of the program: its changes are
    /// function bodies, docstrings and moves of definitions, removals and plain module-level
    /// functions added, with no statement to run, no decorated method to run again, no
    /// conflict and no rename. The live side then takes
    /// no copies of the program's containers for a rollback (see `_containers.py`), unless a
    /// class in `member_owners` is gone or has a migration hook.
    compiled_only: bool,
    /// When `compiled_only`: the classes holding a changed or removed member, once each.
    member_owners: Vec<&'a str>,
    /// Unchanged statements on other lines that make functions (lambdas, `def` inside `if`):
    /// those functions need their line numbers updated. Others are not listed (a sweep that
    /// moves every statement of a package would send each one).
    moved_statements: Vec<&'a StatementChange>,
}

/// What the live side needs of a plan (see [`actions`]).
#[derive(Serialize)]
pub struct Actions<'a> {
    modules: Vec<ModuleActions<'a>>,
    order: &'a limeade_plan::ApplyOrder,
}

fn parent(qualname: &str) -> &str {
    qualname.rsplit_once('.').map_or("", |(p, _)| p)
}

fn last(qualname: &str) -> &str {
    qualname.rsplit_once('.').map_or(qualname, |(_, l)| l)
}

/// Every class holding something that changed (a definition, a statement, a moved statement
/// that makes functions) or having a conflict, with the classes enclosing it: the live side
/// compiles a member under its chain of `class` lines and looks those classes up. Other
/// unchanged classes are not sent (a 10,000-line module has hundreds).
fn classes_in_use<'a>(m: &'a ModulePlan, moved: &[&'a StatementChange]) -> HashSet<&'a str> {
    let scopes = changed_scopes(m)
        .chain(moved.iter().map(|s| s.scope.as_str()))
        .chain(m.conflicts.iter().map(|c| c.qualname.as_str()));
    let mut out = HashSet::new();
    for scope in scopes {
        // `A.B.C` is inside `A.B` and `A`.
        for (i, _) in scope.match_indices('.') {
            out.insert(&scope[..i]);
        }
        out.insert(scope);
    }
    out
}

/// The scope (`""` for the module, else a class qualname) of every changed definition and
/// statement, once per change.
fn changed_scopes(m: &ModulePlan) -> impl Iterator<Item = &str> {
    m.definitions
        .iter()
        .filter(|d| d.status != DefinitionStatus::Unchanged)
        .map(|d| parent(&d.qualname))
        .chain(
            m.statements
                .iter()
                .filter(|s| s.status != StatementStatus::Unchanged)
                .map(|s| s.scope.as_str()),
        )
}

/// Whether a changed definition applies by compiling alone (its decorators do not run).
fn compiled_alone(d: &DefinitionChange) -> bool {
    const COMPILED: [Aspect; 3] = [Aspect::Body, Aspect::Docstring, Aspect::Moved];
    match d.status {
        DefinitionStatus::Unchanged | DefinitionStatus::Removed => true,
        // A plain module-level `def` (no decorator, default or annotation) runs nothing of
        // the program: a sweep that adds one function per module takes no copies.
        DefinitionStatus::Added => d.evaluates_nothing && parent(&d.qualname).is_empty(),
        DefinitionStatus::Changed => {
            d.aspects.iter().all(|a| COMPILED.contains(a))
                // A decorated method whose code changed (not only moved) is run again with
                // its decorators: its closure may change shape (it starts using super()).
                && (parent(&d.qualname).is_empty()
                    || d.action == DefinitionAction::Move
                    || !matches!((d.new_span, d.def_line), (Some(span), Some(def)) if span.start_line < def))
        }
    }
}

/// [`ModuleActions::compiled_only`] and [`ModuleActions::member_owners`].
fn compiled_only(m: &ModulePlan) -> (bool, Vec<&str>) {
    let nothing_else = m.execution == Execution::DefinitionsOnly
        && m.conflicts.is_empty()
        && m.renames.is_empty()
        && m.statements
            .iter()
            .all(|s| s.status == StatementStatus::Unchanged);
    // Nested functions get new code through their closures; nothing runs.
    let members = m
        .definitions
        .iter()
        .filter(|d| d.status != DefinitionStatus::Unchanged && !d.qualname.contains("<locals>"));
    if !nothing_else || !members.clone().all(compiled_alone) {
        return (false, Vec::new());
    }
    let mut owners: Vec<&str> = Vec::new();
    for owner in members
        .map(|d| parent(&d.qualname))
        .filter(|o| !o.is_empty())
    {
        if !owners.contains(&owner) {
            owners.push(owner);
        }
    }
    (true, owners)
}

/// The actions of `plan` as JSON.
pub fn actions_json(plan: &Plan) -> String {
    serde_json::to_string(&actions(plan)).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// What the live side needs of `plan`, to be serialised ([`actions_json`]) or handed over as
/// Python objects directly.
pub fn actions(plan: &Plan) -> Actions<'_> {
    Actions {
        modules: plan.modules.iter().map(module_actions).collect(),
        order: &plan.order,
    }
}

fn module_actions(m: &ModulePlan) -> ModuleActions<'_> {
    // The live side asks a scope's names only where something changed in it (a class's removed
    // members, a grafted class's own names), and the module's only to check new bases: listing
    // every name of a 10,000-line module on each refresh would cost more than the edit.
    let mut wanted: HashSet<&str> = changed_scopes(m).collect();
    wanted.remove("");
    if !m.conflicts.is_empty() {
        wanted.insert("");
    }
    let mut scope_names: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in &m.definitions {
        if d.status != DefinitionStatus::Removed && wanted.contains(parent(&d.qualname)) {
            scope_names
                .entry(parent(&d.qualname))
                .or_default()
                .push(last(&d.qualname));
        }
    }
    for s in &m.statements {
        if s.status != StatementStatus::Removed && wanted.contains(s.scope.as_str()) {
            scope_names
                .entry(&s.scope)
                .or_default()
                .extend(s.binds.iter().map(String::as_str));
        }
    }
    for names in scope_names.values_mut() {
        names.sort_unstable();
        names.dedup();
    }
    let moved_statements: Vec<&StatementChange> = m
        .statements
        .iter()
        .filter(|s| {
            s.status == StatementStatus::Unchanged
                && s.makes_functions
                && !s.binds.is_empty()
                && s.old_span.map(|o| o.start_line) != s.new_span.map(|n| n.start_line)
        })
        .collect();
    let classes = classes_in_use(m, &moved_statements);
    let (compiled_only, member_owners) = compiled_only(m);
    ModuleActions {
        module: &m.module,
        path: &m.path,
        execution: m.execution,
        definitions: m
            .definitions
            .iter()
            .filter(|d| {
                d.status != DefinitionStatus::Unchanged
                    || (d.kind == DefinitionKind::Class && classes.contains(d.qualname.as_str()))
            })
            .collect(),
        statements: m
            .statements
            .iter()
            .filter(|s| s.status != StatementStatus::Unchanged)
            .collect(),
        conflicts: &m.conflicts,
        unbound_names: &m.unbound_names,
        star_exports: &m.star_exports,
        scope_names,
        compiled_only,
        member_owners,
        moved_statements,
    }
}

#[cfg(test)]
mod tests {
    use limeade_plan::{plan_module, ModuleMeta};

    /// The actions of module `m` (in `m.py`) edited from `old` to `new`, as JSON.
    fn module_actions(old: &str, new: &str) -> serde_json::Value {
        let meta = ModuleMeta {
            name: "m".to_owned(),
            path: "m.py".to_owned(),
            is_package: false,
        };
        let plan = plan_module(meta, old.to_owned(), new.to_owned()).expect("plans");
        let mut json: serde_json::Value =
            serde_json::from_str(&super::actions_json(&plan)).expect("actions are JSON");
        json["modules"][0].take()
    }

    /// `compiled_only` and `member_owners` of the actions of the edit `old` -> `new`.
    fn compiled_only(old: &str, new: &str) -> (bool, Vec<String>) {
        let module = module_actions(old, new);
        let owners = module["member_owners"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|o| o.as_str().map(str::to_owned))
            .collect();
        (module["compiled_only"] == true, owners)
    }

    const CLASSES: &str = "class C:\n    def f(self):\n        return 1\n\n    @staticmethod\n    def s():\n        return 1\n\n\ndef g():\n    return 1\n";

    #[test]
    fn body_edits_and_moves_only_compile() {
        let bodies = CLASSES.replace("return 1", "return 2");
        assert!(
            !compiled_only(CLASSES, &bodies).0,
            "a decorated method runs"
        );
        let plain = CLASSES.replacen("return 1", "return 2", 1);
        assert_eq!(compiled_only(CLASSES, &plain), (true, vec!["C".to_owned()]));
        let top = CLASSES.replace("def g():\n    return 1", "def g():\n    return 2");
        assert_eq!(compiled_only(CLASSES, &top), (true, Vec::new()));
        let moved = format!("# a comment\n{CLASSES}");
        assert_eq!(compiled_only(CLASSES, &moved), (true, vec!["C".to_owned()]));
    }

    #[test]
    fn a_plain_function_added_runs_nothing() {
        let added = format!("{CLASSES}\n\ndef h(a, *b, c, **d):\n    return 3\n");
        assert_eq!(compiled_only(CLASSES, &added), (true, Vec::new()));
    }

    #[test]
    fn statements_defaults_and_additions_may_run_code() {
        for new in [
            CLASSES.replace("def g():", "def g(x=print):"),
            format!("{CLASSES}X = 1\n"),
            format!("{CLASSES}def h(x=print()):\n    return 3\n"),
            format!("{CLASSES}def h(x: print()):\n    return 3\n"),
            format!("{CLASSES}def h() -> print():\n    return 3\n"),
            format!("{CLASSES}@print\ndef h():\n    return 3\n"),
            format!("{CLASSES}class D:\n    pass\n"),
            CLASSES.replace(
                "    @staticmethod",
                "    def added(self):\n        return 0\n\n    @staticmethod",
            ),
            CLASSES.replace("class C:", "class C(object):"),
        ] {
            assert!(!compiled_only(CLASSES, &new).0, "{new}");
        }
    }

    #[test]
    fn only_moved_statements_that_make_functions_are_sent() {
        let old = "X = 1\nh = lambda: X\nif X:\n    def g():\n        return 1\nY = 'def'\n";
        let module = module_actions(old, &format!("# moved\n{old}"));
        let moved: Vec<&str> = module["moved_statements"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|s| s["name"].as_str())
            .collect();
        assert_eq!(moved, ["h", "g"]);
    }
}
