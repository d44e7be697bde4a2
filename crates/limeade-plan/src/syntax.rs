//! The one module that knows `rustpython-parser`: lexes and parses a region of source, bounds its
//! nesting before anything recursive touches it, and turns the AST into limeade's own
//! [`crate::tree`]. Nothing else in the planner names a parser type.

use std::ops::Range;

use rustpython_parser::ast::{self, Ranged};
use rustpython_parser::lexer::{lex_starts_at, LexicalErrorType};
use rustpython_parser::text_size::TextSize;
use rustpython_parser::{Mode, ParseErrorType, StringKind, Tok};

use crate::error::{PlanError, Version};
use crate::source::LineIndex;
use crate::tree::{
    Class, Fingerprint, Function, Import, ImportedName, OtherStatement, Slots, Span, Statement,
    StatementKind,
};

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

    fn syntax_error(&self, offset: usize, message: String) -> PlanError {
        if let Some((construct, at)) = unsupported_construct(self.text, self.lines, offset) {
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

/// One significant token in position-free form plus where it is.
#[derive(Debug, Clone, Copy)]
struct TokenInfo {
    start: u32,
    end: u32,
    line: u32,
    /// 0: hash the token's text; otherwise a fixed tag for tokens whose text is layout.
    tag: u8,
}

const TAG_NEWLINE: u8 = 1;
const TAG_INDENT: u8 = 2;
const TAG_DEDENT: u8 = 3;
/// A token that does not change the syntax tree (a redundant trailing comma): left out of
/// fingerprints so reformatting tools do not cause "changes".
const TAG_SKIP: u8 = 4;

/// The tokens of a parsed region, kept to fingerprint any node's range after parsing.
struct TokenTable {
    tokens: Vec<TokenInfo>,
}

/// A small fast hasher with fixed keys, so fingerprints are stable across runs and machines.
#[derive(Clone, Copy)]
struct FingerprintHasher(u64);

impl FingerprintHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    fn new() -> Self {
        FingerprintHasher(0xcbf2_9ce4_8422_2325)
    }
    fn word(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
    fn bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(chunk);
            self.word(u64::from_le_bytes(buf));
        }
        let rest = chunks.remainder();
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        self.word(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 56));
    }
    fn finish(self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

/// Combine already computed fingerprints (and small integers) into one.
pub(crate) fn combine(parts: &[u64]) -> Fingerprint {
    let mut h = FingerprintHasher::new();
    for &p in parts {
        h.word(p);
    }
    h.finish()
}

/// Fingerprint of a string (names, kinds).
pub(crate) fn fingerprint_str(s: &str) -> Fingerprint {
    let mut h = FingerprintHasher::new();
    h.bytes(s.as_bytes());
    h.finish()
}

impl TokenTable {
    fn index_range(&self, range: Range<usize>) -> Range<usize> {
        let mut first = self
            .tokens
            .partition_point(|t| (t.start as usize) < range.start);
        // Dedents sitting at a statement's first character close the previous block: they belong
        // to what came before, and would make a statement's fingerprint depend on its neighbour.
        while self.tokens.get(first).is_some_and(|t| t.tag == TAG_DEDENT) {
            first += 1;
        }
        let last = self
            .tokens
            .partition_point(|t| (t.start as usize) < range.end);
        first..last.max(first)
    }

    fn fingerprint(&self, text: &str, range: Range<usize>) -> Fingerprint {
        let mut h = FingerprintHasher::new();
        for t in &self.tokens[self.index_range(range)] {
            if t.tag == TAG_SKIP {
                continue;
            }
            if t.tag == 0 {
                h.bytes(
                    text.as_bytes()
                        .get(t.start as usize..t.end as usize)
                        .unwrap_or_default(),
                );
            } else {
                h.word(u64::from(t.tag));
            }
        }
        h.finish()
    }

    fn layout(&self, range: Range<usize>, base_line: usize) -> Fingerprint {
        let mut h = FingerprintHasher::new();
        for t in self.tokens[self.index_range(range)]
            .iter()
            .filter(|t| t.tag != TAG_SKIP)
        {
            h.word((t.line as u64).wrapping_sub(base_line as u64));
        }
        h.finish()
    }

    /// Normalised text of a range: significant tokens joined by single spaces where the source had
    /// whitespace, so re-wrapping an expression does not change how it is shown.
    fn normalized_text(&self, text: &str, range: Range<usize>) -> String {
        let mut out = String::new();
        let mut previous_end: Option<usize> = None;
        for t in &self.tokens[self.index_range(range)] {
            if t.tag != 0 {
                continue;
            }
            let (start, end) = (t.start as usize, t.end as usize);
            if let Some(prev) = previous_end {
                if start > prev {
                    out.push(' ');
                }
            }
            out.push_str(text.get(start..end).unwrap_or_default());
            previous_end = Some(end);
        }
        out
    }

    fn names_in(&self, text: &str, range: Range<usize>) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for t in &self.tokens[self.index_range(range)] {
            let word = text
                .get(t.start as usize..t.end as usize)
                .unwrap_or_default();
            let is_name = t.tag == 0
                && word
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                && word.chars().all(|c| c.is_alphanumeric() || c == '_');
            if is_name && !names.iter().any(|n| n == word) {
                names.push(word.to_owned());
            }
        }
        names
    }
}

