//! Our own small lexer for f-strings (as Python 3.12+ reads them, PEP 701: any quote, comments,
//! newlines and backslashes inside replacement fields, nested f-strings) and template strings
//! (PEP 750, `t"..."`, Python 3.14). It yields the literal's real tokens, so a literal the parser
//! only sees blanked out (see `prepass.rs`) still has a fingerprint of what it says, and the names
//! its fields read are still visible. Works on bytes: every character with a meaning here is ASCII.

use std::ops::Range;

/// Nesting of literals inside replacement fields accepted (CPython refuses 150).
pub(super) const MAX_LITERAL_NESTING: usize = 200;

/// What kind of text a [`Part`] is, which decides what the token table does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PartKind {
    /// A token of a field's expression (a name, an operator, a nested plain string...).
    Code,
    /// The literal's own text: prefix and quotes, literal text, conversion, format spec.
    Text,
    /// The source text of a `{expr=}` field up to its `=` and the spaces after it, which the
    /// f-string repeats verbatim: only fingerprinted.
    Verbatim,
}

/// One real token of a literal, by absolute byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Part {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) kind: PartKind,
}

/// A lexed literal: where it ends, its tokens, the expression ranges of its fields (at every
/// nesting level) and the nested f-/t-string literals inside those fields.
#[derive(Debug, Default)]
pub(super) struct Literal {
    pub(super) end: usize,
    pub(super) parts: Vec<Part>,
    pub(super) fields: Vec<Range<usize>>,
    pub(super) nested: Vec<Range<usize>>,
}

/// Why a literal could not be lexed: where, and what CPython would say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LiteralError {
    Malformed { at: usize, message: &'static str },
    TooDeep { at: usize, depth: usize },
}

/// The string prefix starting at `i` when a string literal starts there: (prefix length, whether
/// it is an f- or t-string, whether it is raw).
pub(super) fn string_start(b: &[u8], i: usize) -> Option<(usize, bool, bool)> {
    let mut j = i;
    while j < b.len() && j - i < 3 && b[j].is_ascii_alphabetic() {
        j += 1;
    }
    if !matches!(b.get(j), Some(b'"' | b'\'')) {
        return None;
    }
    let mut seen = [false; 5]; // r, u, b, f, t
    for &c in &b[i..j] {
        let slot = match c.to_ascii_lowercase() {
            b'r' => 0,
            b'u' => 1,
            b'b' => 2,
            b'f' => 3,
            b't' => 4,
            _ => return None,
        };
        if seen[slot] {
            return None;
        }
        seen[slot] = true;
    }
    let [raw, u, bytes, f, t] = seen;
    let others = usize::from(u) + usize::from(bytes) + usize::from(f) + usize::from(t);
    if others > 1 || (u && raw) {
        return None;
    }
    Some((j - i, f || t, raw))
}

/// Where the plain (not f-/t-) string starting at `i` ends, or `None` if it is not terminated.
pub(super) fn skip_plain_string(b: &[u8], i: usize) -> Option<usize> {
    let (prefix, _, _) = string_start(b, i)?;
    let (quote, qlen) = quote_at(b, i + prefix);
    let mut k = i + prefix + qlen;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            b'\n' if qlen == 1 => return None,
            c if c == quote && closes(b, k, quote, qlen) => return Some(k + qlen),
            _ => k += 1,
        }
    }
    None
}

fn quote_at(b: &[u8], i: usize) -> (u8, usize) {
    let quote = b[i];
    let triple = b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote);
    (quote, if triple { 3 } else { 1 })
}

fn closes(b: &[u8], k: usize, quote: u8, qlen: usize) -> bool {
    (0..qlen).all(|d| b.get(k + d) == Some(&quote))
}

/// Lex the f- or t-string literal whose prefix starts at `start`.
pub(super) fn lex_literal(b: &[u8], start: usize) -> Result<Literal, LiteralError> {
    let mut lexer = Lexer {
        b,
        out: Literal::default(),
        depth: 0,
    };
    let end = lexer.literal(start)?;
    lexer.out.end = end;
    Ok(lexer.out)
}

struct Lexer<'a> {
    b: &'a [u8],
    out: Literal,
    depth: usize,
}

