//! Errors in the user's terms: parser messages, and valid newer Python (3.12+) that
//! rustpython-parser 0.4 rejects, named by its PEP instead of being called a syntax error.

use rustpython_parser::lexer::LexicalErrorType;
use rustpython_parser::ParseErrorType;

use crate::source::LineIndex;

pub(super) fn parse_error_message(error: &ParseErrorType) -> String {
    match error {
        ParseErrorType::Eof => "unexpected end of file".to_owned(),
        ParseErrorType::Lexical(e) => lexical_message(e),
        other => other.to_string(),
    }
}

pub(super) fn lexical_message(error: &LexicalErrorType) -> String {
    error.to_string()
}

/// Valid newer Python that rustpython-parser 0.4 rejects: name it instead of calling it a syntax
/// error. Looks only at the line of the error.
pub(super) fn unsupported_construct(
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
