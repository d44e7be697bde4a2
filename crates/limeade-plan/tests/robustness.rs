//! Hostile and unusual input: deep nesting never overflows the stack, newer syntax (3.12-3.14)
//! plans through the pre-pass and what it leaves is named, and every CPython 3.11 construct plans.

use limeade_plan::{plan_module, ModuleMeta, ParsedModule, PlanError, ReparseKind, Version};

fn meta() -> ModuleMeta {
    ModuleMeta {
        name: "m".to_owned(),
        path: "m.py".to_owned(),
        is_package: false,
    }
}

fn plan_new(source: &str) -> Result<limeade_plan::Plan, PlanError> {
    plan_module(meta(), "x = 1\n".to_owned(), source.to_owned())
}

/// Run on a thread with a small stack: the planner must not depend on the caller's stack size.
fn on_small_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(work)
        .expect("thread starts")
        .join()
        .expect("planner did not crash")
}

fn assert_error_or_plan(name: &str, source: String) {
    let result = on_small_stack(move || plan_new(&source));
    match result {
        Ok(_) | Err(PlanError::TooDeep { .. } | PlanError::Syntax { .. }) => {}
        Err(other) => panic!("{name}: unexpected error {other}"),
    }
}

const DEEP: usize = 10_000;

#[test]
fn ten_thousand_levels_of_nesting_give_an_error_not_an_overflow() {
    let cases: Vec<(&str, String)> = vec![
        (
            "parens",
            format!("x = {}1{}\n", "(".repeat(DEEP), ")".repeat(DEEP)),
        ),
        (
            "lists",
            format!("x = {}1{}\n", "[".repeat(DEEP), "]".repeat(DEEP)),
        ),
        (
            "dicts",
            format!("x = {}{}\n", "{1: ".repeat(DEEP), "}".repeat(DEEP)),
        ),
        ("unary minus", format!("x = {}1\n", "-".repeat(DEEP))),
        ("not", format!("x = {}y\n", "not ".repeat(DEEP))),
        ("attribute chain", format!("x = a{}\n", ".b".repeat(DEEP))),
        ("binary chain", format!("x = a{}\n", " + a".repeat(DEEP))),
        ("power chain", format!("x = 2{}\n", " ** 2".repeat(DEEP))),
        ("calls", format!("x = f{}\n", "()".repeat(DEEP))),
        ("lambdas", format!("x = {}1\n", "lambda: ".repeat(DEEP))),
        (
            "conditional",
            format!("x = {}c\n", "a if b else ".repeat(DEEP)),
        ),
        (
            "f-string",
            format!("x = f\"{{{}1{}}}\"\n", "(".repeat(DEEP), ")".repeat(DEEP)),
        ),
        (
            "nested if",
            (0..DEEP)
                .map(|i| format!("{}if x:\n", " ".repeat(i)))
                .collect::<String>()
                + &" ".repeat(DEEP)
                + "pass\n",
        ),
        (
            "nested def",
            (0..DEEP)
                .map(|i| format!("{}def f():\n", " ".repeat(i)))
                .collect::<String>()
                + &" ".repeat(DEEP)
                + "pass\n",
        ),
    ];
    for (name, source) in cases {
        assert_error_or_plan(name, source);
    }
}

#[test]
fn deep_nesting_error_names_the_place() {
    let source = format!("ok = 1\nx = {}1{}\n", "(".repeat(DEEP), ")".repeat(DEEP));
    let err = plan_new(&source).expect_err("too deep");
    assert!(matches!(err, PlanError::TooDeep { line: 2, .. }), "{err}");
    assert!(err.to_string().starts_with("m.py:2:"), "{err}");
}

#[test]
fn reasonable_nesting_plans() {
    let source = format!("x = {}1{}\n", "(".repeat(150), ")".repeat(150));
    assert!(plan_new(&source).is_ok());
    let chain = format!("x = a{}\n", " + a".repeat(1_000));
    assert!(plan_new(&chain).is_ok());
}

