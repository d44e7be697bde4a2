//! The one module (with its submodules) that knows `rustpython-parser`: lexes and parses a region
//! of source (through the pre-pass for syntax the parser cannot read as it is), bounds its
//! nesting before anything recursive touches it, and turns the AST into limeade's own
//! [`crate::tree`]. Nothing else in the planner names a parser type.

use std::ops::Range;

use rustpython_parser::ast::{self, Ranged};
use rustpython_parser::Mode;

use crate::error::{PlanError, Version};
use crate::source::LineIndex;
use crate::tree::{
    line_u32, Class, DefaultExpr, Fingerprint, Function, Import, ImportedName, OtherStatement,
    Slots, Span, Statement, StatementKind,
};
use lex::lex_region;
use tokens::TokenTable;
pub(crate) use tokens::{combine, fingerprint_str};
use unsupported::{parse_error_message, unsupported_construct};
use walk::{
    all_literal, collect_binds, collect_imports, docstring_value, for_each_child_body,
    is_main_guard, slots_value, statement_label, string_elements,
};

mod lex;
mod literals;
mod prepass;
mod tokens;
mod unsupported;
mod walk;

/// Deepest expression nesting accepted. CPython 3.11 refuses 200 nested brackets and its parser
/// gives up well before this on operator chains; above it a recursive walk or drop of the tree
/// could exhaust the stack of the user's process.
pub const MAX_DEPTH: usize = 2_000;
/// Deepest indentation accepted (CPython's own limit is 100).
pub const MAX_INDENT: usize = 100;

/// What parsing needs to say where it is: the file, which version, and the whole text.
#[derive(Clone, Copy)]
pub(crate) struct SourceContext<'a> {
    pub path: &'a str,
    pub version: Version,
    pub text: &'a str,
    pub lines: &'a LineIndex,
}

impl SourceContext<'_> {
    fn error_at(&self, offset: usize, make: impl FnOnce(usize, usize) -> PlanError) -> PlanError {
        let (line, col) = self.lines.line_col(self.text, offset);
        make(line, col)
    }

    /// A syntax error at `offset`, or the newer construct `text` (the real text, or the text the
    /// parser was handed after the pre-pass) uses there.
    fn syntax_error(&self, text: &str, offset: usize, message: String) -> PlanError {
        if let Some((construct, at)) = unsupported_construct(text, self.lines, offset) {
            return self.error_at(at, |line, col| PlanError::Unsupported {
                path: self.path.to_owned(),
                line,
                col,
                version: self.version,
                construct: construct.to_owned(),
            });
        }
        self.error_at(offset, |line, col| PlanError::Syntax {
            path: self.path.to_owned(),
            line,
            col,
            version: self.version,
            message,
        })
    }
}

/// Parse `ctx.text[region]` (which must start at the beginning of a line, outside any bracket or
/// string) into top-level statements with absolute positions. A region the parser cannot read
/// as it is goes through the pre-pass (`prepass.rs`) once.
pub(crate) fn parse_region(
    ctx: SourceContext<'_>,
    region: Range<usize>,
) -> Result<Vec<Statement>, PlanError> {
    let region_text = ctx
        .text
        .get(region.clone())
        .ok_or_else(|| PlanError::Internal {
            path: ctx.path.to_owned(),
            message: format!("region {region:?} is not on character boundaries"),
        })?;
    let offset = u32::try_from(region.start).map_err(|_| PlanError::Internal {
        path: ctx.path.to_owned(),
        message: "source larger than 4 GiB".to_owned(),
    })?;
    let (at, message) = match parse_text(ctx, region_text, offset, &[]) {
        Ok(mut statements) => {
            crate::tree::finish_top_level(&mut statements);
            return Ok(statements);
        }
        Err(Failure::Plan(error)) => return Err(error),
        Err(Failure::Syntax(at, message)) => (at, message),
    };
    let Some(prepared) = prepass::prepare(ctx, region.clone())? else {
        return Err(ctx.syntax_error(ctx.text, at, message));
    };
    let mut statements = parse_text(ctx, &prepared.text, offset, &prepared.hidden).map_err(
        |failure| match failure {
            Failure::Plan(error) => error,
            Failure::Syntax(at, message) => {
                // Name only what the pre-pass left: look at the text the parser was handed.
                let handed = [
                    &ctx.text[..region.start],
                    prepared.text.as_str(),
                    &ctx.text[region.end..],
                ]
                .concat();
                ctx.syntax_error(&handed, at, message)
            }
        },
    )?;
    crate::tree::finish_top_level(&mut statements);
    Ok(statements)
}

/// Why a text did not parse: a syntax error (offset, message) the pre-pass may cure, or a final
/// error.
enum Failure {
    Syntax(usize, String),
    Plan(PlanError),
}

