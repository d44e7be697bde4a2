//! Walks over statements that need no source text: which names a statement binds, which imports
//! it holds, which statement lists a compound statement contains.

use crate::frozen::STATEMENT_LABELS;
use rustpython_parser::ast;

pub(super) fn string_elements(elts: &[ast::Expr]) -> Option<Vec<String>> {
    elts.iter()
        .map(|e| match e {
            ast::Expr::Constant(c) => match &c.value {
                ast::Constant::Str(s) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The names of `__all__ = [...]` (or a tuple) when every element is a string literal.
pub(super) fn all_literal(stmt: &ast::Stmt) -> Option<Vec<String>> {
    let ast::Stmt::Assign(a) = stmt else {
        return None;
    };
    let [ast::Expr::Name(target)] = a.targets.as_slice() else {
        return None;
    };
    if target.id.as_str() != "__all__" {
        return None;
    }
    match a.value.as_ref() {
        ast::Expr::List(l) => string_elements(&l.elts),
        ast::Expr::Tuple(t) => string_elements(&t.elts),
        _ => None,
    }
}

/// Whether `stmt` is `if __name__ == "__main__":` in any spelling the AST allows (either
/// quote, either side of `==`, parentheses, implicitly concatenated literals): the block that
/// starts the program, which a refresh must never run again.
pub(super) fn is_main_guard(stmt: &ast::Stmt) -> bool {
    let ast::Stmt::If(i) = stmt else {
        return false;
    };
    let ast::Expr::Compare(c) = i.test.as_ref() else {
        return false;
    };
    let ([ast::CmpOp::Eq], [right]) = (c.ops.as_slice(), c.comparators.as_slice()) else {
        return false;
    };
    let is_name = |e: &ast::Expr| matches!(e, ast::Expr::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &ast::Expr| {
        matches!(e, ast::Expr::Constant(k)
            if matches!(&k.value, ast::Constant::Str(s) if s == "__main__"))
    };
    (is_name(&c.left) && is_main(right)) || (is_main(&c.left) && is_name(right))
}

/// The value of the docstring a body starts with (a string literal as its first statement),
/// as the literal gives it: escapes decoded, implicit concatenation joined, no dedent.
pub(super) fn docstring_value(body: &[ast::Stmt]) -> Option<String> {
    let Some(ast::Stmt::Expr(e)) = body.first() else {
        return None;
    };
    match e.value.as_ref() {
        ast::Expr::Constant(c) => match &c.value {
            ast::Constant::Str(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The value assigned to `__slots__` by a class-body statement.
pub(super) fn slots_value(stmt: &ast::Stmt) -> Option<&ast::Expr> {
    match stmt {
        ast::Stmt::Assign(a)
            if a.targets
                .iter()
                .any(|t| matches!(t, ast::Expr::Name(n) if n.id.as_str() == "__slots__")) =>
        {
            Some(&a.value)
        }
        ast::Stmt::AnnAssign(a) if matches!(a.target.as_ref(), ast::Expr::Name(n) if n.id.as_str() == "__slots__") => {
            a.value.as_deref()
        }
        _ => None,
    }
}

/// A statement's label, from the table a kept tree's encoding uses ([`STATEMENT_LABELS`]):
/// every label is in it by construction.
pub(super) fn statement_label(stmt: &ast::Stmt) -> &'static str {
    let index = match stmt {
        ast::Stmt::Assign(_) | ast::Stmt::AnnAssign(_) | ast::Stmt::AugAssign(_) => 0,
        ast::Stmt::TypeAlias(_) => 1,
        ast::Stmt::Import(_) | ast::Stmt::ImportFrom(_) => 2,
        ast::Stmt::Expr(_) => 3,
        ast::Stmt::If(_) => 4,
        ast::Stmt::For(_) | ast::Stmt::AsyncFor(_) => 5,
        ast::Stmt::While(_) => 6,
        ast::Stmt::With(_) | ast::Stmt::AsyncWith(_) => 7,
        ast::Stmt::Try(_) | ast::Stmt::TryStar(_) => 8,
        ast::Stmt::Match(_) => 9,
        ast::Stmt::Delete(_) => 10,
        ast::Stmt::Assert(_) => 11,
        ast::Stmt::Raise(_) => 12,
        ast::Stmt::Global(_) => 13,
        ast::Stmt::Nonlocal(_) => 14,
        ast::Stmt::Pass(_) => 15,
        ast::Stmt::Return(_) => 16,
        ast::Stmt::Break(_) | ast::Stmt::Continue(_) => 17,
        ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) => 18,
        ast::Stmt::ClassDef(_) => 19,
    };
    STATEMENT_LABELS[index]
}

/// Call `f` with every statement list directly inside a compound statement.
pub(super) fn for_each_child_body<'a>(stmt: &'a ast::Stmt, f: &mut dyn FnMut(&'a [ast::Stmt])) {
    match stmt {
        ast::Stmt::If(s) => {
            f(&s.body);
            f(&s.orelse);
        }
        ast::Stmt::For(s) => {
            f(&s.body);
            f(&s.orelse);
        }
        ast::Stmt::AsyncFor(s) => {
            f(&s.body);
            f(&s.orelse);
        }
        ast::Stmt::While(s) => {
            f(&s.body);
            f(&s.orelse);
        }
        ast::Stmt::With(s) => f(&s.body),
        ast::Stmt::AsyncWith(s) => f(&s.body),
        ast::Stmt::Try(s) => {
            f(&s.body);
            for ast::ExceptHandler::ExceptHandler(h) in &s.handlers {
                f(&h.body);
            }
            f(&s.orelse);
            f(&s.finalbody);
        }
        ast::Stmt::TryStar(s) => {
            f(&s.body);
            for ast::ExceptHandler::ExceptHandler(h) in &s.handlers {
                f(&h.body);
            }
            f(&s.orelse);
            f(&s.finalbody);
        }
        ast::Stmt::Match(s) => {
            for case in &s.cases {
                f(&case.body);
            }
        }
        ast::Stmt::FunctionDef(s) => f(&s.body),
        ast::Stmt::AsyncFunctionDef(s) => f(&s.body),
        ast::Stmt::ClassDef(s) => f(&s.body),
        _ => {}
    }
}

/// Every import statement inside `stmt`; those inside function bodies are weak.
pub(super) fn collect_imports<'a>(
    stmt: &'a ast::Stmt,
    weak: bool,
    out: &mut dyn FnMut((&'a ast::Stmt, bool)),
) {
    match stmt {
        ast::Stmt::Import(_) | ast::Stmt::ImportFrom(_) => out((stmt, weak)),
        ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) => {
            for_each_child_body(stmt, &mut |body| {
                for s in body {
                    collect_imports(s, true, out);
                }
            });
        }
        _ => {
            for_each_child_body(stmt, &mut |body| {
                for s in body {
                    collect_imports(s, weak, out);
                }
            });
        }
    }
}

/// Names a non-definition statement binds in its own scope, through compound statements.
pub(super) fn collect_binds(stmt: &ast::Stmt, out: &mut Vec<String>) {
    match stmt {
        // A definition binds its own name; what its body binds is in another scope.
        ast::Stmt::FunctionDef(f) => return out.push(f.name.as_str().to_owned()),
        ast::Stmt::AsyncFunctionDef(f) => return out.push(f.name.as_str().to_owned()),
        ast::Stmt::ClassDef(c) => return out.push(c.name.as_str().to_owned()),
        ast::Stmt::Assign(a) => {
            for t in &a.targets {
                target_names(t, out);
            }
        }
        ast::Stmt::AnnAssign(a) if a.value.is_some() => target_names(&a.target, out),
        ast::Stmt::AugAssign(a) => target_names(&a.target, out),
        ast::Stmt::TypeAlias(a) => target_names(&a.name, out),
        ast::Stmt::Import(i) => {
            for alias in &i.names {
                let bound = match &alias.asname {
                    Some(asname) => asname.as_str(),
                    None => alias.name.as_str().split('.').next().unwrap_or_default(),
                };
                out.push(bound.to_owned());
            }
        }
        ast::Stmt::ImportFrom(i) => {
            for alias in &i.names {
                out.push(
                    alias
                        .asname
                        .as_ref()
                        .unwrap_or(&alias.name)
                        .as_str()
                        .to_owned(),
                );
            }
        }
        ast::Stmt::For(f) => target_names(&f.target, out),
        ast::Stmt::AsyncFor(f) => target_names(&f.target, out),
        ast::Stmt::With(w) => with_names(&w.items, out),
        ast::Stmt::AsyncWith(w) => with_names(&w.items, out),
        ast::Stmt::Try(t) => handler_names(&t.handlers, out),
        ast::Stmt::TryStar(t) => handler_names(&t.handlers, out),
        ast::Stmt::Match(m) => {
            for case in &m.cases {
                pattern_names(&case.pattern, out);
            }
        }
        _ => {}
    }
    // Compound statements' bodies bind in the same scope.
    for_each_child_body(stmt, &mut |body| {
        body.iter().for_each(|s| collect_binds(s, out))
    });
}

fn with_names(items: &[ast::WithItem], out: &mut Vec<String>) {
    for item in items {
        if let Some(vars) = &item.optional_vars {
            target_names(vars, out);
        }
    }
}

fn handler_names(handlers: &[ast::ExceptHandler], out: &mut Vec<String>) {
    for ast::ExceptHandler::ExceptHandler(h) in handlers {
        if let Some(name) = &h.name {
            out.push(name.as_str().to_owned());
        }
    }
}

/// Names bound by an assignment target (`a`, `a, *b`, `[a, (b, c)]`); attributes and subscripts
/// bind nothing in the scope.
pub(super) fn target_names(target: &ast::Expr, out: &mut Vec<String>) {
    // Targets nest only as deep as their brackets, which the depth check bounded.
    match target {
        ast::Expr::Name(n) => out.push(n.id.as_str().to_owned()),
        ast::Expr::Tuple(t) => t.elts.iter().for_each(|e| target_names(e, out)),
        ast::Expr::List(l) => l.elts.iter().for_each(|e| target_names(e, out)),
        ast::Expr::Starred(s) => target_names(&s.value, out),
        _ => {}
    }
}

/// Names a `case` pattern captures. Patterns nest only as deep as their brackets, which the
/// depth check bounded.
fn pattern_names(pattern: &ast::Pattern, out: &mut Vec<String>) {
    match pattern {
        ast::Pattern::MatchValue(_) | ast::Pattern::MatchSingleton(_) => {}
        ast::Pattern::MatchSequence(p) => p.patterns.iter().for_each(|p| pattern_names(p, out)),
        ast::Pattern::MatchMapping(p) => {
            p.patterns.iter().for_each(|p| pattern_names(p, out));
            if let Some(rest) = &p.rest {
                out.push(rest.as_str().to_owned());
            }
        }
        ast::Pattern::MatchClass(p) => {
            p.patterns.iter().for_each(|p| pattern_names(p, out));
            p.kwd_patterns.iter().for_each(|p| pattern_names(p, out));
        }
        ast::Pattern::MatchStar(p) => {
            if let Some(name) = &p.name {
                out.push(name.as_str().to_owned());
            }
        }
        ast::Pattern::MatchAs(p) => {
            if let Some(inner) = &p.pattern {
                pattern_names(inner, out);
            }
            if let Some(name) = &p.name {
                out.push(name.as_str().to_owned());
            }
        }
        ast::Pattern::MatchOr(p) => p.patterns.iter().for_each(|p| pattern_names(p, out)),
    }
}