#[test]
fn newer_syntax_plans() {
    for source in [
        // PEP 701 (3.12): reused quotes, nested f-strings, comments, newlines and backslashes
        // inside fields, nested format spec fields, debug fields.
        "name = 'x'\ns = f\"{\"a\" + name}\"\n",
        "def f(row):\n    return f\"{row[\"name\"]!r:>{row[\"w\"]}} {f\"{row[\"x\"]}\"}\"\n",
        "x = f\"{\n    a  # comment\n    + b\n}\"\ny = f\"{'\\n'.join(z)} { a = }\"\n",
        "@register(f\"{name[\"x\"]}\")\nclass C:\n    f\"{doc[\"not a docstring\"]}\"\n",
        // PEP 750 (3.14).
        "x = t\"<p>{text!r:>{width}}</p>\" T'{a[\"b\"]}'\ny = rt\"\\{x}\"\n",
        // PEP 758 (3.14).
        "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
        "try:\n    pass\nexcept* ValueError, TypeError,:\n    pass\n",
        // PEP 696 (3.13).
        "def f[T = int](x: T) -> T:\n    return x\n",
        "class C[T: int = bool, *Ts = *tuple[int], **P = [int, str]]:\n    pass\n",
        "type A[T = int] = list[T]\n",
    ] {
        if let Err(err) = plan_new(source) {
            panic!("{source:?}: {err}");
        }
    }
}

#[test]
fn what_the_pre_pass_leaves_is_named_or_refused() {
    // A lambda's own `:` hides where the clause ends: left to the parser, then named.
    let err = plan_new("try:\n    pass\nexcept lambda: E, B:\n    pass\n").expect_err("left");
    match &err {
        PlanError::Unsupported {
            construct, line, ..
        } => {
            assert!(construct.contains("PEP 758"), "{construct}");
            assert_eq!(*line, 3);
        }
        other => panic!("expected Unsupported, got {other}"),
    }
    // Invalid f-strings are syntax errors at their place, with CPython's wording.
    for (source, line, message) in [
        ("ok = 1\nx = f\"{\"}\"\n", 2, "expecting '}'"),
        (
            "x = f\"{a[\"k\"]}\"\ny = f\"{}\"\n",
            2,
            "valid expression required",
        ),
        (
            "x = f\"{a[\"k\"]}\"\ny = f\"{x!z}\"\n",
            2,
            "conversion character",
        ),
        (
            "x = f\"{a[\"k\"]}\"\ny = f\"{a b}\"\n",
            2,
            "replacement field",
        ),
    ] {
        let err = plan_new(source).expect_err("invalid");
        match &err {
            PlanError::Syntax {
                line: l,
                message: m,
                ..
            } => {
                assert_eq!(*l, line, "{source:?}: {err}");
                assert!(m.contains(message), "{source:?}: {err}");
            }
            other => panic!("{source:?}: expected Syntax, got {other}"),
        }
    }
    let deep = format!("x = {}1{}\n", "f'{".repeat(300), "}'".repeat(300));
    assert!(matches!(plan_new(&deep), Err(PlanError::TooDeep { .. })));
}

#[test]
fn syntax_errors_carry_path_line_and_column() {
    let err = plan_new("x = = 1\n").expect_err("invalid");
    assert_eq!(err.path(), "m.py");
    assert_eq!(err.location().map(|(line, _)| line), Some(1));
    let old_err =
        plan_module(meta(), "x = (\n".to_owned(), "x = 1\n".to_owned()).expect_err("old invalid");
    assert!(old_err.to_string().contains("old source"), "{old_err}");
}

