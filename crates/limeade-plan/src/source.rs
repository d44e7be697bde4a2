//! Source text bookkeeping: byte offsets to CPython-style lines and columns, and decoding of raw
//! bytes the way CPython's source loader does (UTF-8 by default, a PEP 263 cookie otherwise).

use crate::error::{PlanError, Version};

/// A source text shared by the registry, the trees parsed from it and the refresh reading it.
/// An `Arc<String>`, not an `Arc<str>`: a file read into a `String` is shared without copying
/// it (an `Arc<str>` is one more allocation as large as the file, and its fresh pages).
pub type SharedText = std::sync::Arc<String>;

/// Byte offset of the start of every line, so positions can be turned into lines in O(log n)
/// without keeping the parser's own locator around. It covers the whole text, or only a window
/// of it (an incremental re-parse indexes the lines it parses, not the whole new text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// Absolute byte offsets of the line starts covered, in order.
    starts: Vec<usize>,
    /// 1-based line number of `starts[0]`.
    first_line: usize,
}

impl LineIndex {
    /// Index `text`. Only `\n` ends a line for numbering, as in CPython's tracebacks.
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 30 + 1);
        starts.push(0);
        // A vectorised search for every newline: `match_indices` starts one memchr per line,
        // which on short lines costs more than the search (a fifth of planning a one-line edit
        // in a 10,000-line module).
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex {
            starts,
            first_line: 1,
        }
    }

    /// Index the lines of `text[window]` only; `window` starts a line, numbered `first_line`.
    /// Positions outside the window are not answered right: only use it for the window.
    pub fn of_window(text: &str, window: std::ops::Range<usize>, first_line: usize) -> Self {
        let bytes = text.as_bytes().get(window.clone()).unwrap_or_default();
        let mut starts = Vec::with_capacity(bytes.len() / 30 + 1);
        starts.push(window.start);
        starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| window.start + i + 1),
        );
        LineIndex { starts, first_line }
    }

    /// Newlines in the window indexed (for a whole text, in the text).
    pub fn newlines(&self) -> usize {
        self.starts.len() - 1
    }

    /// Heap bytes of the line starts (for [`crate::heap::HeapSize`]).
    pub(crate) fn heap_bytes_of_starts(&self) -> usize {
        self.starts.capacity() * std::mem::size_of::<usize>()
    }

    /// 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => self.first_line + i,
            Err(i) => (self.first_line + i).saturating_sub(1).max(self.first_line),
        }
    }

    /// Byte offset where 1-based `line` starts (the end of the text past the last line).
    pub fn line_start(&self, line: usize, text_len: usize) -> usize {
        self.starts
            .get(line.saturating_sub(self.first_line))
            .copied()
            .unwrap_or(text_len)
    }

    /// Number of lines (a trailing newline does not open a new one).
    pub fn line_count(&self, text: &str) -> usize {
        if text.ends_with('\n') {
            self.starts.len() - 1
        } else {
            self.starts.len()
        }
    }

    /// 1-based line and 1-based character column of byte `offset` (clamped into the text).
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line(offset);
        let start = self.line_start(line, text.len()).min(offset);
        let col = text[start..offset].chars().count() + 1;
        (line, col)
    }
}

