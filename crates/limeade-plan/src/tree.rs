//! limeade's own definition tree: what the planner needs to know about a module, extracted once
//! from the parser's AST so the rest of the planner never sees parser types. Everything structural
//! is a fingerprint of the significant tokens (comments and layout excluded), so "changed" means
//! changed code, not changed text.

use std::sync::Arc;

use serde::Serialize;

pub use crate::thin::ThinList;

/// A stable 64-bit hash of a token sequence, independent of positions, comments and whitespace.
pub type Fingerprint = u64;

/// Where something is in its source: bytes for slicing, 1-based lines for people and tracebacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Span {
    /// Byte offset of the first character (the first decorator's `@` for decorated definitions).
    #[serde(skip)]
    pub start: usize,
    /// Byte offset just past the last character.
    #[serde(skip)]
    pub end: usize,
    /// 1-based first line (CPython's `co_firstlineno` for definitions).
    pub start_line: usize,
    /// 1-based last line.
    pub end_line: usize,
}

impl Span {
    /// The same span moved by an edit above it.
    pub(crate) fn shifted(self, bytes: isize, lines: isize) -> Span {
        Span {
            start: self.start.saturating_add_signed(bytes),
            end: self.end.saturating_add_signed(bytes),
            start_line: self.start_line.saturating_add_signed(lines),
            end_line: self.end_line.saturating_add_signed(lines),
        }
    }

    /// This span, held relative to `origin`, in absolute positions.
    pub fn at(self, origin: Origin) -> Span {
        Span {
            start: origin.byte + self.start,
            end: origin.byte + self.end,
            start_line: origin.line + self.start_line,
            end_line: origin.line + self.end_line,
        }
    }

    /// This absolute span relative to `origin` (which starts at or before it).
    fn relative_to(self, origin: Origin) -> Span {
        Span {
            start: self.start.saturating_sub(origin.byte),
            end: self.end.saturating_sub(origin.byte),
            start_line: self.start_line.saturating_sub(origin.line),
            end_line: self.end_line.saturating_sub(origin.line),
        }
    }
}

/// Where a top-level statement starts: what the positions held inside it are relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Origin {
    /// Byte offset of the top-level statement's first character.
    pub byte: usize,
    /// Its 1-based first line.
    pub line: usize,
}

/// A parsed module: its top-level statements in source order.
///
/// Only a top-level statement's own `span` and `imports` hold absolute positions. Everything its
/// `kind` holds (a definition's `def_line`, its defaults' lines, the statements nested in it with
/// their spans, imports and kinds, recursively) is relative to the top-level statement's
/// [`Origin`]: byte offsets from its first byte, lines counted from its first line (0 is that
/// line). An edit above a statement moves it by changing its span (and imports) alone, and the
/// kind is shared (`Arc`) between the versions: a re-parse copies nothing else of a statement
/// the edit did not touch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleTree {
    /// Top-level statements, definitions included.
    pub statements: Vec<Statement>,
}

/// One statement with the facts every kind shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Position, decorators included: absolute for a top-level statement, relative to the
    /// enclosing top-level statement's [`Origin`] for one nested in it.
    pub span: Span,
    /// All significant tokens of the statement, decorators included.
    pub fingerprint: Fingerprint,
    /// Token kinds with their line offsets from `span.start_line`: differs when lines inside the
    /// statement moved even though the code is the same (tracebacks would point at wrong lines).
    pub layout: Fingerprint,
    /// Imports anywhere inside the statement (those inside function bodies are marked weak).
    /// Their lines are absolute for a top-level statement, relative for a nested one.
    pub imports: ThinList<Import>,
    /// The names it binds, as a set of hash bits: a pass over every statement of a module
    /// (the names a window defines, `__all__`) skips those that cannot bind a name without
    /// reading their kind, which lies elsewhere in memory.
    pub binds_mask: NamesMask,
    /// What kind of statement it is.
    pub kind: StatementKind,
}

/// A set of names as one bit per name (a hash of it): `may_hold` has false positives only, so
/// a check against it can skip what surely does not match and must confirm the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NamesMask(u64);

impl NamesMask {
    /// The mask of `names`.
    pub fn of<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> NamesMask {
        NamesMask(
            names
                .into_iter()
                .fold(0, |mask, name| mask | Self::bit(name.as_ref())),
        )
    }