#[test]
fn every_python_311_construct_plans() {
    let source = r#"
from __future__ import annotations
import os, sys as system
from . import sibling
from ..pkg import thing as other

x: int = 1
y = z = [1, *range(3)]
a, *b = 1, 2, 3
del y
global_name = lambda q, /, r=1, *s, t, u=2, **v: (q, r, s, t, u, v)

@decorator(arg)[0].attr
@(lambda f: f)
def f(p, /, q: int = 1, *args: str, k, kw=2, **kwargs) -> "Return":
    """Doc."""
    global x
    if (n := len(args)) > 1:
        pass
    match p:
        case {"k": [1, 2, *rest]} | Point(x=0) if rest:
            return rest
        case str() as s:
            return s
        case _:
            pass
    try:
        pass
    except* ValueError as group:
        raise
    def inner():
        nonlocal q
        q += 1
    return inner

async def g(items):
    async with ctx() as c, other() as d:
        async for i in items:
            await i
    return [j async for j in items if await j]

class C(Base, metaclass=Meta, flag=True):
    __slots__ = ("a", "b")
    attr: int
    def __init__(self):
        super().__init__()
        self.__private = 1
    @property
    def p(self):
        return self.__private
    @p.setter
    def p(self, value):
        yield from value
    class Inner:
        def m(self): ...

with (open("a") as fa, open("b") as fb):
    pass
for i in range(3):
    print(f"{i!r:>{width}}", *args, **kwargs)
else:
    pass
while False:
    break
assert x, "message"
"#;
    let plan = plan_module(meta(), source.to_owned(), source.to_owned()).expect("plans");
    let text = plan.render();
    assert!(text.contains("nothing changed"), "{text}");
    // Every definition is found: all of them added to an empty module. (Unchanged ones are not
    // listed: the same text twice lists none.)
    let plan = plan_module(meta(), String::new(), source.to_owned()).expect("plans");
    let defs: Vec<&str> = plan.modules[0]
        .definitions
        .iter()
        .map(|d| d.qualname.as_str())
        .collect();
    for expected in [
        "f",
        "f.<locals>.inner",
        "g",
        "C",
        "C.__init__",
        "C.p",
        "C.Inner",
        "C.Inner.m",
    ] {
        assert!(defs.contains(&expected), "missing {expected} in {defs:?}");
    }
}

#[test]
fn reparse_of_identical_text_reuses_the_tree() {
    let parsed = ParsedModule::parse("m.py", "def f():\n    return 1\n".to_owned(), Version::Old)
        .expect("parses");
    let text = parsed.kept_text().text("m.py").expect("plain").into_owned();
    let (again, kind) = parsed.reparse(text).expect("reparses");
    assert_eq!(kind, limeade_plan::ReparseKind::Identical);
    assert_eq!(again.tree(), parsed.tree());
}

#[test]
fn a_packed_module_reparses_as_a_plain_one_does() {
    let old = (0..200)
        .map(|i| format!("def f{i}(x):\n    return x + {i}\n\n"))
        .collect::<String>();
    let new = old.replace("return x + 100\n", "return x - 100\n");
    let plain = ParsedModule::parse("m.py", old.clone(), Version::Old).expect("parses");
    let mut packed = plain.clone();
    let kept = packed.pack();
    assert!(kept.plain().is_none() && kept.heap_bytes() < old.len() / 2);
    assert_eq!(kept.text("m.py").expect("unpacks"), old);
    let (from_plain, plain_kind) = plain.reparse(new.clone()).expect("reparses");
    let (from_packed, packed_kind) = packed.reparse(new.clone()).expect("reparses");
    assert!(matches!(
        packed_kind,
        limeade_plan::ReparseKind::Incremental { .. }
    ));
    assert_eq!(packed_kind, plain_kind);
    assert_eq!(from_packed, from_plain);
    assert_eq!(from_packed.line_starts(), from_plain.line_starts());
    assert!(packed.line_starts().is_empty() && !plain.line_starts().is_empty());
}

/// `parsed` re-parsed to `edited`: incrementally, fewer than `max_bytes` parsed, and the same
/// tree as a full parse of `edited`. Returns the re-parsed module.
fn reparses_within(
    parsed: &ParsedModule,
    edited: &str,
    max_bytes: usize,
    what: &str,
) -> ParsedModule {
    let (new, kind) = parsed.reparse(edited.to_owned()).expect("reparses");
    match kind {
        ReparseKind::Incremental { parsed_bytes } => {
            assert!(
                parsed_bytes < max_bytes,
                "{what}: parsed {parsed_bytes} bytes"
            )
        }
        other => panic!("{what}: expected an incremental reparse, got {other:?}"),
    }
    let full = ParsedModule::parse("m.py", edited.to_owned(), Version::New).expect("parses");
    assert_eq!(new.tree(), full.tree(), "{what}");
    new
}

