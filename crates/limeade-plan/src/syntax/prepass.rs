//! Newer syntax rustpython-parser 0.4 cannot read, rewritten in place so it can: run only when a
//! region failed to parse as it is, so ordinary files pay nothing.
//!
//! Every rewrite keeps each byte offset: the parser is handed a text of the same length, and
//! everything the planner derives (lines, columns, node ranges, the text of default expressions)
//! is computed from offsets into the real text. What the parser no longer sees stays in the
//! fingerprints: literals are lexed from the real text (`literals.rs`), and other removed tokens
//! are returned as *hidden* tokens.
//!
//! - f-strings (PEP 701) and t-strings (PEP 750): every one becomes `f"   "` of the same length
//!   (a string with no field is still an f-string, so it is never taken for a docstring). Each
//!   replacement field's expression is checked with the parser on its own, so invalid code is
//!   still refused.
//! - `except A, B:` / `except* A, B:` (PEP 758): each top-level comma becomes `|` (the parser
//!   then reads one expression; the planner never looks inside an except clause); a trailing
//!   comma becomes a space and is kept as a hidden token.
//! - Type parameter defaults (PEP 696, `[T = int]`, `*Ts = ...`, `**P = ...`): `= default` is
//!   blanked and kept as hidden tokens.

use std::ops::Range;

use rustpython_parser::lexer::lex_starts_at;
use rustpython_parser::text_size::TextSize;
use rustpython_parser::{Mode, Tok};

use super::literals::{
    is_ident_continue, is_ident_start, lex_literal, skip_plain_string, string_start, LiteralError,
};
use super::{tokens::max_bracket_depth, SourceContext, MAX_DEPTH};
use crate::error::PlanError;

/// A region's text as handed to the parser, and the real tokens it no longer holds.
pub(super) struct Prepared {
    pub(super) text: String,
    pub(super) hidden: Vec<Range<usize>>,
}

/// Rewrite what the parser cannot read in `ctx.text[region]`. `Ok(None)`: nothing to rewrite.
pub(super) fn prepare(
    ctx: SourceContext<'_>,
    region: Range<usize>,
) -> Result<Option<Prepared>, PlanError> {
    let mut out = ctx.text.as_bytes()[region.clone()].to_vec();
    let mut changed = blank_literals(ctx, &region, &mut out)?;
    let mut hidden = Vec::new();
    // The literal rewrite replaced ASCII bytes (or whole characters) by ASCII: still UTF-8.
    let Ok(text) = String::from_utf8(out) else {
        return Ok(None);
    };
    let mut out = text.into_bytes();
    changed |= rewrite_headers(&region, &mut out, &mut hidden);
    if !changed {
        return Ok(None);
    }
    match String::from_utf8(out) {
        Ok(text) => Ok(Some(Prepared { text, hidden })),
        Err(_) => Ok(None),
    }
}

