//! Matching and plan facts of single-module diffs.

use super::*;
use crate::{ParsedModule, Version};

/// The module every test plans: `m`, in `m.py`.
fn meta() -> ModuleMeta {
    ModuleMeta {
        name: "m".to_owned(),
        path: "m.py".to_owned(),
        is_package: false,
    }
}

fn check(old: &str, new: &str) -> ModulePlan {
    let meta = meta();
    let parse = |text: &str, version| {
        ParsedModule::parse("m.py", text.to_owned(), version).expect("test source parses")
    };
    diff_module(
        &meta,
        parse(old, Version::Old).tree(),
        parse(new, Version::New).tree(),
    )
}

fn changes(plan: &ModulePlan) -> Vec<(String, DefinitionStatus, Vec<Aspect>)> {
    plan.definitions
        .iter()
        .filter(|d| d.status != DefinitionStatus::Unchanged)
        .map(|d| (d.name.clone(), d.status, d.aspects.clone()))
        .collect()
}

#[test]
fn matches_by_qualified_name_through_nesting() {
    let plan = check(
        "class C:\n    class Inner:\n        def m(self):\n            return 1\n",
        "class C:\n    class Inner:\n        def m(self):\n            return 2\n",
    );
    assert_eq!(
        changes(&plan),
        vec![(
            "C.Inner.m".to_owned(),
            DefinitionStatus::Changed,
            vec![Aspect::Body]
        )]
    );
}

#[test]
fn repeated_names_match_by_occurrence() {
    let old = "class C:\n    @property\n    def x(self):\n        return 1\n    @x.setter\n    def x(self, v):\n        pass\n";
    let new = old.replace("        pass", "        print(v)");
    let plan = check(old, &new);
    assert_eq!(
        changes(&plan),
        vec![(
            "C.x#2".to_owned(),
            DefinitionStatus::Changed,
            vec![Aspect::Body]
        )]
    );
}

#[test]
fn function_becoming_class_is_removed_and_added() {
    let plan = check("def f():\n    pass\n", "class f:\n    pass\n");
    let statuses: Vec<DefinitionStatus> = plan.definitions.iter().map(|d| d.status).collect();
    assert_eq!(
        statuses,
        [DefinitionStatus::Added, DefinitionStatus::Removed]
    );
}

#[test]
fn comment_and_whitespace_edits_are_not_changes() {
    let plan = check(
        "def f(a, b):\n    return a+b\n",
        "def f(a, b):  # add\n    return a + b\n",
    );
    assert!(changes(&plan).is_empty(), "{:?}", changes(&plan));
    assert_eq!(plan.execution, Execution::Nothing);
}

#[test]
fn statements_pair_by_bound_name() {
    let plan = check(
        "A = 1\nprint(A)\nB = 2\n",
        "A = 1\nprint(A)\nB = 3\nC = 4\n",
    );
    let summary: Vec<(StatementStatus, Vec<String>)> = plan
        .statements
        .iter()
        .map(|s| (s.status, s.binds.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (StatementStatus::Unchanged, vec!["A".to_owned()]),
            (StatementStatus::Unchanged, vec![]),
            (StatementStatus::Changed, vec!["B".to_owned()]),
            (StatementStatus::Added, vec!["C".to_owned()]),
        ]
    );
    assert_eq!(plan.execution, Execution::Statements);
}

#[test]
fn future_import_change_reexecutes_the_body() {
    let plan = check("x = 1\n", "from __future__ import annotations\nx = 1\n");
    assert_eq!(plan.execution, Execution::FullBody);
}

#[test]
fn unbound_names_are_the_old_ones_no_new_statement_binds() {
    // Few and many candidates (scan and set), a name still bound by a statement elsewhere.
    let many: String = (0..12).map(|i| format!("v{i} = {i}\n")).collect();
    for middle in ["a = 1\nb = 2\n".to_owned(), many] {
        let old = format!("x = 0\n{middle}c = 3\ny = 9\n");
        let new = "x = 0\nb = 5\ny = 9\nc = 3\n";
        let plan = check(&old, new);
        let expected: Vec<String> = middle
            .lines()
            .filter_map(|l| l.split(" = ").next())
            .filter(|n| *n != "b")
            .map(str::to_owned)
            .collect();
        assert_eq!(plan.unbound_names, expected);
    }
}