/// Lex and parse `parser_text` (the region as the parser is handed it, same length as the real
/// region at `offset`) into statements; fingerprints and positions come from the real text.
fn parse_text(
    ctx: SourceContext<'_>,
    parser_text: &str,
    offset: u32,
    hidden: &[Range<usize>],
) -> Result<Vec<Statement>, Failure> {
    let (tokens, table) = lex_region(ctx, parser_text, offset, hidden)?;
    let parsed =
        rustpython_parser::parse_tokens(tokens.into_iter().map(Ok), Mode::Module, ctx.path)
            .map_err(|e| Failure::Syntax(e.offset.to_usize(), parse_error_message(&e.error)))?;
    let ast::Mod::Module(module) = parsed else {
        return Err(Failure::Plan(PlanError::Internal {
            path: ctx.path.to_owned(),
            message: "parser returned a non-module".to_owned(),
        }));
    };
    let converter = Converter {
        ctx,
        tokens: &table,
    };
    // Each statement's AST is dropped as soon as its tree is built: the trees kept fill the
    // memory of the ASTs already converted instead of being spread among the whole AST's.
    Ok(module
        .body
        .into_iter()
        .map(|stmt| converter.statement(&stmt, false))
        .collect())
}

/// Walks one parsed region, producing [`Statement`]s.
struct Converter<'a> {
    ctx: SourceContext<'a>,
    tokens: &'a TokenTable,
}

fn range_of(node: &impl Ranged) -> Range<usize> {
    let r = node.range();
    r.start().to_usize()..r.end().to_usize()
}

