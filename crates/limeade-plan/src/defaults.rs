//! Which functions' default expressions read which names, and what a star import of a module
//! gives. A default is evaluated once, when its `def` runs: rebinding a name it read leaves the
//! old value in the function until the live side evaluates the expression again.

use crate::plan::{DefaultReader, StarExports};
use crate::tree::{DefaultExpr, ModuleTree, NamesMask, Origin, Statement, StatementKind};

/// Module-level functions and methods of module-level classes (nested classes included) whose
/// default expressions read one of `names`, with only those expressions, in source order.
pub fn default_readers(tree: &ModuleTree, names: &[&str]) -> Vec<DefaultReader> {
    let mut out = Vec::new();
    if !names.is_empty() {
        collect(&tree.statements, None, "", names, &mut out);
    }
    out
}

/// `top`: the origin of the top-level statement holding `statements`, `None` at module level.
fn collect(
    statements: &[Statement],
    top: Option<Origin>,
    prefix: &str,
    names: &[&str],
    out: &mut Vec<DefaultReader>,
) {
    for stmt in statements {
        let origin = top.unwrap_or_else(|| stmt.origin());
        match &stmt.kind {
            StatementKind::Function(f) => {
                let defaults: Vec<_> = f
                    .defaults
                    .iter()
                    .filter(|d| d.reads.iter().any(|r| names.contains(&r.as_str())))
                    .map(|d| DefaultExpr {
                        line: origin.line + d.line,
                        ..d.clone()
                    })
                    .collect();
                if !defaults.is_empty() {
                    let first_line = match top {
                        Some(origin) => stmt.span.at(origin).start_line,
                        None => stmt.span.start_line,
                    };
                    out.push(DefaultReader {
                        qualname: format!("{prefix}{}", f.name),
                        first_line,
                        def_line: origin.line + f.def_line as usize,
                        defaults,
                    });
                }
            }
            StatementKind::Class(c) => {
                collect(
                    &c.body,
                    Some(origin),
                    &format!("{prefix}{}.", c.name),
                    names,
                    out,
                );
            }
            StatementKind::Other(_) => {}
        }
    }
}

/// What `from module import *` gives, as far as the source tells without running it.
pub fn star_exports(tree: &ModuleTree) -> StarExports {
    let mut exports = StarExports::Public;
    let all = NamesMask::of(["__all__"]);
    for stmt in &tree.statements {
        if !stmt.binds_mask.may_share(all) || !stmt.bound_names().iter().any(|n| n == "__all__") {
            continue;
        }
        exports = match &stmt.kind {
            StatementKind::Other(o) => match &o.all_literal {
                Some(names) => StarExports::Listed {
                    names: names.to_vec(),
                },
                None => StarExports::Computed,
            },
            _ => StarExports::Computed,
        };
    }
    exports
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ParsedModule, Version};

    fn tree(source: &str) -> ModuleTree {
        ParsedModule::parse("m.py", source.to_owned(), Version::New)
            .expect("test source parses")
            .tree()
            .clone()
    }

    fn check(source: &str, names: &[&str], expected: &[(&str, &str, Option<usize>, &str)]) {
        let found: Vec<(String, String, Option<usize>, String)> =
            default_readers(&tree(source), names)
                .into_iter()
                .flat_map(|r| {
                    r.defaults
                        .into_iter()
                        .map(move |d| (r.qualname.clone(), d.param, d.index, d.text))
                })
                .collect();
        let expected: Vec<(String, String, Option<usize>, String)> = expected
            .iter()
            .map(|(q, p, i, t)| ((*q).to_owned(), (*p).to_owned(), *i, (*t).to_owned()))
            .collect();
        assert_eq!(found, expected, "{source}");
    }

    #[test]
    fn defaults_reading_a_name_are_found_with_their_position() {
        check(
            "def connect(host, port=80, timeout=TIMEOUT, *, retries=RETRIES + 1):\n    pass\n",
            &["TIMEOUT", "RETRIES"],
            &[
                ("connect", "timeout", Some(1), "TIMEOUT"),
                ("connect", "retries", None, "RETRIES + 1"),
            ],
        );
    }

    #[test]
    fn methods_of_classes_are_found_and_nested_functions_are_not() {
        check(
            "class C:\n    class D:\n        def m(self, t=T):\n            pass\n    def n(self, t=T +\n        1):\n        def inner(x=T):\n            pass\n",
            &["T"],
            &[("C.D.m", "t", Some(0), "T"), ("C.n", "t", Some(0), "T +\n        1")],
        );
    }

    #[test]
    fn attribute_and_keyword_argument_names_are_not_reads() {
        check(
            "def f(a=cfg.T, b=make(T=1), c=None, d=lambda: T):\n    pass\n",
            &["T", "None"],
            &[("f", "d", Some(3), "lambda: T")],
        );
    }

    #[test]
    fn star_exports_follow_a_literal_all() {
        assert_eq!(star_exports(&tree("x = 1\n")), StarExports::Public);
        assert_eq!(
            star_exports(&tree("__all__ = ['a', \"b\"]\na = b = 1\n")),
            StarExports::Listed {
                names: vec!["a".to_owned(), "b".to_owned()]
            }
        );
        assert_eq!(
            star_exports(&tree("__all__ = ['a']\n__all__ += ['b']\n")),
            StarExports::Computed
        );
        assert_eq!(
            star_exports(&tree("__all__ = [n for n in dir()]\n")),
            StarExports::Computed
        );
    }
}