#[test]
fn one_function_edit_reparses_only_a_window() {
    let mut source = String::new();
    for i in 0..200 {
        source.push_str(&format!("def f{i}(x):\n    return x + {i}\n\n"));
    }
    let parsed = ParsedModule::parse("m.py", source.clone(), Version::Old).expect("parses");
    let edited = source.replace("return x + 100\n", "return x * 100\n");
    reparses_within(&parsed, &edited, 200, "one body edited");
}

#[test]
fn incremental_reparse_of_modern_syntax_equals_full_parse() {
    // The file needs the pre-pass; windows that hold only older syntax parse without it: both
    // must give the same trees (literal fingerprints are computed the same way either way).
    let old = concat!(
        "x = f\"{a[\"k\"]}\"\n\n\n",
        "def g(row, d=f'{LIMIT}'):\n    return f\"{row['k']} {{}} { row = } {row!r:>{w}}\"\n\n\n",
        "def h():\n    return 1\n\n\n",
        "try:\n    pass\nexcept A, B:\n    pass\n",
    );
    let parsed = ParsedModule::parse("m.py", old.to_owned(), Version::Old).expect("parses");
    for (before, after) in [
        ("return 1", "return 2"),
        ("row['k']", "row['j']"),
        ("{ row = }", "{row = }"),
        ("a[\"k\"]", "a[\"j\"]"),
        ("except A, B:", "except A, B, C:"),
        ("f'{LIMIT}'", "f'{LIMIT + 1}'"),
    ] {
        let new = old.replacen(before, after, 1);
        let full = ParsedModule::parse("m.py", new.clone(), Version::New).expect("parses");
        let (incremental, kind) = parsed.reparse(new).expect("reparses");
        assert_eq!(full.tree(), incremental.tree(), "{before} -> {after}");
        assert!(
            matches!(kind, ReparseKind::Incremental { .. }),
            "{before}: {kind:?}"
        );
        let fingerprints = |m: &ParsedModule| -> Vec<u64> {
            m.tree().statements.iter().map(|s| s.fingerprint).collect()
        };
        assert_ne!(
            fingerprints(&full),
            fingerprints(&parsed),
            "{before} -> {after} must be seen"
        );
    }
}

#[test]
fn lines_added_above_a_licence_header_reparse_only_the_header() {
    // Every definition moves; the statements are shifted, not parsed again.
    let mut source = String::from("# Licence header.\n# Second line.\n\"\"\"Doc.\"\"\"\n\n");
    for i in 0..50 {
        source.push_str(&format!("def f{i}(x):\n    return x + {i}\n\n"));
    }
    let parsed = ParsedModule::parse("m.py", source.clone(), Version::Old).expect("parses");
    // Comment-only windows are not parsed at all; a lone `\r` ends a comment line for Python.
    for prepended in [
        "# moved\n# moved\n# moved\n",
        "\n",
        "import os\n",
        "# crlf\r\n\r\n# crlf\r\n",
        "  # indented\n\n",
        "# lone cr\rimport os\n",
    ] {
        let edited = format!("{prepended}{source}");
        let new = reparses_within(&parsed, &edited, 80, &format!("{prepended:?}"));
        let imports = |m: &ParsedModule| {
            m.tree()
                .statements
                .iter()
                .filter(|s| !s.imports.is_empty())
                .count()
        };
        assert_eq!(
            imports(&new),
            usize::from(prepended.contains("import")),
            "{prepended:?}"
        );
    }
}