/// How a literal is quoted, which decides where its text and its format specs end.
#[derive(Clone, Copy)]
struct Quoting {
    quote: u8,
    len: usize,
    raw: bool,
}

const OPERATORS: [&str; 47] = [
    "**=", "//=", ">>=", "<<=", "...", "!=", "==", "<=", ">=", "->", ":=", "**", "//", ">>", "<<",
    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", "+", "-", "*", "/", "%", "@", "&", "|",
    "^", "~", "<", ">", "=", ".", ",", ";", ":", "!", "(", ")", "[", "]", "{",
];

fn malformed(at: usize, message: &'static str) -> LiteralError {
    LiteralError::Malformed { at, message }
}

impl Lexer<'_> {
    fn push(&mut self, start: usize, end: usize, kind: PartKind) {
        if end > start {
            self.out.parts.push(Part { start, end, kind });
        }
    }

    fn literal(&mut self, start: usize) -> Result<usize, LiteralError> {
        let (prefix, _, raw) =
            string_start(self.b, start).ok_or_else(|| malformed(start, "not a string"))?;
        self.depth += 1;
        if self.depth > MAX_LITERAL_NESTING {
            return Err(LiteralError::TooDeep {
                at: start,
                depth: self.depth,
            });
        }
        let (quote, len) = quote_at(self.b, start + prefix);
        let quoting = Quoting { quote, len, raw };
        let content = start + prefix + len;
        self.push(start, content, PartKind::Text);
        let close = self.text(content, quoting, false)?;
        self.push(close, close + len, PartKind::Text);
        self.depth -= 1;
        Ok(close + len)
    }

    /// Literal text (or a format spec when `spec`): returns where the closing quote (or the `}`
    /// closing the field) is.
    fn text(&mut self, mut i: usize, q: Quoting, spec: bool) -> Result<usize, LiteralError> {
        let b = self.b;
        let mut chunk = i;
        loop {
            let Some(&c) = b.get(i) else {
                return Err(malformed(i, "unterminated f-string"));
            };
            if c == q.quote && closes(b, i, q.quote, q.len) {
                if spec {
                    return Err(malformed(i, "f-string: expecting '}'"));
                }
                self.push(chunk, i, PartKind::Text);
                return Ok(i);
            }
            match c {
                b'\\' => {
                    let next = b.get(i + 1).copied();
                    i += match next {
                        Some(b'{' | b'}') | None => 1,
                        Some(b'N') if !q.raw && b.get(i + 2) == Some(&b'{') => {
                            let close = b[i..].iter().position(|&x| x == b'}');
                            close.ok_or_else(|| malformed(i, "malformed \\N character escape"))? + 1
                        }
                        Some(_) => 2,
                    };
                }
                b'\n' if q.len == 1 => return Err(malformed(i, "unterminated f-string")),
                b'{' if !spec && b.get(i + 1) == Some(&b'{') => i += 2,
                b'}' if !spec && b.get(i + 1) == Some(&b'}') => i += 2,
                b'{' => {
                    self.push(chunk, i, PartKind::Text);
                    i = self.field(i, q)?;
                    chunk = i;
                }
                b'}' if spec => {
                    self.push(chunk, i, PartKind::Text);
                    return Ok(i);
                }
                b'}' => return Err(malformed(i, "f-string: single '}' is not allowed")),
                _ => i += 1,
            }
        }
    }

    /// A replacement field starting at its `{`: returns the offset after its `}`.
    fn field(&mut self, open: usize, q: Quoting) -> Result<usize, LiteralError> {
        let b = self.b;
        self.push(open, open + 1, PartKind::Text);
        let expr_start = open + 1;
        let mut i = expr_start;
        let mut brackets = 0usize;
        let mut tokens = 0usize;
        loop {
            i = skip_blank(b, i);
            let Some(&c) = b.get(i) else {
                return Err(malformed(open, "f-string: expecting '}'"));
            };
            if brackets == 0 {
                let end_of_expr = match c {
                    b'}' | b':' => true,
                    b'!' => b.get(i + 1) != Some(&b'='),
                    b'=' => !matches!(b.get(i + 1), Some(b'=')),
                    _ => false,
                };
                if end_of_expr {
                    if tokens == 0 {
                        return Err(malformed(
                            i,
                            "f-string: valid expression required before '}'",
                        ));
                    }
                    return self.field_tail(open, expr_start, i, q);
                }
            }
            if c == b'#' {
                i = b[i..]
                    .iter()
                    .position(|&x| x == b'\n')
                    .map_or(b.len(), |n| i + n);
                continue;
            }
            tokens += 1;
            let start = i;
            if is_ident_start(c) || c == b'"' || c == b'\'' {
                if let Some((_, formatted, _)) = string_start(b, i) {
                    if formatted {
                        let end = self.literal(i)?;
                        self.out.nested.push(i..end);
                        i = end;
                    } else {
                        i = skip_plain_string(b, i)
                            .ok_or_else(|| malformed(i, "unterminated string literal"))?;
                        self.push(start, i, PartKind::Code);
                    }
                    continue;
                }
                if c == b'"' || c == b'\'' {
                    return Err(malformed(i, "unterminated string literal"));
                }
                while i < b.len() && is_ident_continue(b[i]) {
                    i += 1;
                }
                self.push(start, i, PartKind::Code);
                continue;
            }
            if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
                i = number_end(b, i);
                self.push(start, i, PartKind::Code);
                continue;
            }
            let Some(op) = OPERATORS
                .iter()
                .find(|op| b[i..].starts_with(op.as_bytes()))
            else {
                if c == b'}' {
                    // Only reached inside brackets: `}` closes a bracket there.
                    brackets = brackets.saturating_sub(1);
                    self.push(i, i + 1, PartKind::Code);
                    i += 1;
                    continue;
                }
                return Err(malformed(i, "invalid character in f-string expression"));
            };
            match *op {
                "(" | "[" | "{" => brackets += 1,
                ")" | "]" => {
                    if brackets == 0 {
                        return Err(malformed(i, "f-string: unmatched bracket"));
                    }
                    brackets -= 1;
                }
                _ => {}
            }
            i += op.len();
            self.push(start, i, PartKind::Code);
        }
    }

    /// After a field's expression (at `i`: `=`, `!`, `:` or `}`): debug text, conversion,
    /// format spec and the closing `}`.
    fn field_tail(
        &mut self,
        open: usize,
        expr_start: usize,
        mut i: usize,
        q: Quoting,
    ) -> Result<usize, LiteralError> {
        let b = self.b;
        let mut expr_end = i;
        while expr_end > expr_start && b[expr_end - 1].is_ascii_whitespace() {
            expr_end -= 1;
        }
        self.out.fields.push(expr_start..expr_end);
        if b[i] == b'=' {
            i = skip_blank(b, i + 1);
            self.push(expr_start, i, PartKind::Verbatim);
        }
        if b.get(i) == Some(&b'!') {
            let name_start = skip_blank(b, i + 1);
            let mut name_end = name_start;
            while name_end < b.len() && is_ident_continue(b[name_end]) {
                name_end += 1;
            }
            if !matches!(&b[name_start..name_end], b"r" | b"s" | b"a") {
                return Err(malformed(
                    i,
                    "f-string: invalid conversion character: expected 's', 'r', or 'a'",
                ));
            }
            self.push(i, i + 1, PartKind::Text);
            self.push(name_start, name_end, PartKind::Text);
            i = skip_blank(b, name_end);
        }
        match b.get(i) {
            Some(b':') => {
                self.push(i, i + 1, PartKind::Text);
                i = self.text(i + 1, q, true)?;
            }
            Some(b'}') => {}
            _ => return Err(malformed(open, "f-string: expecting '}'")),
        }
        self.push(i, i + 1, PartKind::Text);
        Ok(i + 1)
    }
}

