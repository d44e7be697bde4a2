//! Errors in the user's terms: parser messages, and valid newer Python that rustpython-parser 0.4
//! rejects and the pre-pass (`prepass.rs`) did not rewrite, named by its PEP instead of being
//! called a syntax error. f-strings and t-strings are not named here: the pre-pass reads every
//! one, and one it cannot read is a syntax error (CPython's message for it).

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

/// Valid newer Python that rustpython-parser 0.4 rejects and the pre-pass left as it was (a
/// layout its token patterns do not recognise): name it instead of calling it a syntax error.
/// Looks only at the line of the error, in the text the parser was handed.
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
