//! Every definition of a tree with its qualified name and occurrence, and finding the old
//! definition a new one matches, for [`crate::diff`].

use std::ops::Range;
use std::rc::Rc;

use rustc_hash::FxHashMap as HashMap;

use crate::tree::{ModuleTree, NamesMask, Origin, Slots, Span, Statement, StatementKind};

/// A qualified name: borrowed from the tree at module level (where it is the name), built for
/// nested definitions. Cheap to clone either way. Compared and hashed as the string it is (so
/// maps keyed by it can be asked with a `&str`).
#[derive(Clone)]
pub(crate) enum Qualname<'a> {
    Top(&'a str),
    Nested(Rc<str>),
}

impl PartialEq for Qualname<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Qualname<'_> {}

impl std::hash::Hash for Qualname<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl std::ops::Deref for Qualname<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Qualname::Top(name) => name,
            Qualname::Nested(qualname) => qualname,
        }
    }
}

impl std::borrow::Borrow<str> for Qualname<'_> {
    fn borrow(&self) -> &str {
        self
    }
}

/// A definition with its qualified name, as found by [`flatten`].
pub(crate) struct DefEntry<'a> {
    pub(crate) qualname: Qualname<'a>,
    pub(crate) occurrence: usize,
    /// Qualified name of the enclosing scope (`""` for module level).
    pub(crate) scope: Rc<str>,
    pub(crate) stmt: &'a Statement,
    /// Its top-level statement's origin: positions inside `stmt` are relative to it.
    pub(crate) origin: Origin,
    /// Its span in absolute positions.
    pub(crate) span: Span,
}

impl DefEntry<'_> {
    /// Line of the `def` / `class` keyword, absolute.
    pub(crate) fn def_line(&self) -> Option<usize> {
        self.stmt.def_line().map(|line| self.origin.line + line)
    }
}

/// Every definition in `statements` (top-level statements of a tree), depth-first in source
/// order. Occurrences count from the first of them: see [`definition_window`] for when a part
/// of a tree can be flattened on its own.
pub(crate) fn flatten(statements: &[Statement]) -> Vec<DefEntry<'_>> {
    let mut out = Vec::with_capacity(statements.len() * 4);
    let mut seen: HashMap<Qualname<'_>, usize> = HashMap::default();
    seen.reserve(statements.len() * 4);
    flatten_into(statements, None, &Rc::from(""), "", &mut out, &mut seen);
    out
}

/// The top-level statements of each version whose definitions can differ: all but the longest
/// prefix and suffix the versions share exactly (same code on the same lines). A definition in
/// such a shared statement is unchanged and did not move, and a one-line edit of a 10,000-line
/// module would otherwise list and compare its every definition. The shared ends are left out
/// only when they define no top-level name the rest defines: a qualified name's occurrence
/// (and so its match) depends on every earlier definition of that name.
///
/// A shared class whose `__slots__` expression reads a name in `rebound` (bound anew by the
/// module's changed statements) may get another layout: then nothing is left out, so that
/// class is checked like every other.
pub(crate) fn definition_window(
    old: &ModuleTree,
    new: &ModuleTree,
    rebound: &rustc_hash::FxHashSet<String>,
) -> (Range<usize>, Range<usize>) {
    let (old, new) = (&old.statements, &new.statements);
    let prefix = old
        .iter()
        .zip(new)
        .take_while(|(a, b)| same_place(a, b))
        .count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| same_place(a, b))
        .count();
    let windows = (prefix..old.len() - suffix, prefix..new.len() - suffix);
    let full = (0..old.len(), 0..new.len());
    if prefix == 0 && suffix == 0 {
        return full;
    }
    let names: rustc_hash::FxHashSet<&str> = old[windows.0.clone()]
        .iter()
        .chain(&new[windows.1.clone()])
        .filter_map(Statement::definition_name)
        .collect();
    let names_mask = NamesMask::of(names.iter());
    let mut shared = old[..prefix].iter().chain(&old[old.len() - suffix..]);
    let conflicts = |stmt: &Statement| {
        (stmt.binds_mask.may_share(names_mask)
            && stmt
                .definition_name()
                .is_some_and(|name| names.contains(name)))
            || (!rebound.is_empty() && slots_read_any(stmt, rebound))
    };
    if (names.is_empty() && rebound.is_empty()) || !shared.any(conflicts) {
        windows
    } else {
        full
    }
}