/// Parse `ctx.text[region]` (which must start at the beginning of a line, outside any bracket or
/// string) into top-level statements with absolute positions.
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
    let (tokens, table) = lex_region(ctx, region_text, offset)?;
    let parsed =
        rustpython_parser::parse_tokens(tokens.into_iter().map(Ok), Mode::Module, ctx.path)
            .map_err(|e| ctx.syntax_error(e.offset.to_usize(), parse_error_message(&e.error)))?;
    let ast::Mod::Module(module) = parsed else {
        return Err(PlanError::Internal {
            path: ctx.path.to_owned(),
            message: "parser returned a non-module".to_owned(),
        });
    };
    let converter = Converter {
        ctx,
        tokens: &table,
    };
    Ok(module
        .body
        .iter()
        .map(|stmt| converter.statement(stmt, false))
        .collect())
}

/// Lex the region, checking nesting depth on the fly so a hostile input is refused before a tree
/// exists. Returns the tokens for the parser and the position-free table for fingerprints.
fn lex_region(
    ctx: SourceContext<'_>,
    region_text: &str,
    offset: u32,
) -> Result<
    (
        Vec<(Tok, rustpython_parser::text_size::TextRange)>,
        TokenTable,
    ),
    PlanError,
> {
    let mut tokens = Vec::with_capacity(region_text.len() / 4);
    let mut table = Vec::with_capacity(region_text.len() / 4);
    let mut depth = DepthEstimator::default();
    let mut commas = TrailingCommas::default();
    let bytes = ctx.text.as_bytes();
    let mut line = ctx.lines.line(offset as usize) as u32;
    let mut line_cursor = offset as usize;
    for result in lex_starts_at(region_text, Mode::Module, TextSize::from(offset)) {
        let (tok, range) = match result {
            Ok(spanned) => spanned,
            Err(e) => {
                return Err(ctx.syntax_error(e.location.to_usize(), lexical_message(&e.error)));
            }
        };
        let start = range.start().to_u32();
        // Advance the line counter incrementally: tokens come in order.
        let target = start as usize;
        if target > line_cursor {
            line += bytes[line_cursor..target]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u32;
            line_cursor = target;
        }
        let tag = match tok {
            Tok::Newline => TAG_NEWLINE,
            Tok::Indent => TAG_INDENT,
            Tok::Dedent => TAG_DEDENT,
            _ => 0,
        };
        if let Some(reached) = depth.push(&tok, ctx.text, start as usize, range.end().to_usize()) {
            let limit = if reached.indent {
                MAX_INDENT
            } else {
                MAX_DEPTH
            };
            return Err(
                ctx.error_at(start as usize, |line, col| PlanError::TooDeep {
                    path: ctx.path.to_owned(),
                    line,
                    col,
                    version: ctx.version,
                    depth: reached.depth,
                    limit,
                }),
            );
        }
        commas.observe(&tok, table.len(), &mut table);
        table.push(TokenInfo {
            start,
            end: range.end().to_u32(),
            line,
            tag,
        });
        tokens.push((tok, range));
    }
    Ok((tokens, TokenTable { tokens: table }))
}

/// Finds trailing commas that do not change the syntax tree: in list, set and dict displays, in
/// calls and parameter lists, and wherever the brackets already hold another comma. A single
/// trailing comma in `(x,)` or `x[i,]` makes a tuple and is kept.
#[derive(Default)]
struct TrailingCommas {
    /// Per open bracket: whether a lone trailing comma is insignificant, and commas seen.
    open: Vec<(bool, usize)>,
    previous: Option<PreviousToken>,
}