    fn bit(name: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = rustc_hash::FxHasher::default();
        name.hash(&mut hasher);
        1 << (hasher.finish() >> 58)
    }

    /// The mask as bits (for a kept tree's encoding).
    pub(crate) fn bits(self) -> u64 {
        self.0
    }

    /// The mask of these bits (see [`NamesMask::bits`]).
    pub(crate) fn from_bits(bits: u64) -> NamesMask {
        NamesMask(bits)
    }

    /// Whether a name in `other` may be among these names (never false when one is).
    pub fn may_share(self, other: NamesMask) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether `name` may be among these names (never false when it is).
    pub fn may_hold(self, name: &str) -> bool {
        self.0 & Self::bit(name) != 0
    }
}

/// The kinds of statement the planner treats differently. Shared between versions of a module
/// where the statement did not change (positions inside are relative, see [`ModuleTree`]).
#[derive(Debug, Clone, PartialEq)]
pub enum StatementKind {
    /// `def` / `async def`.
    Function(Arc<Function>),
    /// `class`.
    Class(Arc<Class>),
    /// Anything else: assignments, imports, expressions, compound statements.
    Other(Arc<OtherStatement>),
}

/// A function definition, split into the parts that can change independently.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Its name.
    pub name: String,
    /// `async def`.
    pub is_async: bool,
    /// Line of the `def` keyword (after any decorators), relative to the top-level origin.
    pub def_line: u32,
    /// Decorator expressions as normalised text, for display.
    pub decorators: ThinList<String>,
    /// The decorator expressions.
    pub decorators_fp: Fingerprint,
    /// Parameter names and kinds (positional-only, regular, `*args`, keyword-only, `**kwargs`).
    pub params_fp: Fingerprint,
    /// Positional default expressions.
    pub defaults_fp: Fingerprint,
    /// Keyword-only default expressions.
    pub kwdefaults_fp: Fingerprint,
    /// Whether any parameter has a default (those that read no name are not in `defaults`).
    pub has_defaults: bool,
    /// The default expressions (positional and keyword-only) that read a name, in source order,
    /// with the names they read: the live side evaluates them again when such a name is
    /// rebound. One that reads no name (`factor=2`, `None`) never needs it and is not kept:
    /// trees are kept for every tracked module.
    pub defaults: ThinList<DefaultExpr>,
    /// Parameter and return annotations.
    pub annotations_fp: Fingerprint,
    /// The docstring token, if the body starts with one.
    pub docstring_fp: Option<Fingerprint>,
    /// The body after the docstring.
    pub body_fp: Fingerprint,
    /// Definitions nested anywhere in the body (qualname `f.<locals>.g`).
    pub nested: ThinList<Statement>,
}

/// One parameter default, as the live side needs it to evaluate the expression again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefaultExpr {
    /// The parameter's name.
    pub param: String,
    /// Position in `__defaults__` for a positional parameter; `None` for a keyword-only one
    /// (found in `__kwdefaults__` by name).
    pub index: Option<usize>,
    /// The expression exactly as written (it may span lines; wrap it in parentheses to compile).
    pub text: String,
    /// Line the expression starts on: in a tree, counted from the top-level origin's line (0 is
    /// that line); in a plan, 1-based.
    pub line: usize,
    /// Names the expression loads (attribute names, keyword argument names and keywords
    /// excluded; names bound inside it, such as lambda parameters, may be included).
    pub reads: Vec<String>,
}

/// A class definition: its header and its body statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Class {
    /// Its name.
    pub name: String,
    /// Line of the `class` keyword (after any decorators), relative to the top-level origin.
    pub def_line: u32,
    /// Decorator expressions as normalised text, for display.
    pub decorators: ThinList<String>,
    /// The decorator expressions.
    pub decorators_fp: Fingerprint,
    /// PEP 695 type parameters as normalised text with their brackets (`[T: int, *Ts]`):
    /// members compile inside that scope.
    pub type_params: Option<String>,
    /// Base class expressions as normalised text.
    pub bases: Box<[String]>,
    /// The `metaclass=` keyword as normalised text.
    pub metaclass: Option<String>,
    /// Class keywords other than `metaclass` (passed to `__init_subclass__`), as normalised text.
    pub keywords: ThinList<String>,
    /// `__slots__` as declared directly in the body.
    pub slots: Option<Slots>,
    /// The docstring token, if the body starts with one.
    pub docstring_fp: Option<Fingerprint>,
    /// The docstring's value as its literal gives it (escapes decoded, not dedented).
    pub docstring: Option<String>,
    /// The body starts on the line the header ends on (`class C: x = 1`): no member can be
    /// compiled from its own lines.
    pub body_on_header_line: bool,
    /// Body statements in order (methods, nested classes, attributes, anything else).
    pub body: Box<[Statement]>,
}

