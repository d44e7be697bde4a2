//! Tokens in position-free form: fingerprints of any range (comments and layout excluded), the
//! normalised text shown in plans, and the token-level checks that run before a tree exists
//! (nesting depth, insignificant trailing commas).

use std::ops::Range;

use rustpython_parser::{StringKind, Tok};

use super::{MAX_DEPTH, MAX_INDENT};
use crate::tree::Fingerprint;

/// One significant token in position-free form plus where it is.
#[derive(Debug, Clone, Copy)]
pub(super) struct TokenInfo {
    pub(super) start: u32,
    pub(super) end: u32,
    pub(super) line: u32,
    /// 0: hash the token's text; otherwise a fixed tag for tokens whose text is layout.
    pub(super) tag: u8,
}

pub(super) const TAG_NEWLINE: u8 = 1;
pub(super) const TAG_INDENT: u8 = 2;
pub(super) const TAG_DEDENT: u8 = 3;
/// A token that does not change the syntax tree (a redundant trailing comma): left out of
/// fingerprints so reformatting tools do not cause "changes".
pub(super) const TAG_SKIP: u8 = 4;
/// Literal text of an f-/t-string (prefix, quotes, text between fields, format spec): hashed and
/// shown, never taken for a name.
pub(super) const TAG_TEXT: u8 = 5;
/// The source text of a `{expr=}` field, which the f-string repeats: only hashed.
pub(super) const TAG_VERBATIM: u8 = 6;

/// The tokens of a parsed region, kept to fingerprint any node's range after parsing.
pub(super) struct TokenTable {
    pub(super) tokens: Vec<TokenInfo>,
    /// Real tokens the parser did not see, sorted by start: the insides of f-/t-string literals
    /// (whose parser token is [`TAG_SKIP`]) and what the pre-pass blanked. Every query merges
    /// them with `tokens` by position.
    pub(super) hidden: Vec<TokenInfo>,
}

/// Whether a token's bytes go into fingerprints.
fn hashes_text(tag: u8) -> bool {
    matches!(tag, 0 | TAG_TEXT | TAG_VERBATIM)
}

/// The tokens of a range in source order, hidden ones merged in.
struct Merged<'a> {
    main: std::slice::Iter<'a, TokenInfo>,
    hidden: std::slice::Iter<'a, TokenInfo>,
}