impl Converter<'_> {
    fn fp(&self, range: Range<usize>) -> Fingerprint {
        self.tokens.fingerprint(self.ctx.text, range)
    }

    fn text(&self, range: Range<usize>) -> String {
        self.tokens.normalized_text(self.ctx.text, range)
    }

    fn line(&self, offset: usize) -> usize {
        self.ctx.lines.line(offset)
    }

    /// Where a decorated definition really starts: its first decorator's `@`.
    fn definition_start(&self, node_start: usize, decorators: &[ast::Expr]) -> usize {
        let Some(first) = decorators.first() else {
            return node_start;
        };
        let expr_start = range_of(first).start;
        self.ctx.text[..expr_start]
            .rfind('@')
            .unwrap_or(expr_start)
            .min(node_start)
    }

    fn statement(&self, stmt: &ast::Stmt, weak: bool) -> Statement {
        let node = range_of(stmt);
        let (start, kind) = match stmt {
            ast::Stmt::FunctionDef(f) => (
                self.definition_start(node.start, &f.decorator_list),
                StatementKind::Function(std::sync::Arc::new(self.function(
                    &f.name,
                    false,
                    &f.args,
                    f.returns.as_deref(),
                    &f.decorator_list,
                    &f.body,
                    node.start,
                ))),
            ),
            ast::Stmt::AsyncFunctionDef(f) => (
                self.definition_start(node.start, &f.decorator_list),
                StatementKind::Function(std::sync::Arc::new(self.function(
                    &f.name,
                    true,
                    &f.args,
                    f.returns.as_deref(),
                    &f.decorator_list,
                    &f.body,
                    node.start,
                ))),
            ),
            ast::Stmt::ClassDef(c) => (
                self.definition_start(node.start, &c.decorator_list),
                StatementKind::Class(std::sync::Arc::new(self.class(c, node.start))),
            ),
            other => (
                node.start,
                StatementKind::Other(std::sync::Arc::new(self.other(other))),
            ),
        };
        let range = start..node.end;
        let start_line = self.line(start);
        let mut imports = Vec::new();
        collect_imports(stmt, weak, &mut |import| {
            imports.extend(self.import(import.0, import.1))
        });
        Statement {
            span: Span {
                start,
                end: node.end,
                start_line,
                end_line: self.line(node.end.saturating_sub(1).max(start)),
            },
            fingerprint: self.fp(range.clone()),
            layout: self.tokens.layout(range, start_line),
            imports: imports.into(),
            binds_mask: crate::tree::NamesMask::of(kind_bound_names(&kind)),
            kind,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn function(
        &self,
        name: &ast::Identifier,
        is_async: bool,
        args: &ast::Arguments,
        returns: Option<&ast::Expr>,
        decorators: &[ast::Expr],
        body: &[ast::Stmt],
        def_start: usize,
    ) -> Function {
        let mut params = Vec::new();
        let mut defaults = Vec::new();
        let mut kwdefaults = Vec::new();
        let mut annotations = Vec::new();
        let mut default_exprs = Vec::new();
        let mut positional_defaults = 0;
        let mut has_defaults = false;
        let mut param = |kind: &str, arg: &ast::Arg, default: Option<&ast::Expr>| {
            params.push(fingerprint_str(kind));
            params.push(fingerprint_str(arg.arg.as_str()));
            if let Some(annotation) = &arg.annotation {
                annotations.push(fingerprint_str(arg.arg.as_str()));
                annotations.push(self.fp(range_of(annotation.as_ref())));
            }
            if let Some(default) = default {
                let target = if kind == "kwonly" {
                    &mut kwdefaults
                } else {
                    &mut defaults
                };
                target.push(fingerprint_str(arg.arg.as_str()));
                target.push(self.fp(range_of(default)));
                let index = (kind != "kwonly").then(|| {
                    positional_defaults += 1;
                    positional_defaults - 1
                });
                has_defaults = true;
                default_exprs.extend(self.default_expr(arg.arg.as_str(), index, default));
            }
        };
        for a in &args.posonlyargs {
            param("posonly", &a.def, a.default.as_deref());
        }
        for a in &args.args {
            param("positional", &a.def, a.default.as_deref());
        }
        if let Some(a) = &args.vararg {
            param("vararg", a, None);
        }
        for a in &args.kwonlyargs {
            param("kwonly", &a.def, a.default.as_deref());
        }
        if let Some(a) = &args.kwarg {
            param("kwarg", a, None);
        }
        if let Some(returns) = returns {
            annotations.push(fingerprint_str("return"));
            annotations.push(self.fp(range_of(returns)));
        }
        let (docstring_fp, rest) = self.split_docstring(body);
        let body_fp = match (rest.first(), body.last()) {
            (Some(first), Some(last)) => self.fp(range_of(first).start..range_of(last).end),
            _ => 0,
        };
        let mut nested = Vec::new();
        for stmt in body {
            self.collect_nested_definitions(stmt, &mut nested);
        }
        Function {
            name: name.as_str().to_owned(),
            is_async,
            def_line: line_u32(self.line(def_start)),
            decorators: decorators.iter().map(|d| self.text(range_of(d))).collect(),
            decorators_fp: combine(
                &decorators
                    .iter()
                    .map(|d| self.fp(range_of(d)))
                    .collect::<Vec<_>>(),
            ),
            params_fp: combine(&params),
            defaults_fp: combine(&defaults),
            kwdefaults_fp: combine(&kwdefaults),
            has_defaults,
            defaults: default_exprs.into(),
            annotations_fp: combine(&annotations),
            docstring_fp,
            body_fp,
            nested: nested.into(),
        }
    }

    /// The default as the live side needs it, if it reads a name (one that reads none never
    /// needs evaluating again).
    fn default_expr(
        &self,
        param: &str,
        index: Option<usize>,
        default: &ast::Expr,
    ) -> Option<DefaultExpr> {
        let range = range_of(default);
        let reads = self.tokens.loads_in(self.ctx.text, range.clone());
        if reads.is_empty() {
            return None;
        }
        Some(DefaultExpr {
            param: param.to_owned(),
            index,
            text: self
                .ctx
                .text
                .get(range.clone())
                .unwrap_or_default()
                .to_owned(),
            line: self.line(range.start),
            reads,
        })
    }

    /// Definitions anywhere inside a function body, through compound statements but not into
    /// other definitions (those collect their own).
    fn collect_nested_definitions(&self, stmt: &ast::Stmt, out: &mut Vec<Statement>) {
        match stmt {
            ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) | ast::Stmt::ClassDef(_) => {
                out.push(self.statement(stmt, true));
            }
            other => {
                for_each_child_body(other, &mut |child| {
                    for s in child {
                        self.collect_nested_definitions(s, out);
                    }
                });
            }
        }
    }

    fn split_docstring<'b>(&self, body: &'b [ast::Stmt]) -> (Option<Fingerprint>, &'b [ast::Stmt]) {
        if let Some(ast::Stmt::Expr(e)) = body.first() {
            if let ast::Expr::Constant(c) = e.value.as_ref() {
                if matches!(c.value, ast::Constant::Str(_)) {
                    return (Some(self.fp(range_of(&body[0]))), &body[1..]);
                }
            }
        }
        (None, body)
    }

    fn class(&self, c: &ast::StmtClassDef, class_start: usize) -> Class {
        let mut metaclass = None;
        let mut keywords = Vec::new();
        for kw in &c.keywords {
            let value = self.text(range_of(&kw.value));
            match kw.arg.as_ref().map(|a| a.as_str()) {
                Some("metaclass") => metaclass = Some(value),
                Some(name) => keywords.push(format!("{name}={value}")),
                None => keywords.push(format!("**{value}")),
            }
        }
        let mut slots = None;
        for stmt in &c.body {
            if let Some(value) = slots_value(stmt) {
                slots = Some(self.slots(value));
            }
        }
        let (docstring_fp, _) = self.split_docstring(&c.body);
        let body_on_header_line = c.body.first().is_some_and(|first| {
            let before = self
                .ctx
                .text
                .get(..range_of(first).start)
                .unwrap_or_default();
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            !before[line_start..].trim().is_empty()
        });
        Class {
            name: c.name.as_str().to_owned(),
            def_line: line_u32(self.line(class_start)),
            decorators: c
                .decorator_list
                .iter()
                .map(|d| self.text(range_of(d)))
                .collect(),
            decorators_fp: combine(
                &c.decorator_list
                    .iter()
                    .map(|d| self.fp(range_of(d)))
                    .collect::<Vec<_>>(),
            ),
            type_params: match (c.type_params.first(), c.type_params.last()) {
                (Some(first), Some(last)) => Some(format!(
                    "[{}]",
                    self.text(
                        range_of(first).start..self.tokens.extend_over_hidden(range_of(last).end)
                    )
                )),
                _ => None,
            },
            bases: c.bases.iter().map(|b| self.text(range_of(b))).collect(),
            metaclass,
            keywords: keywords.into(),
            slots,
            docstring_fp,
            docstring: docstring_value(&c.body),
            body_on_header_line,
            body: c.body.iter().map(|s| self.statement(s, false)).collect(),
        }
    }

    fn slots(&self, value: &ast::Expr) -> Slots {
        let literal = match value {
            ast::Expr::Constant(c) => match &c.value {
                ast::Constant::Str(s) => Some(vec![s.clone()]),
                _ => None,
            },
            ast::Expr::Tuple(t) => string_elements(&t.elts),
            ast::Expr::List(l) => string_elements(&l.elts),
            ast::Expr::Set(s) => string_elements(&s.elts),
            _ => None,
        };
        match literal {
            Some(names) => Slots::Literal(names),
            None => Slots::Dynamic {
                expression: self.text(range_of(value)),
                reads: self.tokens.names_in(self.ctx.text, range_of(value)),
            },
        }
    }

    fn other(&self, stmt: &ast::Stmt) -> OtherStatement {
        let mut binds = Vec::new();
        collect_binds(stmt, &mut binds);
        // Assignment expressions (`(n := 3)`) bind in the statement's scope too.
        binds.extend(self.tokens.walrus_targets(self.ctx.text, range_of(stmt)));
        let mut unique: Vec<String> = Vec::with_capacity(binds.len());
        for b in binds {
            if !unique.contains(&b) {
                unique.push(b);
            }
        }
        let is_future_import = matches!(stmt, ast::Stmt::ImportFrom(i)
            if i.module.as_ref().is_some_and(|m| m.as_str() == "__future__"));
        OtherStatement {
            label: statement_label(stmt),
            binds: unique.into_boxed_slice(),
            is_future_import,
            all_literal: all_literal(stmt).map(Vec::into_boxed_slice),
            is_main_guard: is_main_guard(stmt),
            makes_functions: self.tokens.has_word(
                self.ctx.text,
                range_of(stmt),
                &["def", "lambda"],
            ),
        }
    }

    fn import(&self, stmt: &ast::Stmt, weak: bool) -> Vec<Import> {
        let line = self.line(range_of(stmt).start);
        match stmt {
            ast::Stmt::Import(i) => i
                .names
                .iter()
                .map(|alias| Import {
                    module: alias.name.as_str().to_owned(),
                    level: 0,
                    names: Vec::new(),
                    asname: alias.asname.as_ref().map(|a| a.as_str().to_owned()),
                    weak,
                    line,
                })
                .collect(),
            ast::Stmt::ImportFrom(i) => vec![Import {
                module: i
                    .module
                    .as_ref()
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_default(),
                level: i.level.as_ref().map_or(0, |l| l.to_u32()),
                names: i
                    .names
                    .iter()
                    .map(|alias| ImportedName {
                        name: alias.name.as_str().to_owned(),
                        bound_as: alias
                            .asname
                            .as_ref()
                            .unwrap_or(&alias.name)
                            .as_str()
                            .to_owned(),
                    })
                    .collect(),
                asname: None,
                weak,
                line,
            }],
            _ => Vec::new(),
        }
    }
}

/// The names a statement of this kind binds (what [`Statement::bound_names`] reads later).
fn kind_bound_names(kind: &StatementKind) -> &[String] {
    match kind {
        StatementKind::Function(f) => std::slice::from_ref(&f.name),
        StatementKind::Class(c) => std::slice::from_ref(&c.name),
        StatementKind::Other(o) => &o.binds,
    }
}
