//! Every definition of a tree with its qualified name and occurrence, and finding the old
//! definition a new one matches, for [`crate::diff`].

use std::rc::Rc;

use rustc_hash::FxHashMap as HashMap;

use crate::tree::{ModuleTree, Origin, Span, Statement, StatementKind};

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

/// Every definition in the tree, depth-first in source order.
pub(crate) fn flatten(tree: &ModuleTree) -> Vec<DefEntry<'_>> {
    let mut out = Vec::with_capacity(tree.statements.len() * 4);
    let mut seen: HashMap<Qualname<'_>, usize> = HashMap::default();
    seen.reserve(tree.statements.len() * 4);
    flatten_into(
        &tree.statements,
        None,
        &Rc::from(""),
        "",
        &mut out,
        &mut seen,
    );
    out
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