/// A `__slots__` declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Slots {
    /// A literal string or tuple/list/set of strings: the names are known without running code.
    Literal(Vec<String>),
    /// Computed at class creation.
    Dynamic {
        /// The expression's normalised text.
        expression: String,
        /// Names the expression reads: when one of them is rebound, the slots may change.
        reads: Vec<String>,
    },
}

/// A statement that is not a definition.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherStatement {
    /// Short description of the statement kind (`assignment`, `import`, `if`, `expression`, ...).
    pub label: &'static str,
    /// Names it binds in its scope, in source order, without duplicates.
    pub binds: Box<[String]>,
    /// For `__slots__ = ...` and enum-like assignments, nothing else needed: binds says it.
    /// `from __future__ import ...`: changes how every statement compiles.
    pub is_future_import: bool,
    /// For `__all__ = [...]` (or a tuple) of string literals: the names, known without running.
    pub all_literal: Option<Box<[String]>>,
    /// `if __name__ == "__main__":` (any spelling): the block that starts the program.
    pub is_main_guard: bool,
    /// Holds a `lambda` or a `def`: the only statements that make functions (whose line
    /// numbers need updating when the statement moves).
    pub makes_functions: bool,
}

/// One import, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Import {
    /// Dotted module after `import` or `from` (empty for `from . import x`).
    pub module: String,
    /// Leading dots of a relative import.
    pub level: u32,
    /// For `from m import a as b`: (a, b); empty for `import m`.
    pub names: Vec<ImportedName>,
    /// For `import a.b as c`, `c`.
    pub asname: Option<String>,
    /// Inside a function body: runs later, so it does not order module execution.
    pub weak: bool,
    /// 1-based line.
    pub line: usize,
}

/// `name as asname` in a `from` import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedName {
    /// Name in the source module (`*` for a star import).
    pub name: String,
    /// Name bound in the importer.
    pub bound_as: String,
}

impl Statement {
    /// Where this statement starts, for a top-level statement: what positions inside it are
    /// relative to.
    pub fn origin(&self) -> Origin {
        Origin {
            byte: self.span.start,
            line: self.span.start_line,
        }
    }

    /// Line of the `def` / `class` keyword of a definition, relative to the top-level origin.
    pub fn def_line(&self) -> Option<usize> {
        match &self.kind {
            StatementKind::Function(f) => Some(f.def_line as usize),
            StatementKind::Class(c) => Some(c.def_line as usize),
            StatementKind::Other(_) => None,
        }
    }

    /// The name a definition binds, if this is one.
    pub fn definition_name(&self) -> Option<&str> {
        match &self.kind {
            StatementKind::Function(f) => Some(&f.name),
            StatementKind::Class(c) => Some(&c.name),
            StatementKind::Other(_) => None,
        }
    }

    /// Whether both hold the very same kind (shared by two versions of a module): then it is
    /// equal without reading it.
    pub fn shares_kind(&self, other: &Statement) -> bool {
        match (&self.kind, &other.kind) {
            (StatementKind::Function(x), StatementKind::Function(y)) => Arc::ptr_eq(x, y),
            (StatementKind::Class(x), StatementKind::Class(y)) => Arc::ptr_eq(x, y),
            (StatementKind::Other(x), StatementKind::Other(y)) => Arc::ptr_eq(x, y),
            _ => false,
        }
    }

    /// How many trees share its kind (a plain read of the kind's count).
    pub(crate) fn kind_count(&self) -> usize {
        match &self.kind {
            StatementKind::Function(x) => Arc::strong_count(x),
            StatementKind::Class(x) => Arc::strong_count(x),
            StatementKind::Other(x) => Arc::strong_count(x),
        }
    }

