//! Lexing a region for the parser while building the token table fingerprints are computed from:
//! nesting depth checked on the fly, f-/t-string literals replaced in the table by their real
//! tokens, and the tokens the pre-pass hid added back.

use std::ops::Range;

use rustpython_parser::lexer::lex_starts_at;
use rustpython_parser::text_size::TextSize;
use rustpython_parser::{Mode, StringKind, Tok};

use super::literals::{lex_literal, string_start, PartKind};
use super::tokens::{
    DepthEstimator, TokenInfo, TokenTable, TrailingCommas, TAG_DEDENT, TAG_INDENT, TAG_NEWLINE,
    TAG_SKIP, TAG_TEXT, TAG_VERBATIM,
};
use super::unsupported::lexical_message;
use super::{Failure, SourceContext, MAX_DEPTH, MAX_INDENT};
use crate::error::PlanError;

pub(super) type LexedRegion = (
    Vec<(Tok, rustpython_parser::text_size::TextRange)>,
    TokenTable,
);

/// Lex the region, checking nesting depth on the fly so a hostile input is refused before a tree
/// exists. Returns the tokens for the parser and the position-free table for fingerprints, where
/// each f-/t-string literal is replaced by its real tokens (`literals.rs`) and the `hidden`
/// ranges the pre-pass removed are added back.
pub(super) fn lex_region(
    ctx: SourceContext<'_>,
    region_text: &str,
    offset: u32,
    hidden: &[Range<usize>],
) -> Result<LexedRegion, Failure> {
    let mut tokens = Vec::with_capacity(region_text.len() / 4);
    let mut table = Vec::with_capacity(region_text.len() / 4);
    let mut hidden_table = Vec::new();
    let mut depth = DepthEstimator::default();
    let mut commas = TrailingCommas::default();
    let bytes = ctx.text.as_bytes();
    let mut line = ctx.lines.line(offset as usize) as u32;
    let mut line_cursor = offset as usize;
    for result in lex_starts_at(region_text, Mode::Module, TextSize::from(offset)) {
        let (tok, range) = match result {
            Ok(spanned) => spanned,
            Err(e) => {
                return Err(Failure::Syntax(
                    e.location.to_usize(),
                    lexical_message(&e.error),
                ));
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
        let mut tag = match tok {
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
            return Err(Failure::Plan(ctx.error_at(start as usize, |line, col| {
                PlanError::TooDeep {
                    path: ctx.path.to_owned(),
                    line,
                    col,
                    version: ctx.version,
                    depth: reached.depth,
                    limit,
                }
            })));
        }
        if let Tok::String {
            kind: StringKind::FString | StringKind::RawFString,
            ..
        } = tok
        {
            if push_literal_parts(
                ctx,
                range.start().to_usize()..range.end().to_usize(),
                &mut hidden_table,
            ) {
                tag = TAG_SKIP;
            }
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
    for range in hidden {
        if !push_literal_parts(ctx, range.clone(), &mut hidden_table) {
            hidden_table.push(token_info(ctx, range.clone(), 0));
        }
    }
    hidden_table.sort_by_key(|t| t.start);
    Ok((
        tokens,
        TokenTable {
            tokens: table,
            hidden: hidden_table,
        },
    ))
}

fn token_info(ctx: SourceContext<'_>, range: Range<usize>, tag: u8) -> TokenInfo {
    TokenInfo {
        start: range.start as u32,
        end: range.end as u32,
        line: ctx.lines.line(range.start) as u32,
        tag,
    }
}

/// The real tokens of the f-/t-string literal at `range` (of the real text), if our lexer reads
/// it as exactly that literal; otherwise the parser's token stands as it is.
fn push_literal_parts(
    ctx: SourceContext<'_>,
    range: Range<usize>,
    out: &mut Vec<TokenInfo>,
) -> bool {
    let bytes = ctx.text.as_bytes();
    if !string_start(bytes, range.start).is_some_and(|(_, formatted, _)| formatted) {
        return false;
    }
    let Ok(literal) = lex_literal(bytes, range.start) else {
        return false;
    };
    if literal.end != range.end {
        return false;
    }
    out.extend(literal.parts.iter().map(|part| {
        let tag = match part.kind {
            PartKind::Code => 0,
            PartKind::Text => TAG_TEXT,
            PartKind::Verbatim => TAG_VERBATIM,
        };
        token_info(ctx, part.start..part.end, tag)
    }));
    true
}