/// Skip spaces, tabs, form feeds, newlines (all allowed inside a field) and line continuations.
fn skip_blank(b: &[u8], mut i: usize) -> usize {
    loop {
        match b.get(i) {
            Some(b' ' | b'\t' | b'\x0c' | b'\r' | b'\n') => i += 1,
            Some(b'\\') if matches!(b.get(i + 1), Some(b'\n' | b'\r')) => i += 2,
            _ => return i,
        }
    }
}

pub(super) fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

pub(super) fn is_ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// End of a number starting at `i` (digits, letters, `_`, `.`, and a sign after an exponent).
fn number_end(b: &[u8], mut i: usize) -> usize {
    let hex = b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'x' | b'X'));
    while let Some(&c) = b.get(i) {
        let sign_after_exponent =
            matches!(c, b'+' | b'-') && !hex && matches!(b.get(i - 1), Some(b'e' | b'E'));
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || sign_after_exponent {
            i += 1;
        } else {
            break;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(source: &str) -> Vec<(&str, PartKind)> {
        let literal = lex_literal(source.as_bytes(), 0).expect("lexes");
        assert_eq!(literal.end, source.len(), "{source}");
        literal
            .parts
            .iter()
            .map(|p| (&source[p.start..p.end], p.kind))
            .collect()
    }

    fn code(source: &str) -> Vec<&str> {
        parts(source)
            .into_iter()
            .filter(|(_, k)| *k == PartKind::Code)
            .map(|(t, _)| t)
            .collect()
    }

    #[test]
    fn reused_quotes_nested_literals_and_comments() {
        assert_eq!(code(r#"f"{row["name"]}""#), ["row", "[", "\"name\"", "]"]);
        assert_eq!(code(r#"f"{f"{x}" + y}""#), ["x", "+", "y"]);
        assert_eq!(code("f'''{a # one\n  + b}'''"), ["a", "+", "b"]);
        assert_eq!(code("f\"{a +\n b}\""), ["a", "+", "b"]);
        assert_eq!(
            code(r#"f"{'\n'.join(xs)}""#),
            [r"'\n'", ".", "join", "(", "xs", ")"]
        );
        assert_eq!(code(r#"t"<p>{evil!r:>{width}}</p>""#), ["evil", "width"]);
        assert_eq!(code(r#"f"{x:=10}""#), ["x"]);
        assert_eq!(code(r#"f"{x!=y}""#), ["x", "!=", "y"]);
        assert_eq!(code(r#"f"{ {'a': 1}['a'] }""#).len(), 8);
        assert_eq!(code(r#"f"{1e-5 + 0x1f}""#), ["1e-5", "+", "0x1f"]);
    }

    #[test]
    fn debug_fields_keep_their_text() {
        let p = parts(r#"f"{ x = }""#);
        assert!(p.contains(&(" x = ", PartKind::Verbatim)), "{p:?}");
    }

    #[test]
    fn escapes_and_doubled_braces_are_text() {
        assert!(code(r#"f"{{x}} \{y} \N{DASH}""#) == ["y"]);
        assert!(code(r#"rf"\{y}\"""#) == ["y"]);
    }

    #[test]
    fn malformed_literals_are_refused() {
        for bad in [
            r#"f"{}""#,
            r#"f"{x""#,
            r#"f"}""#,
            r#"f"{x # c}""#,
            "f\"a\nb\"",
            r#"f"{x!}""#,
            r#"f"{x!z}""#,
            r#"f"{x)}""#,
            r#"f"{"}""#,
        ] {
            assert!(lex_literal(bad.as_bytes(), 0).is_err(), "{bad}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "f'{".repeat(MAX_LITERAL_NESTING + 1);
        assert!(matches!(
            lex_literal(deep.as_bytes(), 0),
            Err(LiteralError::TooDeep { .. })
        ));
    }

    #[test]
    fn prefixes() {
        assert_eq!(string_start(b"Rf'x'", 0), Some((2, true, true)));
        assert_eq!(string_start(b"tr'x'", 0), Some((2, true, true)));
        assert_eq!(string_start(b"rb'x'", 0), Some((2, false, true)));
        assert_eq!(string_start(b"ft'x'", 0), None);
        assert_eq!(string_start(b"bt'x'", 0), None);
        assert_eq!(string_start(b"ur'x'", 0), None);
        assert_eq!(string_start(b"abc'x'", 0), None);
        assert_eq!(skip_plain_string(br#"'a\'b' + 1"#, 0), Some(6));
    }
}