/// For each span `(first, last)` of 1-based lines, those lines of `text` with their line ends,
/// split at `\n` only as the compiler counts lines (lines past the end are empty). What the
/// live side compiles definitions from, without splitting the whole module into lines: one
/// forward pass when the spans come in source order, so a refresh that compiles 200,000 added
/// definitions costs the file once (a `\n` byte is never part of another character in UTF-8,
/// so each cut is on a character boundary). Lines are counted from the nearest of the `known`
/// line starts at or before each span (those of the top-level statements of a parsed text), so
/// one definition far down a large module costs its own lines.
pub fn line_ranges<'t>(
    text: &'t str,
    known: &[LineStart],
    spans: &[(usize, usize)],
) -> Vec<&'t str> {
    let bytes = text.as_bytes();
    let next_line =
        |from: usize| memchr::memchr(b'\n', &bytes[from..]).map_or(bytes.len(), |i| from + i + 1);
    // `offset` is where line `line` starts.
    let (mut line, mut offset) = (1, 0);
    spans
        .iter()
        .map(|&(first, last)| {
            if first == 0 || last < first {
                return &text[..0];
            }
            if first < line {
                (line, offset) = (1, 0);
            }
            // The nearest known line start at or before the span, if it is further on.
            let nearest = known.partition_point(|k| k.line <= first);
            if let Some(k) = nearest.checked_sub(1).and_then(|i| known.get(i)) {
                if k.line > line && k.byte <= bytes.len() {
                    (line, offset) = (k.line, k.byte);
                }
            }
            (line, offset) = skip_lines(bytes, line, offset, first);
            if line < first {
                return &text[..0];
            }
            let start = offset;
            while line <= last && offset < bytes.len() {
                offset = next_line(offset);
                line += 1;
            }
            &text[start..offset]
        })
        .collect()
}

/// A line whose start is known: 1-based `line` begins at byte `byte` (sorted by line when in a
/// list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineStart {
    /// 1-based line.
    pub line: usize,
    /// Byte offset of its first character.
    pub byte: usize,
}

/// From line `line` starting at byte `offset`, the start of line `target` (or the end of the
/// text): newlines are counted a block at a time (a loop the compiler vectorises), not found
/// one by one, since the lines skipped are most of a large module.
fn skip_lines(bytes: &[u8], mut line: usize, mut offset: usize, target: usize) -> (usize, usize) {
    const BLOCK: usize = 256;
    while line < target && offset + BLOCK <= bytes.len() {
        let newlines = bytes[offset..offset + BLOCK]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        if line + newlines >= target {
            break;
        }
        line += newlines;
        offset += BLOCK;
    }
    while line < target && offset < bytes.len() {
        offset = memchr::memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |i| offset + i + 1);
        line += 1;
    }
    (line, offset)
}

/// Decode raw source bytes like CPython: a UTF-8 BOM or no cookie means UTF-8; a PEP 263 cookie on
/// line 1 or 2 may name Latin-1 or ASCII. Other encodings are refused with a
/// [`PlanError::Decode`] rather than guessed: such a file is not tracked (or not planned), and
/// only a custom loader's module reaches the planner already decoded, as the `str` its
/// `get_source` gives. What CPython refuses to compile is refused too (NUL bytes, a BOM with
/// another cookie), and a lone `\r` ends a line as CPython's source loader reads it (universal
/// newlines).
pub fn decode_source(bytes: &[u8], path: &str, version: Version) -> Result<String, PlanError> {
    let text = decode_bytes(bytes, path, version)?;
    Ok(lone_cr_to_lf(text))
}

/// [`decode_source`] of bytes the caller gives up: a UTF-8 file (no BOM, no NUL) becomes the
/// text without a copy.
pub fn decode_source_owned(
    bytes: Vec<u8>,
    path: &str,
    version: Version,
) -> Result<String, PlanError> {
    let plain_utf8 = !bytes.starts_with(b"\xef\xbb\xbf")
        && !bytes.contains(&0)
        && coding_cookie(&bytes).is_none_or(|encoding| {
            matches!(encoding.as_str(), "utf-8" | "utf8" | "utf_8" | "utf-8-sig")
        });
    if !plain_utf8 {
        return decode_source(&bytes, path, version);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(lone_cr_to_lf(text)),
        Err(e) => decode_source(e.as_bytes(), path, version),
    }
}