/// Replace every f- and t-string literal by `f"   "` of the same length, checking each
/// replacement field with the parser.
fn blank_literals(
    ctx: SourceContext<'_>,
    region: &Range<usize>,
    out: &mut [u8],
) -> Result<bool, PlanError> {
    let b = ctx.text.as_bytes();
    let mut changed = false;
    let mut i = region.start;
    while i < region.end {
        let c = b[i];
        if c == b'#' {
            i = b[i..region.end]
                .iter()
                .position(|&x| x == b'\n')
                .map_or(region.end, |n| i + n);
        } else if c == b'\\' {
            i += 2;
        } else if is_ident_start(c) || c == b'"' || c == b'\'' {
            match string_start(b, i) {
                Some((_, true, _)) => {
                    let literal = lex_literal(b, i).map_err(|e| literal_error(ctx, e))?;
                    for field in &literal.fields {
                        check_field(ctx, field.clone(), &literal.nested)?;
                    }
                    blank(&mut out[i - region.start..literal.end - region.start]);
                    changed = true;
                    i = literal.end;
                }
                Some(_) => match skip_plain_string(b, i) {
                    Some(end) => i = end,
                    // Not terminated: the parser's own error is the right one.
                    None => return Ok(changed),
                },
                None => {
                    while i < region.end && is_ident_continue(b[i]) {
                        i += 1;
                    }
                }
            }
        } else if c.is_ascii_digit() {
            while i < region.end && is_ident_continue(b[i]) {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    Ok(changed)
}

/// `f"` + spaces + `"` over the whole literal (newlines too: the literal's lines are counted
/// from the real text, and a one-line string is valid in every context a literal is).
fn blank(literal: &mut [u8]) {
    let n = literal.len();
    for (k, byte) in literal.iter_mut().enumerate() {
        *byte = match k {
            0 => b'f',
            1 => b'"',
            _ if k == n - 1 => b'"',
            _ => b' ',
        };
    }
}

fn literal_error(ctx: SourceContext<'_>, error: LiteralError) -> PlanError {
    match error {
        LiteralError::Malformed { at, message } => {
            ctx.error_at(at, |line, col| PlanError::Syntax {
                path: ctx.path.to_owned(),
                line,
                col,
                version: ctx.version,
                message: message.to_owned(),
            })
        }
        LiteralError::TooDeep { at, depth } => ctx.error_at(at, |line, col| PlanError::TooDeep {
            path: ctx.path.to_owned(),
            line,
            col,
            version: ctx.version,
            depth,
            limit: super::literals::MAX_LITERAL_NESTING,
        }),
    }
}

/// Parse one replacement field's expression on its own (nested literals blanked), so a literal
/// the parser never sees is still refused when its code is invalid.
fn check_field(
    ctx: SourceContext<'_>,
    field: Range<usize>,
    nested: &[Range<usize>],
) -> Result<(), PlanError> {
    let b = ctx.text.as_bytes();
    let mut text = Vec::with_capacity(field.len() + 3);
    text.push(b'(');
    text.extend_from_slice(&b[field.clone()]);
    let mut inner: Vec<&Range<usize>> = nested
        .iter()
        .filter(|n| n.start >= field.start && n.end <= field.end)
        .collect();
    inner.sort_by_key(|n| n.start);
    let mut blanked_to = field.start;
    for n in inner {
        if n.start >= blanked_to {
            blank(&mut text[1 + n.start - field.start..1 + n.end - field.start]);
            blanked_to = n.end;
        }
    }
    text.extend_from_slice(b"\n)");
    let Ok(text) = String::from_utf8(text) else {
        return Ok(());
    };
    let depth = max_bracket_depth(&text);
    if depth > MAX_DEPTH {
        return Err(ctx.error_at(field.start, |line, col| PlanError::TooDeep {
            path: ctx.path.to_owned(),
            line,
            col,
            version: ctx.version,
            depth,
            limit: MAX_DEPTH,
        }));
    }
    let offset = TextSize::from(u32::try_from(field.start - 1).unwrap_or(u32::MAX));
    match rustpython_parser::parse_starts_at(&text, Mode::Expression, ctx.path, offset) {
        Ok(_) => Ok(()),
        Err(e) => {
            let at = e.offset.to_usize().clamp(field.start, field.end);
            Err(ctx.error_at(at, |line, col| PlanError::Syntax {
                path: ctx.path.to_owned(),
                line,
                col,
                version: ctx.version,
                message: format!(
                    "in an f-string replacement field: {}",
                    super::unsupported::parse_error_message(&e.error)
                ),
            }))
        }
    }
}

/// PEP 758 except clauses and PEP 696 type parameter defaults, found with the parser's own lexer
/// on the text whose literals are already blanked.
fn rewrite_headers(region: &Range<usize>, out: &mut [u8], hidden: &mut Vec<Range<usize>>) -> bool {
    let Ok(text) = std::str::from_utf8(out) else {
        return false;
    };
    let offset = TextSize::from(u32::try_from(region.start).unwrap_or(u32::MAX));
    let mut tokens = Vec::new();
    for result in lex_starts_at(text, Mode::Module, offset) {
        match result {
            Ok((tok, range)) => {
                tokens.push((tok, range.start().to_usize()..range.end().to_usize()))
            }
            Err(_) => break,
        }
    }
    let mut edits: Vec<(usize, u8)> = Vec::new();
    let mut line_start = true;
    for k in 0..tokens.len() {
        let tok = &tokens[k].0;
        match tok {
            Tok::Except => except_commas(&tokens[k + 1..], &mut edits, hidden),
            // `type` is a soft keyword: the lexer may give it as a name.
            Tok::Def | Tok::Class | Tok::Type
                if matches!(tokens.get(k + 1), Some((Tok::Name { .. }, _)))
                    && matches!(tokens.get(k + 2), Some((Tok::Lsqb, _))) =>
            {
                type_param_defaults(&tokens[k + 2..], &mut edits, hidden);
            }
            Tok::Name { name }
                if line_start
                    && name.as_str() == "type"
                    && matches!(tokens.get(k + 1), Some((Tok::Name { .. }, _)))
                    && matches!(tokens.get(k + 2), Some((Tok::Lsqb, _))) =>
            {
                type_param_defaults(&tokens[k + 2..], &mut edits, hidden);
            }
            _ => {}
        }
        line_start = matches!(
            tok,
            Tok::Newline | Tok::Indent | Tok::Dedent | Tok::Semi | Tok::Colon
        );
    }
    for &(at, byte) in &edits {
        if let Some(slot) = out.get_mut(at - region.start) {
            *slot = byte;
        }
    }
    !edits.is_empty()
}

type Spanned = (Tok, Range<usize>);

/// `except A, B:`: top-level commas before the clause's `:` (none when it has `as`).
fn except_commas(after: &[Spanned], edits: &mut Vec<(usize, u8)>, hidden: &mut Vec<Range<usize>>) {
    let mut depth = 0usize;
    let mut commas = Vec::new();
    for (k, (tok, range)) in after.iter().enumerate() {
        match tok {
            Tok::Lpar | Tok::Lsqb | Tok::Lbrace => depth += 1,
            Tok::Rpar | Tok::Rsqb | Tok::Rbrace => depth = depth.saturating_sub(1),
            // `as` makes the commas invalid; a lambda's own `:` would end the scan early: the
            // clause is left to the parser, whose error is then named.
            Tok::As | Tok::Lambda if depth == 0 => return,
            Tok::Newline => return,
            Tok::Comma if depth == 0 => {
                let trailing = matches!(after.get(k + 1), Some((Tok::Colon, _)));
                commas.push((range.start, trailing));
            }
            Tok::Colon if depth == 0 => break,
            _ => {}
        }
    }
    for (at, trailing) in commas {
        if trailing {
            edits.push((at, b' '));
            hidden.push(at..at + 1);
        } else {
            edits.push((at, b'|'));
        }
    }
}

/// `[T = int, *Ts = *tuple[int], **P = [int]]` starting at its `[`: blank each `= default`.
fn type_param_defaults(
    from_bracket: &[Spanned],
    edits: &mut Vec<(usize, u8)>,
    hidden: &mut Vec<Range<usize>>,
) {
    let mut depth = 0usize;
    let mut default: Option<usize> = None;
    for (k, (tok, _)) in from_bracket.iter().enumerate() {
        let closes_param = match tok {
            Tok::Lpar | Tok::Lsqb | Tok::Lbrace => {
                depth += 1;
                false
            }
            Tok::Rpar | Tok::Rsqb | Tok::Rbrace => {
                depth = depth.saturating_sub(1);
                depth == 0
            }
            Tok::Comma => depth == 1,
            Tok::Newline => return,
            _ => false,
        };
        if closes_param {
            if let Some(first) = default.take() {
                for (_, r) in &from_bracket[first..k] {
                    hidden.push(r.clone());
                    edits.extend(r.clone().map(|at| (at, b' ')));
                }
            }
            if depth == 0 {
                return;
            }
        } else if depth == 1 && matches!(tok, Tok::Equal) && default.is_none() {
            default = Some(k);
        }
    }
}