#[test]
fn edits_far_apart_reparse_a_window_each() {
    // Lines added at the top and a function appended (the goals benchmark's sweep), lines
    // removed at the top, two bodies edited far apart, and repeated identical statements (an
    // anchor found at the wrong repetition is still the same text at a statement boundary).
    let mut source = String::from("\"\"\"Doc.\"\"\"\n\n");
    for i in 0..60 {
        source.push_str(&format!("def f{i}(x):\n    return x + {i}\n\n"));
        if i % 10 == 0 {
            source.push_str("pass\n\n");
        }
    }
    let parsed = ParsedModule::parse("m.py", source.clone(), Version::Old).expect("parses");
    let appended = "\n\ndef added():\n    return 1\n";
    let cases = [
        format!("# moved\n# moved\n{source}{appended}"),
        source.replacen("\"\"\"Doc.\"\"\"\n\n", "", 1) + appended,
        source
            .replace("return x + 3\n", "return x * 3\n")
            .replace("return x + 55\n", "return x * 55\n"),
        source
            .replace("return x + 20\n", "return x * 20\n")
            .replacen("pass\n\n", "pass\npass\n\n", 2),
    ];
    for (case, edited) in cases.iter().enumerate() {
        reparses_within(&parsed, edited, 200, &format!("case {case}"));
    }
}

#[test]
fn text_added_after_a_statement_reparses_it_only_when_it_can_join_it() {
    // A large last statement (a data table) is kept when a function is appended after it; an
    // appended clause, indented line or continuation joins the statement before it, so that
    // statement is parsed again: every case equals the full parse.
    let table: String = (0..400).map(|i| format!("    {i}: 'v{i}',\n")).collect();
    let sources = [
        format!("def f():\n    return 1\n\nTABLE = {{\n{table}}}\n"),
        "try:\n    import x\nexcept ImportError:\n    x = None\n".to_owned(),
        "if A:\n    a = 1\n# trailing comment\n".to_owned(),
        "for i in range(3):\n    pass\n\n\n".to_owned(),
    ];
    let appended = [
        "\n\ndef added():\n    return 1\n",
        "else:\n    y = 2\n",
        "# note\nelse:\n    y = 2\n",
        "finally:\n    pass\n",
        "    indented = 1\n",
        "elif B:\n    pass\n",
        "else_value = 3\n",
        "\n",
    ];
    for source in &sources {
        let parsed = ParsedModule::parse("m.py", source.clone(), Version::Old).expect("parses");
        for tail in appended {
            let edited = format!("{source}{tail}");
            let full = ParsedModule::parse("m.py", edited.clone(), Version::New);
            let incremental = parsed.reparse(edited.clone());
            match (full, incremental) {
                (Ok(full), Ok((incremental, kind))) => {
                    assert_eq!(full.tree(), incremental.tree(), "{source:?} + {tail:?}");
                    if source.starts_with("def f") && tail.contains("def added") {
                        match kind {
                            ReparseKind::Incremental { parsed_bytes } => assert!(
                                parsed_bytes < 100,
                                "the table was parsed again ({parsed_bytes} bytes)"
                            ),
                            other => panic!("expected an incremental reparse, got {other:?}"),
                        }
                    }
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{source:?} + {tail:?}"),
                (full, incremental) => panic!(
                    "{source:?} + {tail:?}: full {:?} vs incremental {:?}",
                    full.err(),
                    incremental.err()
                ),
            }
        }
    }
}

#[test]
fn lines_inserted_right_before_a_large_statement_do_not_reparse_it() {
    // The first changed byte is the statement's first: it is still found again, moved.
    let table: String = (0..2000).map(|i| format!("    'k{i}': {i},\n")).collect();
    let source = format!("# header\nTABLE = {{\n{table}}}\n");
    let parsed = ParsedModule::parse("m.py", source.clone(), Version::Old).expect("parses");
    let edited = source.replacen("TABLE = {", "# more\n# more\nTABLE = {", 1)
        + "\n\ndef added():\n    return 1\n";
    reparses_within(&parsed, &edited, 100, "lines inserted before the table");
}