fn decode_bytes(bytes: &[u8], path: &str, version: Version) -> Result<String, PlanError> {
    let with_bom = bytes.starts_with(b"\xef\xbb\xbf");
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let encoding = coding_cookie(bytes).unwrap_or_else(|| "utf-8".to_owned());
    let decode_error = |offset: usize, message: String| {
        let prefix = String::from_utf8_lossy(&bytes[..offset]);
        let index = LineIndex::new(&prefix);
        let (line, col) = index.line_col(&prefix, prefix.len());
        PlanError::Decode {
            path: path.to_owned(),
            line,
            col,
            version,
            encoding: encoding.clone(),
            message,
        }
    };
    // `contains` on bytes is a vectorised search; the position is only wanted for the error.
    if let Some(at) = bytes
        .contains(&0)
        .then(|| bytes.iter().position(|&b| b == 0))
        .flatten()
    {
        return Err(decode_error(
            at,
            format!("NUL byte at offset {at} (source code cannot contain null bytes)"),
        ));
    }
    let utf8 = matches!(encoding.as_str(), "utf-8" | "utf8" | "utf_8" | "utf-8-sig");
    if with_bom && !utf8 {
        return Err(decode_error(
            0,
            format!("a UTF-8 byte order mark with a {encoding:?} coding cookie"),
        ));
    }
    match encoding.as_str() {
        "utf-8" | "utf8" | "utf_8" | "utf-8-sig" => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_owned()),
            Err(e) => {
                let at = e.valid_up_to();
                let byte = bytes.get(at).copied().unwrap_or_default();
                Err(decode_error(
                    at,
                    format!("invalid byte 0x{byte:02x} at offset {at}"),
                ))
            }
        },
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" => {
            Ok(bytes.iter().map(|&b| char::from(b)).collect())
        }
        "ascii" | "us-ascii" => match bytes.iter().position(|b| !b.is_ascii()) {
            None => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
            Some(at) => Err(decode_error(
                at,
                format!("non-ASCII byte 0x{:02x} at offset {at}", bytes[at]),
            )),
        },
        other => Err(decode_error(
            0,
            format!("limeade reads only UTF-8, Latin-1 and ASCII source, not {other:?}"),
        )),
    }
}