/// Whether `stmt` is or holds a class whose dynamic `__slots__` reads one of `names`.
fn slots_read_any(stmt: &Statement, names: &rustc_hash::FxHashSet<String>) -> bool {
    match &stmt.kind {
        StatementKind::Class(c) => {
            matches!(&c.slots, Some(Slots::Dynamic { reads, .. }) if reads.iter().any(|r| names.contains(r)))
                || c.body.iter().any(|s| slots_read_any(s, names))
        }
        StatementKind::Function(f) => f.nested.iter().any(|s| slots_read_any(s, names)),
        StatementKind::Other(_) => false,
    }
}

/// Whether two top-level statements are the same code on the same lines (their definitions,
/// nested ones included, are then identical). A statement a re-parse kept is the same `Arc`;
/// two separate parses are compared in full.
fn same_place(a: &Statement, b: &Statement) -> bool {
    a.span.start_line == b.span.start_line
        && a.span.end_line == b.span.end_line
        && a.fingerprint == b.fingerprint
        && a.layout == b.layout
        && (a.shares_kind(b) || a.kind == b.kind)
}

/// `top`: the origin of the top-level statement holding `statements`, `None` at module level.
fn flatten_into<'a>(
    statements: &'a [Statement],
    top: Option<Origin>,
    scope: &Rc<str>,
    prefix: &str,
    out: &mut Vec<DefEntry<'a>>,
    seen: &mut HashMap<Qualname<'a>, usize>,
) {
    for stmt in statements {
        let Some(name) = stmt.definition_name() else {
            continue;
        };
        let origin = top.unwrap_or_else(|| stmt.origin());
        let span = match top {
            Some(origin) => stmt.span.at(origin),
            None => stmt.span,
        };
        let qualname = if prefix.is_empty() {
            Qualname::Top(name)
        } else {
            let mut qualname = String::with_capacity(prefix.len() + name.len());
            qualname.push_str(prefix);
            qualname.push_str(name);
            Qualname::Nested(Rc::from(qualname))
        };
        let occurrence = match seen.get_mut(&*qualname) {
            Some(counter) => {
                *counter += 1;
                *counter - 1
            }
            None => {
                seen.insert(qualname.clone(), 1);
                0
            }
        };
        out.push(DefEntry {
            qualname: qualname.clone(),
            occurrence,
            scope: scope.clone(),
            stmt,
            origin,
            span,
        });
        match &stmt.kind {
            StatementKind::Function(f) if !f.nested.is_empty() => {
                let inner = format!("{}.<locals>.", &*qualname);
                let scope: Rc<str> = Rc::from(&*qualname);
                flatten_into(&f.nested, Some(origin), &scope, &inner, out, seen);
            }
            StatementKind::Class(c) => {
                let inner = format!("{}.", &*qualname);
                let scope: Rc<str> = Rc::from(&*qualname);
                flatten_into(&c.body, Some(origin), &scope, &inner, out, seen);
            }
            _ => {}
        }
    }
}

/// Finds the old definition with a new one's qualified name and occurrence: first where it is
/// when nothing was added or removed before it (just after the previous match), so an edit
/// that adds or removes no definition never builds the hash index.
pub(crate) struct OldDefs<'e, 'a> {
    defs: &'e [DefEntry<'a>],
    next: usize,
    index: Option<HashMap<(&'e str, usize), usize>>,
}

impl<'e, 'a> OldDefs<'e, 'a> {
    pub(crate) fn new(defs: &'e [DefEntry<'a>]) -> Self {
        OldDefs {
            defs,
            next: 0,
            index: None,
        }
    }

    pub(crate) fn find(&mut self, qualname: &str, occurrence: usize) -> Option<usize> {
        if let Some(guess) = self.defs.get(self.next) {
            if guess.occurrence == occurrence && *guess.qualname == *qualname {
                self.next += 1;
                return Some(self.next - 1);
            }
        }
        let defs = self.defs;
        let index = self.index.get_or_insert_with(|| {
            defs.iter()
                .enumerate()
                .map(|(i, d)| ((&*d.qualname, d.occurrence), i))
                .collect()
        });
        let found = index.get(&(qualname, occurrence)).copied();
        if let Some(i) = found {
            self.next = i + 1;
        }
        found
    }
}
