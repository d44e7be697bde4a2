//! Trees of modules nobody is editing, kept encoded in one buffer each.
//!
//! A kept tree is a few small allocations per definition (a statement slot, its shared kind, a
//! name): about 300 bytes per definition, the largest part of what limeade keeps per module.
//! Most tracked modules are never edited, so their trees are kept encoded (positions and counts
//! as variable-length integers, fingerprints as they are, strings with their lengths: a third
//! of the size, in one allocation) and decoded when a refresh of the module needs its tree.
//! [`FrozenModule`] is a [`ParsedModule`] in that form: it cannot be planned from until it is
//! thawed, so no tree is ever read in the encoded form by mistake.

use std::sync::Arc;

use crate::error::PlanError;
use crate::kept_text::KeptText;
use crate::parsed::ParsedModule;
use crate::tree::{
    Class, DefaultExpr, Function, Import, ImportedName, ModuleTree, NamesMask, OtherStatement,
    Slots, Span, Statement, StatementKind,
};

/// Every label an [`OtherStatement`] can have (`syntax::walk::statement_label` picks from
/// it): encoded as its index, decoded back to the same `&'static str`.
pub(crate) const STATEMENT_LABELS: [&str; 20] = [
    "assignment",
    "type alias",
    "import",
    "expression",
    "if",
    "for",
    "while",
    "with",
    "try",
    "match",
    "del",
    "assert",
    "raise",
    "global",
    "nonlocal",
    "pass",
    "return",
    "loop control",
    "def",
    "class",
];

/// A parsed module with its tree encoded (see the module docs).
#[derive(Debug, Clone)]
pub struct FrozenModule {
    path: String,
    text: KeptText,
    tree: Box<[u8]>,
}

impl ParsedModule {
    /// This module with its tree encoded (see [`FrozenModule`]).
    pub fn freeze(self) -> FrozenModule {
        let (path, text, tree) = self.into_parts();
        let mut out = Writer(Vec::with_capacity(64 * tree.statements.len()));
        out.statements(&tree.statements);
        FrozenModule {
            path,
            text,
            tree: out.0.into_boxed_slice(),
        }
    }
}

impl FrozenModule {
    /// The parsed module again, its tree decoded.
    pub fn thaw(&self) -> Result<ParsedModule, PlanError> {
        let mut input = Reader {
            bytes: &self.tree,
            at: 0,
        };
        let statements = input
            .statements()
            .filter(|_| input.at == input.bytes.len())
            .ok_or_else(|| PlanError::Internal {
                path: self.path.clone(),
                message: "a kept tree does not decode".to_owned(),
            })?;
        Ok(ParsedModule::from_parts(
            self.path.clone(),
            self.text.clone(),
            ModuleTree { statements },
        ))
    }

    /// Its source text, as kept.
    pub fn kept_text(&self) -> &KeptText {
        &self.text
    }

    /// Bytes its encoded tree takes.
    pub fn tree_heap_bytes(&self) -> usize {
        self.tree.len()
    }
}

/// Appends the encoding.
struct Writer(Vec<u8>);

impl Writer {
    fn uint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    fn usize(&mut self, n: usize) {
        self.uint(n as u64);
    }