/// `text` with every `\r` not followed by `\n` turned into `\n` (CRLF is kept: it numbers lines
/// the same and keeps the file's columns).
fn lone_cr_to_lf(text: String) -> String {
    let bytes = text.as_bytes();
    let lone = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    // Most files have no `\r` at all: one vectorised search answers for them.
    if !bytes.contains(&b'\r') || !(0..bytes.len()).any(lone) {
        return text;
    }
    let mut out = text.into_bytes();
    for i in 0..out.len() {
        if out[i] == b'\r' && out.get(i + 1) != Some(&b'\n') {
            out[i] = b'\n';
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes: still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// The PEP 263 encoding named on one of the first two lines, lower-cased with `_` as `-`.
fn coding_cookie(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&b| b == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let trimmed = line.trim_start();
        if !trimmed.starts_with('#') {
            // A non-comment first line ends the search (CPython only looks at comment lines).
            if trimmed.is_empty() {
                continue;
            }
            return None;
        }
        if let Some(pos) = trimmed.find("coding") {
            let rest = &trimmed[pos + "coding".len()..];
            let Some(rest) = rest.strip_prefix([':', '=']) else {
                continue;
            };
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            if !name.is_empty() {
                return Some(name.to_ascii_lowercase().replace('_', "-"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "a = 1\nπ = 'é'\n";
        let index = LineIndex::new(text);
        let offset = text.find('\'').unwrap_or_default();
        assert_eq!(index.line_col(text, offset), (2, 5));
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line_count(text), 2);
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let err = decode_source(b"x = 1\ny = '\xff'\n", "m.py", Version::New).expect_err("refused");
        assert_eq!(err.location(), Some((2, 6)));
        assert!(err.to_string().starts_with("m.py:2:6:"), "{err}");
    }

    #[test]
    fn latin1_cookie_is_honoured() {
        let text = decode_source(
            b"# -*- coding: latin-1 -*-\ns = '\xe9'\n",
            "m.py",
            Version::Old,
        );
        assert_eq!(text.as_deref().ok().map(|t| t.contains('é')), Some(true));
    }

    #[test]
    fn nul_bytes_and_bom_with_other_cookie_are_refused_like_cpython() {
        let err = decode_source(b"x = 1\n# \x00\n", "m.py", Version::New).expect_err("refused");
        assert_eq!(err.location(), Some((2, 3)));
        let err = decode_source(
            b"\xef\xbb\xbf# coding: latin-1\nx = 1\n",
            "m.py",
            Version::New,
        )
        .expect_err("refused");
        assert!(err.to_string().contains("byte order mark"), "{err}");
    }

    #[test]
    fn lone_carriage_returns_end_lines_and_crlf_is_kept() {
        let text = decode_source(b"a = 1\rb = 2\r\nc = 3\r", "m.py", Version::New);
        assert_eq!(text.as_deref().ok(), Some("a = 1\nb = 2\r\nc = 3\n"));
    }

    #[test]
    fn owned_bytes_decode_as_borrowed_ones_do() {
        let inputs: [&[u8]; 8] = [
            b"x = 1\n",
            "s = 'é'\r\n".as_bytes(),
            b"a = 1\rb = 2\n",
            b"\xef\xbb\xbfx = 1\n",
            b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
            b"x = '\xff'\n",
            b"x = 1\x00\n",
            b"# coding: utf-8\nx = 1\n",
        ];
        for bytes in inputs {
            let borrowed = decode_source(bytes, "m.py", Version::New).map_err(|e| e.to_string());
            let owned = decode_source_owned(bytes.to_vec(), "m.py", Version::New)
                .map_err(|e| e.to_string());
            assert_eq!(owned, borrowed, "{bytes:?}");
        }
    }

    #[test]
    fn unknown_cookie_is_refused() {
        let err = decode_source(b"# coding: shift_jis\nx = 1\n", "m.py", Version::New)
            .expect_err("refused");
        assert!(err.to_string().contains("shift-jis"), "{err}");
    }
}

#[cfg(test)]
mod line_range_tests {
    use super::{line_ranges, LineStart};

    #[test]
    fn lines_are_cut_at_newlines_only() {
        let text = "a\nb\x0cc\r\nd\u{2028}e\nlast";
        let cut = |spans: &[(usize, usize)]| line_ranges(text, &[], spans);
        assert_eq!(cut(&[(1, 1)]), ["a\n"]);
        assert_eq!(cut(&[(2, 3)]), ["b\x0cc\r\nd\u{2028}e\n"]);
        assert_eq!(
            cut(&[(4, 4), (4, 9), (5, 6), (0, 2)]),
            ["last", "last", "", ""]
        );
        // In source order (one pass), out of order, and repeated.
        assert_eq!(cut(&[(1, 1), (3, 4)]), ["a\n", "d\u{2028}e\nlast"]);
        assert_eq!(
            cut(&[(3, 3), (1, 2), (1, 1)]),
            ["d\u{2028}e\n", "a\nb\x0cc\r\n", "a\n"]
        );
        assert_eq!(line_ranges("x\n", &[], &[(1, 3), (2, 2)]), ["x\n", ""]);
    }

    #[test]
    fn lines_far_into_a_large_text_are_found_past_whole_blocks() {
        // Lines of varied lengths (some longer than a block, some empty), UTF-8 among them.
        let lines: Vec<String> = (0..3_000)
            .map(|i| match i % 7 {
                0 => String::new(),
                1 => "é".repeat(200),
                _ => format!("line {i} {}", "x".repeat(i % 40)),
            })
            .collect();
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        for spans in [
            vec![(2_999, 3_000)],
            vec![(1, 1), (1_500, 1_502), (2_990, 2_990)],
        ] {
            let expected: Vec<String> = spans
                .iter()
                .map(|&(first, last)| {
                    lines[first - 1..last.min(lines.len())]
                        .iter()
                        .map(|l| format!("{l}\n"))
                        .collect()
                })
                .collect();
            assert_eq!(line_ranges(&text, &[], &spans), expected, "{spans:?}");
            // From known line starts (every 97th line): the same lines.
            let mut known = Vec::new();
            let mut byte = 0;
            for (i, l) in lines.iter().enumerate() {
                if i % 97 == 0 {
                    known.push(LineStart { line: i + 1, byte });
                }
                byte += l.len() + 1;
            }
            assert_eq!(line_ranges(&text, &known, &spans), expected, "{spans:?}");
        }
    }
}