impl<'a> Iterator for Merged<'a> {
    type Item = &'a TokenInfo;
    fn next(&mut self) -> Option<&'a TokenInfo> {
        match (self.main.as_slice().first(), self.hidden.as_slice().first()) {
            (Some(m), Some(h)) if h.start < m.start => self.hidden.next(),
            (Some(_), _) => self.main.next(),
            (None, _) => self.hidden.next(),
        }
    }
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

    fn merged(&self, range: Range<usize>) -> Merged<'_> {
        let main = &self.tokens[self.index_range(range.clone())];
        let hidden = if self.hidden.is_empty() {
            &self.hidden[..]
        } else {
            let first = self
                .hidden
                .partition_point(|t| (t.start as usize) < range.start);
            let last = self
                .hidden
                .partition_point(|t| (t.start as usize) < range.end);
            &self.hidden[first..last.max(first)]
        };
        Merged {
            main: main.iter(),
            hidden: hidden.iter(),
        }
    }

    /// `end` moved past hidden tokens that follow it before the next token the parser saw (a
    /// blanked type parameter default after the last parameter's node).
    pub(super) fn extend_over_hidden(&self, end: usize) -> usize {
        let next_main = self
            .tokens
            .get(self.tokens.partition_point(|t| (t.start as usize) < end))
            .map_or(usize::MAX, |t| t.start as usize);
        let first = self.hidden.partition_point(|t| (t.start as usize) < end);
        self.hidden[first..]
            .iter()
            .take_while(|t| (t.start as usize) < next_main)
            .map(|t| t.end as usize)
            .max()
            .unwrap_or(end)
            .max(end)
    }

    pub(super) fn fingerprint(&self, text: &str, range: Range<usize>) -> Fingerprint {
        let mut h = FingerprintHasher::new();
        for t in self.merged(range) {
            if t.tag == TAG_SKIP {
                continue;
            }
            if hashes_text(t.tag) {
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

    pub(super) fn layout(&self, range: Range<usize>, base_line: usize) -> Fingerprint {
        let mut h = FingerprintHasher::new();
        for t in self.merged(range).filter(|t| t.tag != TAG_SKIP) {
            h.word((t.line as u64).wrapping_sub(base_line as u64));
        }
        h.finish()
    }

    /// Normalised text of a range: significant tokens joined by single spaces where the source had
    /// whitespace, so re-wrapping an expression does not change how it is shown.
    pub(super) fn normalized_text(&self, text: &str, range: Range<usize>) -> String {
        let mut out = String::new();
        let mut previous_end: Option<usize> = None;
        for t in self.merged(range) {
            if t.tag != 0 && t.tag != TAG_TEXT {
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

    /// Whether a range holds one of `words` as a token (a keyword or name, never inside a
    /// string literal's text).
    pub(super) fn has_word(&self, text: &str, range: Range<usize>, words: &[&str]) -> bool {
        self.merged(range).any(|t| {
            t.tag == 0
                && words.contains(
                    &text
                        .get(t.start as usize..t.end as usize)
                        .unwrap_or_default(),
                )
        })
    }

    /// Names directly before a `:=` token in a range.
    pub(super) fn walrus_targets(&self, text: &str, range: Range<usize>) -> Vec<String> {
        let tokens: Vec<&TokenInfo> = self.merged(range).collect();
        let token_text = |t: &TokenInfo| {
            text.get(t.start as usize..t.end as usize)
                .unwrap_or_default()
        };
        tokens
            .windows(2)
            .filter(|w| token_text(w[1]) == ":=" && w[0].tag == 0)
            .map(|w| token_text(w[0]).to_owned())
            .filter(|n| {
                n.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
            })
            .collect()
    }

    /// Names a range loads: name tokens that are not attribute names (after `.`), keyword
    /// argument names (before `=`) or keywords. Names bound inside the range (lambda parameters,
    /// comprehension variables) are included: an over-approximation the live side tolerates.
    pub(super) fn loads_in(&self, text: &str, range: Range<usize>) -> Vec<String> {
        let tokens: Vec<&TokenInfo> = self.merged(range).filter(|t| t.tag == 0).collect();
        let token_text = |t: &TokenInfo| {
            text.get(t.start as usize..t.end as usize)
                .unwrap_or_default()
        };
        let mut names: Vec<String> = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            let word = token_text(t);
            let after_dot = i > 0 && token_text(tokens[i - 1]) == ".";
            let before_assign = tokens.get(i + 1).is_some_and(|n| token_text(n) == "=");
            if is_identifier(word)
                && !after_dot
                && !before_assign
                && !KEYWORDS.contains(&word)
                && !names.iter().any(|n| n == word)
            {
                names.push(word.to_owned());
            }
        }
        names
    }

    pub(super) fn names_in(&self, text: &str, range: Range<usize>) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for t in self.merged(range) {
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

/// Python's hard keywords: never a name that is read.
const KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

fn is_identifier(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && word.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Finds trailing commas that do not change the syntax tree: in list, set and dict displays, in
/// calls and parameter lists, and wherever the brackets already hold another comma. A single
/// trailing comma in `(x,)` or `x[i,]` makes a tuple and is kept.
#[derive(Default)]
pub(super) struct TrailingCommas {
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
    pub(super) fn observe(&mut self, tok: &Tok, index: usize, table: &mut [TokenInfo]) {
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
pub(super) struct DepthEstimator {
    /// Per open bracket (plus the statement level): operators seen since the last separator.
    frames: Vec<usize>,
    /// Sum of `frames`, kept up to date.
    total: usize,
    /// Current indentation level.
    indent: usize,
}

pub(super) struct DepthReached {
    pub(super) depth: usize,
    pub(super) indent: bool,
}

impl DepthEstimator {
    pub(super) fn push(
        &mut self,
        tok: &Tok,
        text: &str,
        start: usize,
        end: usize,
    ) -> Option<DepthReached> {
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

pub(super) fn max_bracket_depth(text: &str) -> usize {
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