#[derive(Clone, Copy, PartialEq)]
enum PreviousToken {
    Comma(usize),
    Operand,
    Other,
}

impl TrailingCommas {
    fn observe(&mut self, tok: &Tok, index: usize, table: &mut [TokenInfo]) {
        let previous = self.previous;
        match tok {
            Tok::Lpar | Tok::Lsqb | Tok::Lbrace => {
                let after_operand = previous == Some(PreviousToken::Operand);
                let lone_comma_free = match tok {
                    Tok::Lpar => after_operand,
                    Tok::Lsqb => !after_operand,
                    _ => true,
                };
                self.open.push((lone_comma_free, 0));
            }
            Tok::Rpar | Tok::Rsqb | Tok::Rbrace => {
                if let Some((lone_comma_free, commas)) = self.open.pop() {
                    if let Some(PreviousToken::Comma(at)) = previous {
                        if lone_comma_free || commas >= 2 {
                            if let Some(t) = table.get_mut(at) {
                                t.tag = TAG_SKIP;
                            }
                        }
                    }
                }
            }
            Tok::Comma => {
                if let Some(top) = self.open.last_mut() {
                    top.1 += 1;
                }
            }
            _ => {}
        }
        self.previous = Some(match tok {
            Tok::Comma => PreviousToken::Comma(index),
            Tok::Name { .. } | Tok::String { .. } | Tok::Rpar | Tok::Rsqb | Tok::Rbrace => {
                PreviousToken::Operand
            }
            _ => PreviousToken::Other,
        });
    }
}

/// Over-estimates how deep the syntax tree under the current token is, from tokens alone.
#[derive(Default)]
struct DepthEstimator {
    /// Per open bracket (plus the statement level): operators seen since the last separator.
    frames: Vec<usize>,
    /// Sum of `frames`, kept up to date.
    total: usize,
    /// Current indentation level.
    indent: usize,
}

struct DepthReached {
    depth: usize,
    indent: bool,
}

impl DepthEstimator {
    fn push(&mut self, tok: &Tok, text: &str, start: usize, end: usize) -> Option<DepthReached> {
        if self.frames.is_empty() {
            self.frames.push(0);
        }
        match tok {
            Tok::Lpar | Tok::Lsqb | Tok::Lbrace => {
                self.frames.push(1);
                self.total += 1;
            }
            Tok::Rpar | Tok::Rsqb | Tok::Rbrace => {
                if self.frames.len() > 1 {
                    self.total -= self.frames.pop().unwrap_or_default();
                }
            }
            Tok::Comma | Tok::Newline | Tok::Semi => {
                if let Some(last) = self.frames.last_mut() {
                    self.total -= *last;
                    *last = 0;
                }
            }
            Tok::Indent => self.indent += 1,
            Tok::Dedent => self.indent = self.indent.saturating_sub(1),
            Tok::String {
                kind: StringKind::FString | StringKind::RawFString,
                ..
            } => {
                // Expressions inside an f-string are parsed from the token's text: count their
                // brackets too.
                let inner = max_bracket_depth(text.get(start..end).unwrap_or_default());
                if self.total + inner > MAX_DEPTH {
                    return Some(DepthReached {
                        depth: self.total + inner,
                        indent: false,
                    });
                }
            }
            Tok::Name { .. }
            | Tok::Int { .. }
            | Tok::Float { .. }
            | Tok::Complex { .. }
            | Tok::String { .. }
            | Tok::Colon
            | Tok::Equal
            | Tok::EndOfFile => {}
            _ => {
                if let Some(last) = self.frames.last_mut() {
                    *last += 1;
                    self.total += 1;
                }
            }
        }
        if self.indent > MAX_INDENT {
            return Some(DepthReached {
                depth: self.indent,
                indent: true,
            });
        }
        let depth = self.total + self.indent;
        (depth > MAX_DEPTH).then_some(DepthReached {
            depth,
            indent: false,
        })
    }
}

fn max_bracket_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn parse_error_message(error: &ParseErrorType) -> String {
    match error {
        ParseErrorType::Eof => "unexpected end of file".to_owned(),
        ParseErrorType::Lexical(e) => lexical_message(e),
        other => other.to_string(),
    }
}

fn lexical_message(error: &LexicalErrorType) -> String {
    error.to_string()
}