    /// Names this statement binds in its scope, borrowed.
    pub fn bound_names(&self) -> &[String] {
        match &self.kind {
            StatementKind::Function(f) => std::slice::from_ref(&f.name),
            StatementKind::Class(c) => std::slice::from_ref(&c.name),
            StatementKind::Other(o) => &o.binds,
        }
    }

    /// Names this statement binds in its scope.
    pub fn binds(&self) -> Vec<String> {
        match &self.kind {
            StatementKind::Function(f) => vec![f.name.clone()],
            StatementKind::Class(c) => vec![c.name.clone()],
            StatementKind::Other(o) => o.binds.to_vec(),
        }
    }

    /// Give back the spare capacity of every list it holds, nested ones included: trees are
    /// kept for as long as the module is tracked. (Most lists of a tree are boxed slices, exact
    /// already; these are the few `Vec`s left.)
    pub(crate) fn shrink_to_fit(&mut self) {
        for import in &mut self.imports {
            import.names.shrink_to_fit();
        }
        match &mut self.kind {
            StatementKind::Function(f) => {
                if f.defaults.is_empty() && f.nested.is_empty() {
                    return;
                }
                let f = Arc::make_mut(f);
                for default in &mut f.defaults {
                    default.reads.shrink_to_fit();
                }
                f.nested.iter_mut().for_each(Statement::shrink_to_fit);
            }
            StatementKind::Class(c) => {
                let c = Arc::make_mut(c);
                match &mut c.slots {
                    Some(Slots::Literal(names)) => names.shrink_to_fit(),
                    Some(Slots::Dynamic { reads, .. }) => reads.shrink_to_fit(),
                    None => {}
                }
                c.body.iter_mut().for_each(Statement::shrink_to_fit);
            }
            StatementKind::Other(_) => {}
        }
    }

    /// The same top-level statement after an edit above it moved it by `bytes` and `lines`:
    /// only its own span and imports hold absolute positions, its kind is shared.
    pub(crate) fn shift(&mut self, bytes: isize, lines: isize) {
        self.span = self.span.shifted(bytes, lines);
        for import in &mut self.imports {
            import.line = import.line.saturating_add_signed(lines);
        }
    }

    /// Make every position inside this new top-level statement's kind relative to its origin
    /// (the parser gives absolute ones). Done once, while the kind is not shared yet.
    fn make_inner_positions_relative(&mut self) {
        let origin = self.origin();
        relativize_kind(&mut self.kind, origin);
    }
}

fn relativize_kind(kind: &mut StatementKind, origin: Origin) {
    match kind {
        StatementKind::Function(f) => {
            let f = Arc::make_mut(f);
            f.def_line = f.def_line.saturating_sub(line_u32(origin.line));
            for default in &mut f.defaults {
                default.line = default.line.saturating_sub(origin.line);
            }
            f.nested
                .iter_mut()
                .for_each(|nested| relativize_nested(nested, origin));
        }
        StatementKind::Class(c) => {
            let c = Arc::make_mut(c);
            c.def_line = c.def_line.saturating_sub(line_u32(origin.line));
            c.body
                .iter_mut()
                .for_each(|member| relativize_nested(member, origin));
        }
        StatementKind::Other(_) => {}
    }
}

fn relativize_nested(stmt: &mut Statement, origin: Origin) {
    stmt.span = stmt.span.relative_to(origin);
    for import in &mut stmt.imports {
        import.line = import.line.saturating_sub(origin.line);
    }
    relativize_kind(&mut stmt.kind, origin);
}

/// A line number as a tree holds it (saturating: no source has 4 billion lines).
pub(crate) fn line_u32(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// A parsed region's top-level statements made ready to keep: spare capacity given back and
/// inner positions made relative (see [`ModuleTree`]).
pub(crate) fn finish_top_level(statements: &mut Vec<Statement>) {
    shrink_all(statements);
    statements
        .iter_mut()
        .for_each(Statement::make_inner_positions_relative);
}

/// [`Statement::shrink_to_fit`] for a list of statements and the list itself.
pub(crate) fn shrink_all(statements: &mut Vec<Statement>) {
    statements.shrink_to_fit();
    statements.iter_mut().for_each(Statement::shrink_to_fit);
}
