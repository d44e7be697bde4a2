//! Facts about source the plan carries so the live side never re-derives them from text: the
//! `__main__` guard, a class's new docstring, a class body on its header line, and the kind of a
//! planning error.

use limeade_plan::{
    decode_source, plan_module, ModuleMeta, ModulePlan, PlanError, StatementStatus, Version,
};

fn plan(old: &str, new: &str) -> ModulePlan {
    let meta = ModuleMeta {
        name: "m".to_owned(),
        path: "m.py".to_owned(),
        is_package: false,
    };
    let mut plan = plan_module(meta, old.to_owned(), new.to_owned()).expect("plans");
    plan.modules.remove(0)
}

fn plan_error(new: &str) -> PlanError {
    let meta = ModuleMeta {
        name: "m".to_owned(),
        path: "m.py".to_owned(),
        is_package: false,
    };
    plan_module(meta, "x = 1\n".to_owned(), new.to_owned()).expect_err("refused")
}

/// Whether `guard` with an edited body is flagged as the main guard: an `if` binds nothing, and
/// the edit is one changed statement (paired with the old one of its kind).
fn flagged(guard: &str) -> bool {
    let old = format!("{guard}\n    main(1)\n");
    let new = format!("{guard}\n    main(2)\n");
    let module = plan(&old, &new);
    let [changed] = module.statements.as_slice() else {
        panic!(
            "{guard}: expected one statement, got {:?}",
            module.statements
        );
    };
    assert_eq!(changed.status, StatementStatus::Changed, "{guard}");
    changed.main_guard
}

#[test]
fn a_guard_edited_into_another_if_is_not_paired_with_it() {
    let module = plan(
        "if __name__ == \"__main__\":\n    main()\n",
        "if DEBUG:\n    main()\n",
    );
    let statuses: Vec<_> = module
        .statements
        .iter()
        .map(|s| (s.status, s.main_guard))
        .collect();
    assert_eq!(
        statuses,
        [
            (StatementStatus::Added, false),
            (StatementStatus::Removed, true)
        ]
    );
}

#[test]
fn main_guard_is_flagged_in_every_spelling() {
    for guard in [
        "if __name__ == \"__main__\":",
        "if __name__ == '__main__':",
        "if '__main__' == __name__:",
        "if (__name__ == \"__main__\"):",
        "if __name__==\"__main__\":",
        "if __name__ == \"__ma\" \"in__\":",
    ] {
        assert!(flagged(guard), "{guard} is a main guard");
    }
    for other in [
        "if __name__ != \"__main__\":",
        "if __name__ == \"main\":",
        "if name == \"__main__\":",
        "if __name__ in (\"__main__\",):",
        "if __name__ == \"__main__\" == x:",
        "while __name__ == \"__main__\":",
    ] {
        assert!(!flagged(other), "{other} is not a main guard");
    }
}

#[test]
fn main_guard_is_module_level_only() {
    let old = "class C:\n    if __name__ == '__main__':\n        x = 1\n";
    let new = "class C:\n    if __name__ == '__main__':\n        x = 2\n";
    let module = plan(old, new);
    assert!(module.statements.iter().all(|s| !s.main_guard));
}

#[test]
fn changed_class_docstring_carries_its_literal_value() {
    let old = "class C:\n    \"\"\"Old.\"\"\"\n    x = 1\n";
    let new = "class C:\n    \"\"\"New\\tline\n        indented.\n    \"\"\"\n    x = 1\n";
    let module = plan(old, new);
    let class = &module.definitions[0];
    assert_eq!(
        class.docstring.as_deref(),
        Some("New\tline\n        indented.\n    ")
    );
    // Implicit concatenation is one docstring.
    let module = plan(old, "class C:\n    'a' \"b\"\n    x = 1\n");
    assert_eq!(module.definitions[0].docstring.as_deref(), Some("ab"));
    // Removed: no value; unchanged: not carried.
    let module = plan(old, "class C:\n    x = 1\n");
    assert_eq!(module.definitions[0].docstring, None);
    let module = plan(old, "class C:\n    \"\"\"Old.\"\"\"\n    x = 2\n");
    assert_eq!(module.definitions[0].docstring, None);
}

#[test]
fn class_body_on_its_header_line_is_flagged() {
    let module = plan("class C: x = 1\n", "class C: x = 2\n");
    assert!(module.definitions[0].body_on_header_line);
    let module = plan("class C(\n    B): x = 1\n", "class C(\n    B): x = 2\n");
    assert!(module.definitions[0].body_on_header_line);
    let module = plan("class C:\n    x = 1\n", "class C:\n    x = 2\n");
    assert!(!module.definitions[0].body_on_header_line);
    let module = plan("class C:\n    x = 1\n", "class C:  \\\n    x = 2\n");
    assert!(!module.definitions[0].body_on_header_line);
}

#[test]
fn planning_errors_say_their_kind() {
    assert_eq!(plan_error("def f(:\n").kind(), "syntax");
    assert_eq!(
        plan_error("try:\n    pass\nexcept lambda: E, B:\n    pass\n").kind(),
        "unsupported"
    );
    let deep = format!("x = {}1{}\n", "f'{".repeat(300), "}'".repeat(300));
    assert_eq!(plan_error(&deep).kind(), "too_deep");
    let undecodable = decode_source(b"x = '\xff'\n", "m.py", Version::New).expect_err("refused");
    assert_eq!(undecodable.kind(), "decode");
}