    fn fixed(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn flag(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }

    fn str(&mut self, s: &str) {
        self.usize(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    /// A count, then each item.
    fn list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        self.usize(items.len());
        items.iter().for_each(|x| item(self, x));
    }

    /// Whether there is a value, then the value.
    fn option<T>(&mut self, value: Option<T>, item: impl FnOnce(&mut Self, T)) {
        self.flag(value.is_some());
        if let Some(x) = value {
            item(self, x);
        }
    }

    fn strs<S: AsRef<str>>(&mut self, items: &[S]) {
        self.list(items, |w, s| w.str(s.as_ref()));
    }

    fn opt_str(&mut self, s: Option<&str>) {
        self.option(s, Self::str);
    }

    fn span(&mut self, span: Span) {
        self.usize(span.start);
        self.usize(span.end.saturating_sub(span.start));
        self.usize(span.start_line);
        self.usize(span.end_line.saturating_sub(span.start_line));
    }

    fn statements(&mut self, statements: &[Statement]) {
        self.list(statements, Self::statement);
    }

    fn statement(&mut self, s: &Statement) {
        self.span(s.span);
        self.fixed(s.fingerprint);
        self.fixed(s.layout);
        self.fixed(s.binds_mask.bits());
        self.list(&s.imports, Self::import);
        match &s.kind {
            StatementKind::Function(f) => {
                self.0.push(0);
                self.function(f);
            }
            StatementKind::Class(c) => {
                self.0.push(1);
                self.class(c);
            }
            StatementKind::Other(o) => {
                self.0.push(2);
                self.other(o);
            }
        }
    }

    fn import(&mut self, import: &Import) {
        self.str(&import.module);
        self.uint(u64::from(import.level));
        self.list(&import.names, |w, name| {
            w.str(&name.name);
            w.str(&name.bound_as);
        });
        self.opt_str(import.asname.as_deref());
        self.flag(import.weak);
        self.usize(import.line);
    }

    fn function(&mut self, f: &Function) {
        self.str(&f.name);
        self.flag(f.is_async);
        self.uint(u64::from(f.def_line));
        self.strs(&f.decorators);
        for fp in [
            f.decorators_fp,
            f.params_fp,
            f.defaults_fp,
            f.kwdefaults_fp,
            f.annotations_fp,
            f.body_fp,
        ] {
            self.fixed(fp);
        }
        self.flag(f.has_defaults);
        self.list(&f.defaults, |w, default| {
            w.str(&default.param);
            w.option(default.index, Self::usize);
            w.str(&default.text);
            w.usize(default.line);
            w.strs(&default.reads);
        });
        self.option(f.docstring_fp, Self::fixed);
        self.statements(&f.nested);
    }

    fn class(&mut self, c: &Class) {
        self.str(&c.name);
        self.uint(u64::from(c.def_line));
        self.strs(&c.decorators);
        self.fixed(c.decorators_fp);
        self.opt_str(c.type_params.as_deref());
        self.strs(&c.bases);
        self.opt_str(c.metaclass.as_deref());
        self.strs(&c.keywords);
        match &c.slots {
            None => self.0.push(0),
            Some(Slots::Literal(names)) => {
                self.0.push(1);
                self.strs(names);
            }
            Some(Slots::Dynamic { expression, reads }) => {
                self.0.push(2);
                self.str(expression);
                self.strs(reads);
            }
        }
        self.option(c.docstring_fp, Self::fixed);
        self.opt_str(c.docstring.as_deref());
        self.flag(c.body_on_header_line);
        self.statements(&c.body);
    }

    fn other(&mut self, o: &OtherStatement) {
        // Every label is in the table (`statement_label` takes them from it); another would
        // not decode, and its module would be parsed again instead.
        let label = STATEMENT_LABELS
            .iter()
            .position(|l| *l == o.label)
            .unwrap_or(STATEMENT_LABELS.len());
        self.usize(label);
        self.strs(&o.binds);
        self.flag(o.is_future_import);
        self.option(o.all_literal.as_deref(), Self::strs);
        self.flag(o.is_main_guard);
        self.flag(o.makes_functions);
    }
}

/// Reads the encoding back; `None` on anything it does not hold (never for what a [`Writer`]
/// wrote).
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn uint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    }

    fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.uint()?).ok()
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.uint()?).ok()
    }

    fn fixed(&mut self) -> Option<u64> {
        let bytes = self.bytes.get(self.at..self.at + 8)?;
        self.at += 8;
        Some(u64::from_le_bytes(bytes.try_into().ok()?))
    }

    fn flag(&mut self) -> Option<bool> {
        Some(self.byte()? != 0)
    }

    fn string(&mut self) -> Option<String> {
        let len = self.usize()?;
        let bytes = self.bytes.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        String::from_utf8(bytes.to_vec()).ok()
    }

    /// A count, then each item ([`Writer::list`]).
    fn list<T, C: FromIterator<T>>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<C> {
        let n = self.usize()?;
        (0..n).map(|_| item(self)).collect()
    }

    /// Whether there is a value, then the value ([`Writer::option`]).
    fn option<T>(&mut self, item: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        Some(if self.flag()? {
            Some(item(self)?)
        } else {
            None
        })
    }

    fn strings<C: FromIterator<String>>(&mut self) -> Option<C> {
        self.list(Self::string)
    }

    fn opt_string(&mut self) -> Option<Option<String>> {
        self.option(Self::string)
    }

    fn span(&mut self) -> Option<Span> {
        let start = self.usize()?;
        let end = start.checked_add(self.usize()?)?;
        let start_line = self.usize()?;
        let end_line = start_line.checked_add(self.usize()?)?;
        Some(Span {
            start,
            end,
            start_line,
            end_line,
        })
    }

    fn statements<C: FromIterator<Statement>>(&mut self) -> Option<C> {
        self.list(Self::statement)
    }

    fn statement(&mut self) -> Option<Statement> {
        let span = self.span()?;
        let fingerprint = self.fixed()?;
        let layout = self.fixed()?;
        let binds_mask = NamesMask::from_bits(self.fixed()?);
        let imports = self.list(Self::import)?;
        let kind = match self.byte()? {
            0 => StatementKind::Function(Arc::new(self.function()?)),
            1 => StatementKind::Class(Arc::new(self.class()?)),
            2 => StatementKind::Other(Arc::new(self.other()?)),
            _ => return None,
        };
        Some(Statement {
            span,
            fingerprint,
            layout,
            imports,
            binds_mask,
            kind,
        })
    }

    fn import(&mut self) -> Option<Import> {
        let module = self.string()?;
        let level = self.u32()?;
        let names = self.list(|r| {
            Some(ImportedName {
                name: r.string()?,
                bound_as: r.string()?,
            })
        })?;
        Some(Import {
            module,
            level,
            names,
            asname: self.opt_string()?,
            weak: self.flag()?,
            line: self.usize()?,
        })
    }

    fn function(&mut self) -> Option<Function> {
        let name = self.string()?;
        let is_async = self.flag()?;
        let def_line = self.u32()?;
        let decorators = self.strings()?;
        let decorators_fp = self.fixed()?;
        let params_fp = self.fixed()?;
        let defaults_fp = self.fixed()?;
        let kwdefaults_fp = self.fixed()?;
        let annotations_fp = self.fixed()?;
        let body_fp = self.fixed()?;
        let has_defaults = self.flag()?;
        let defaults = self.list(|r| {
            Some(DefaultExpr {
                param: r.string()?,
                index: r.option(Self::usize)?,
                text: r.string()?,
                line: r.usize()?,
                reads: r.strings()?,
            })
        })?;
        let docstring_fp = self.option(Self::fixed)?;
        let nested = self.statements()?;
        Some(Function {
            name,
            is_async,
            def_line,
            decorators,
            decorators_fp,
            params_fp,
            defaults_fp,
            kwdefaults_fp,
            has_defaults,
            defaults,
            annotations_fp,
            docstring_fp,
            body_fp,
            nested,
        })
    }

    fn class(&mut self) -> Option<Class> {
        let name = self.string()?;
        let def_line = self.u32()?;
        let decorators = self.strings()?;
        let decorators_fp = self.fixed()?;
        let type_params = self.opt_string()?;
        let bases = self.strings()?;
        let metaclass = self.opt_string()?;
        let keywords = self.strings()?;
        let slots = match self.byte()? {
            0 => None,
            1 => Some(Slots::Literal(self.strings()?)),
            2 => Some(Slots::Dynamic {
                expression: self.string()?,
                reads: self.strings()?,
            }),
            _ => return None,
        };
        Some(Class {
            name,
            def_line,
            decorators,
            decorators_fp,
            type_params,
            bases,
            metaclass,
            keywords,
            slots,
            docstring_fp: self.option(Self::fixed)?,
            docstring: self.opt_string()?,
            body_on_header_line: self.flag()?,
            body: self.statements()?,
        })
    }

    fn other(&mut self) -> Option<OtherStatement> {
        let label = *STATEMENT_LABELS.get(self.usize()?)?;
        let binds = self.strings()?;
        let is_future_import = self.flag()?;
        let all_literal = self.option(Self::strings)?;
        Some(OtherStatement {
            label,
            binds,
            is_future_import,
            all_literal,
            is_main_guard: self.flag()?,
            makes_functions: self.flag()?,
        })
    }
}