/// Valid newer Python that rustpython-parser 0.4 rejects: name it instead of calling it a syntax
/// error. Looks only at the line of the error.
fn unsupported_construct(
    text: &str,
    lines: &LineIndex,
    offset: usize,
) -> Option<(&'static str, usize)> {
    let offset = offset.min(text.len());
    let line = lines.line(offset);
    let line_start = lines.line_start(line, text.len());
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line_text = text.get(line_start..line_end)?;
    let trimmed = line_text.trim_start();
    // PEP 701: an f-string whose replacement field reuses the enclosing quote.
    for (i, _) in line_text.match_indices(['f', 'F']) {
        let rest = &line_text[i + 1..];
        let rest = rest.strip_prefix(['r', 'R']).unwrap_or(rest);
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let before_ok = line_text[..i]
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if !before_ok {
            continue;
        }
        let body = &rest[1..];
        if let Some(open) = body.find('{') {
            let close_quote = body.find(quote).unwrap_or(usize::MAX);
            if open < close_quote {
                let field = &body[open..];
                let field_end = field.find('}').unwrap_or(field.len());
                if field[..field_end].contains(quote) {
                    return Some((
                        "an f-string that reuses its quote inside a replacement field (PEP 701, Python 3.12)",
                        line_start + i,
                    ));
                }
            }
        }
    }
    // PEP 750 template strings.
    if let Some(i) = line_text.find("t\"").or_else(|| line_text.find("t'")) {
        let before = line_text[..i].chars().last();
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            return Some(("a template string (PEP 750, Python 3.14)", line_start + i));
        }
    }
    // PEP 696 type parameter defaults.
    if (trimmed.starts_with("def ")
        || trimmed.starts_with("class ")
        || trimmed.starts_with("type "))
        && line_text.contains('[')
    {
        if let Some(open) = line_text.find('[') {
            let params = &line_text[open..line_text[open..]
                .find(']')
                .map_or(line_text.len(), |c| open + c)];
            if params.contains('=') {
                return Some((
                    "a type parameter default (PEP 696, Python 3.13)",
                    line_start + open,
                ));
            }
        }
    }
    // PEP 758: `except A, B:` without parentheses.
    if let Some(rest) = trimmed.strip_prefix("except") {
        let rest = rest.trim_start_matches('*').trim();
        if !rest.starts_with('(') && rest.contains(',') && !rest.contains(" as ") {
            return Some((
                "an except clause listing several types without parentheses (PEP 758, Python 3.14)",
                line_start + (line_text.len() - trimmed.len()),
            ));
        }
    }
    None
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
                StatementKind::Function(Box::new(self.function(
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
                StatementKind::Function(Box::new(self.function(
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
                StatementKind::Class(Box::new(self.class(c))),
            ),
            other => (
                node.start,
                StatementKind::Other(Box::new(self.other(other))),
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
            imports,
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
            def_line: self.line(def_start),
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
            annotations_fp: combine(&annotations),
            docstring_fp,
            body_fp,
            nested,
        }
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
                    return (Some(self.fp(range_of(stmt_ref(&body[0])))), &body[1..]);
                }
            }
        }
        (None, body)
    }

    fn class(&self, c: &ast::StmtClassDef) -> Class {
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
        Class {
            name: c.name.as_str().to_owned(),
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
            bases: c.bases.iter().map(|b| self.text(range_of(b))).collect(),
            metaclass,
            keywords,
            slots,
            docstring_fp,
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
            binds: unique,
            is_future_import,
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

fn stmt_ref(s: &ast::Stmt) -> &ast::Stmt {
    s
}

fn string_elements(elts: &[ast::Expr]) -> Option<Vec<String>> {
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

/// The value assigned to `__slots__` by a class-body statement.
fn slots_value(stmt: &ast::Stmt) -> Option<&ast::Expr> {
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

fn statement_label(stmt: &ast::Stmt) -> &'static str {
    match stmt {
        ast::Stmt::Assign(_) | ast::Stmt::AnnAssign(_) | ast::Stmt::AugAssign(_) => "assignment",
        ast::Stmt::TypeAlias(_) => "type alias",
        ast::Stmt::Import(_) | ast::Stmt::ImportFrom(_) => "import",
        ast::Stmt::Expr(_) => "expression",
        ast::Stmt::If(_) => "if",
        ast::Stmt::For(_) | ast::Stmt::AsyncFor(_) => "for",
        ast::Stmt::While(_) => "while",
        ast::Stmt::With(_) | ast::Stmt::AsyncWith(_) => "with",
        ast::Stmt::Try(_) | ast::Stmt::TryStar(_) => "try",
        ast::Stmt::Match(_) => "match",
        ast::Stmt::Delete(_) => "del",
        ast::Stmt::Assert(_) => "assert",
        ast::Stmt::Raise(_) => "raise",
        ast::Stmt::Global(_) => "global",
        ast::Stmt::Nonlocal(_) => "nonlocal",
        ast::Stmt::Pass(_) => "pass",
        ast::Stmt::Return(_) => "return",
        ast::Stmt::Break(_) | ast::Stmt::Continue(_) => "loop control",
        ast::Stmt::FunctionDef(_) | ast::Stmt::AsyncFunctionDef(_) => "def",
        ast::Stmt::ClassDef(_) => "class",
    }
}

/// Call `f` with every statement list directly inside a compound statement.
fn for_each_child_body<'a>(stmt: &'a ast::Stmt, f: &mut dyn FnMut(&'a [ast::Stmt])) {
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
fn collect_imports<'a>(
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
fn collect_binds(stmt: &ast::Stmt, out: &mut Vec<String>) {
    match stmt {
        ast::Stmt::FunctionDef(f) => out.push(f.name.as_str().to_owned()),
        ast::Stmt::AsyncFunctionDef(f) => out.push(f.name.as_str().to_owned()),
        ast::Stmt::ClassDef(c) => out.push(c.name.as_str().to_owned()),
        ast::Stmt::Assign(a) => {
            for t in &a.targets {
                target_names(t, out);
            }
        }
        ast::Stmt::AnnAssign(a) => {
            if a.value.is_some() {
                target_names(&a.target, out);
            }
        }
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
        ast::Stmt::For(f) => {
            target_names(&f.target, out);
            for_each_child_body(stmt, &mut |body| {
                body.iter().for_each(|s| collect_binds(s, out))
            });
        }
        ast::Stmt::AsyncFor(f) => {
            target_names(&f.target, out);
            for_each_child_body(stmt, &mut |body| {
                body.iter().for_each(|s| collect_binds(s, out))
            });
        }
        ast::Stmt::With(w) => {
            for item in &w.items {
                if let Some(vars) = &item.optional_vars {
                    target_names(vars, out);
                }
            }
            for_each_child_body(stmt, &mut |body| {
                body.iter().for_each(|s| collect_binds(s, out))
            });
        }
        ast::Stmt::AsyncWith(w) => {
            for item in &w.items {
                if let Some(vars) = &item.optional_vars {
                    target_names(vars, out);
                }
            }
            for_each_child_body(stmt, &mut |body| {
                body.iter().for_each(|s| collect_binds(s, out))
            });
        }
        ast::Stmt::Try(t) => {
            for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                if let Some(name) = &h.name {
                    out.push(name.as_str().to_owned());
                }
            }
            for_each_child_body(stmt, &mut |body| {
                body.iter().for_each(|s| collect_binds(s, out))
            });
        }
        ast::Stmt::TryStar(t) => {
            for ast::ExceptHandler::ExceptHandler(h) in &t.handlers {
                if let Some(name) = &h.name {
                    out.push(name.as_str().to_owned());
                }
            }
            for_each_child_body(stmt, &mut |body| {
                body.iter().for_each(|s| collect_binds(s, out))
            });
        }
        ast::Stmt::If(_) | ast::Stmt::While(_) | ast::Stmt::Match(_) => {
            for_each_child_body(stmt, &mut |body| {
                body.iter().for_each(|s| collect_binds(s, out))
            });
        }
        _ => {}
    }
}

/// Names bound by an assignment target (`a`, `a, *b`, `[a, (b, c)]`); attributes and subscripts
/// bind nothing in the scope.
fn target_names(target: &ast::Expr, out: &mut Vec<String>) {
    // Targets nest only as deep as their brackets, which the depth check bounded.
    match target {
        ast::Expr::Name(n) => out.push(n.id.as_str().to_owned()),
        ast::Expr::Tuple(t) => t.elts.iter().for_each(|e| target_names(e, out)),
        ast::Expr::List(l) => l.elts.iter().for_each(|e| target_names(e, out)),
        ast::Expr::Starred(s) => target_names(&s.value, out),
        _ => {}
    }
}