#[test]
fn rename_needs_identical_code() {
    let plan = check("def a(x):\n    return x\n", "def b(x):\n    return x + 1\n");
    assert!(plan.renames.is_empty());
    let plan = check("def a(x):\n    return x\n", "def b(x):\n    return x\n");
    assert_eq!(plan.renames.len(), 1);
}

/// The plan with only the definitions in the edited window compared, and with every one
/// compared: the same but for unchanged entries. Returns the windowed plan.
fn window_agrees(old: &str, new: &str) -> ModulePlan {
    let meta = meta();
    let old = ParsedModule::parse("m.py", old.to_owned(), Version::Old).expect("parses");
    let (new, _) = old.reparse(new.to_owned()).expect("parses");
    let without_unchanged = |mut plan: ModulePlan| {
        plan.definitions
            .retain(|d| d.status != DefinitionStatus::Unchanged);
        plan
    };
    let windowed = diff_module_in(&meta, old.tree(), new.tree(), Window::Edited);
    let everything = diff_module_in(&meta, old.tree(), new.tree(), Window::Everything);
    assert_eq!(
        without_unchanged(windowed.clone()),
        without_unchanged(everything)
    );
    windowed
}

const MANY: &str = "\
import os

def a():
    return 1

class C:
    def m(self):
        return 2

    class Inner:
        def n(self):
            return 3

def b():
    return 4

X = 5
";

#[test]
fn a_one_line_edit_lists_only_its_definition() {
    let plan = window_agrees(MANY, &MANY.replace("return 2", "return 20"));
    let listed: Vec<&str> = plan.definitions.iter().map(|d| d.name.as_str()).collect();
    // The class holding the change is compared (it is in the edited statement), nothing else.
    assert_eq!(listed, ["C", "C.m", "C.Inner", "C.Inner.n"]);
    assert_eq!(changes(&plan).len(), 1);
}

#[test]
fn the_window_agrees_with_comparing_everything() {
    let edits = [
        MANY.replace("return 1", "return 10"),
        MANY.replace("return 4", "return 40"),
        MANY.replace("X = 5", "X = 6\n\ndef c():\n    return 7"),
        MANY.replace("import os\n", "import os\nimport sys\n"),
        MANY.replace("def b():\n    return 4\n", ""),
        MANY.replace("class C:", "class C(object):"),
        format!("{MANY}\ndef a():\n    return 'again'\n"),
        MANY.replace("def b()", "def a()"),
    ];
    for new in &edits {
        window_agrees(MANY, new);
    }
}

#[test]
fn a_name_defined_twice_is_matched_across_the_whole_module() {
    let old = "def f():\n    return 1\n\ndef g():\n    return 0\n\ndef f():\n    return 2\n";
    let plan = window_agrees(old, &old.replace("return 2", "return 3"));
    assert_eq!(
        changes(&plan),
        [(
            "f#2".to_owned(),
            DefinitionStatus::Changed,
            vec![Aspect::Body]
        )]
    );
    let plan = window_agrees(old, &old.replace("return 1", "return 3"));
    assert_eq!(
        changes(&plan),
        [(
            "f".to_owned(),
            DefinitionStatus::Changed,
            vec![Aspect::Body]
        )]
    );
}

#[test]
fn an_unchanged_class_whose_slots_read_a_rebound_name_is_still_checked() {
    let old = "FIELDS = ('a',)\n\nclass Row:\n    __slots__ = tuple(FIELDS)\n";
    let plan = window_agrees(old, &old.replace("('a',)", "('a', 'b')"));
    assert_eq!(plan.conflicts.len(), 1, "{:?}", plan.conflicts);
}

#[test]
fn only_moved_definitions_are_moved_not_updated() {
    let old = "class C:\n    def m(self):\n        return 1\n\ndef f():\n    return 1\n\ndef g():\n    return 1\n";
    // Everything moves down one line; inside `g` a blank line moves its last line again.
    let new = format!("# moved\n{}", old.replace("def g():\n", "def g():\n\n"));
    let plan = check(old, &new);
    let actions: Vec<(&str, DefinitionAction, Option<i64>)> = plan
        .definitions
        .iter()
        .map(|d| (d.name.as_str(), d.action, d.line_shift))
        .collect();
    assert_eq!(
        actions,
        [
            ("C", DefinitionAction::Move, None),
            ("C.m", DefinitionAction::Move, Some(1)),
            ("f", DefinitionAction::Move, Some(1)),
            // Its lines did not all move by the same amount: new code, compiled.
            ("g", DefinitionAction::Update, None),
        ]
    );
}
