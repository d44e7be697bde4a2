//! The incremental re-parse: the windows of a new text an edit touched, found by comparing it
//! with the kept text, parsed alone; every other top-level statement kept, moved.

use crate::error::Version;
use crate::source::{LineIndex, SharedText};
use crate::syntax::{parse_region, SourceContext};
use crate::tree::Statement;

/// The kept version of a module as a re-parse reads it: its text (unpacked) and statements.
pub(super) struct Old<'a> {
    pub(super) text: &'a str,
    pub(super) statements: &'a [Statement],
}

impl Old<'_> {
    /// The statements of `new_text` built from this tree plus a parse of each edited window, or
    /// `None` when a window cannot be proven to parse the same on its own.
    ///
    /// Edits far apart (lines added at the top and a function appended at the end) are separate
    /// windows: after each edit, the first old statement whose exact text is found again in the
    /// new text (at the start of a line) ends the window, and the statements from there on are
    /// kept, moved. A statement kept this way is the same text at a statement boundary, so it
    /// parses the same whatever the neighbouring windows hold; each window must parse on its
    /// own, start flush and end at a line start, as a single window always had to. The windows
    /// are found from the texts alone, then parsed one after another (windows of comment lines
    /// only are not parsed). `first_same`: the length of the texts' common prefix.
    pub(super) fn incremental(
        &self,
        path: &str,
        new_text: &SharedText,
        first_same: usize,
    ) -> Option<(Vec<Statement>, usize)> {
        let old = self.text.as_bytes();
        let new = new_text.as_bytes();
        let statements = self.statements;
        let mut pieces: Vec<Piece> = Vec::new();
        // Old statements before `k` are handled (kept, or re-parsed in a window); `old[old_at..]`
        // is to be matched against `new[new_at..]`, and they start with the same statement.
        let (mut k, mut old_at, mut new_at) = (0, 0, 0);
        let mut search_budget = ANCHOR_SEARCH_FACTOR * new.len() + ANCHOR_SEARCH_SLACK;
        let mut known_same = Some(first_same);
        loop {
            let same = known_same
                .take()
                .unwrap_or_else(|| common_prefix(&old[old_at..], &new[new_at..]));
            let delta = new_at as isize - old_at as isize;
            if old_at + same == old.len() && new_at + same == new.len() {
                pieces.push(Piece::Keep(k..statements.len(), delta));
                break;
            }
            let old_diff = old_at + same;
            let first_changed_line = self.line_of(old_diff);

            // Statements wholly before the edit's first line, minus one: the statement just
            // before an edit may be extended by it (a line appended to a function body), unless
            // the edit provably cannot join it.
            let before = statements[k..]
                .iter()
                .take_while(|s| s.span.end_line < first_changed_line)
                .count();
            let keep_before = if before > 0
                && self.edit_cannot_extend(k + before - 1, old_diff, new_text, delta)
            {
                k + before
            } else {
                k + before.saturating_sub(1)
            };
            pieces.push(Piece::Keep(k..keep_before, delta));
            // From the file's start when no statement is kept before the edit: comments or
            // blank lines above the first statement (a licence header) belong to the window.
            let window_start = match keep_before {
                0 => 0,
                i => statements.get(i).map_or(old.len(), |s| s.span.start),
            };
            if window_start > old_diff || !self.starts_line(window_start) {
                return None;
            }
            let new_window_start = window_start.checked_add_signed(delta)?;

            // Without an earlier anchor, the window ends where the common suffix's first whole
            // statement starts.
            let max_suffix = (old.len() - old_diff).min(new.len() - (new_at + same));
            let suffix = common_suffix(&old[old_diff..], &new[new_at + same..]).min(max_suffix);
            let old_changed_end = old.len() - suffix;
            let total_delta = new.len() as isize - old.len() as isize;
            let keep_after_from = statements[keep_before..]
                .iter()
                .position(|s| s.span.start >= old_changed_end && self.starts_line(s.span.start))
                .map_or(statements.len(), |i| keep_before + i);
            let suffix_window_end = statements.get(keep_after_from).map_or(new.len(), |s| {
                s.span.start.saturating_add_signed(total_delta)
            });
            let search_from = line_start(new, new_at + same);
            let anchor = self.anchor(
                keep_before..keep_after_from,
                old_diff,
                new_text,
                search_from..suffix_window_end,
                &mut search_budget,
            );
            let window_end = anchor.map_or(suffix_window_end, |(_, at)| at);
            if window_end < new_window_start
                || !new_text.is_char_boundary(window_end)
                || (window_end > 0
                    && window_end < new.len()
                    && new.get(window_end - 1) != Some(&b'\n'))
                || !first_code_line_is_flush(new_text.get(new_window_start..window_end)?)
            {
                return None;
            }
            // A window of comments and blank lines (lines added above the first statement)
            // holds no statement: it is not parsed.
            let window = new_window_start..window_end;
            pieces.push(if holds_no_code(&new_text[window.clone()]) {
                Piece::Comments(window)
            } else {
                Piece::Window(window)
            });
            match anchor {
                Some((j, at)) => {
                    k = j;
                    old_at = statements[j].span.start;
                    new_at = at;
                }
                None => {
                    pieces.push(Piece::Keep(keep_after_from..statements.len(), total_delta));
                    break;
                }
            }
        }

        // Lines of the new text are counted only where it differs: a kept statement's new line
        // is its old line moved by the newlines the windows before it added or removed.
        let mut cursor = NewLines::default();
        let mut windows = Vec::new();
        let mut line_deltas = Vec::with_capacity(pieces.len());
        for piece in &pieces {
            match piece {
                Piece::Keep(range, delta) => {
                    let (Some(first), after) =
                        (statements[range.clone()].first(), statements.get(range.end))
                    else {
                        line_deltas.push(0);
                        continue;
                    };
                    let start_line =
                        cursor.line_at(new, first.span.start.checked_add_signed(*delta)?)?;
                    let line_delta = start_line as isize - first.span.start_line as isize;
                    line_deltas.push(line_delta);
                    if let Some(after) = after {
                        cursor = NewLines {
                            offset: after.span.start.checked_add_signed(*delta)?,
                            line: after.span.start_line.checked_add_signed(line_delta)?,
                        };
                    }
                }
                Piece::Window(range) | Piece::Comments(range) => {
                    let first_line = cursor.line_at(new, range.start)?;
                    let lines = LineIndex::of_window(new_text, range.clone(), first_line);
                    cursor = NewLines {
                        offset: range.end,
                        line: first_line + lines.newlines(),
                    };
                    if let Piece::Window(range) = piece {
                        windows.push((range.clone(), lines));
                    }
                    line_deltas.push(0);
                }
            }
        }
        let parsed_bytes = windows.iter().map(|(range, _)| range.len()).sum();
        let kept: Vec<Vec<Statement>> = pieces
            .iter()
            .zip(&line_deltas)
            .filter_map(|(piece, &line_delta)| match piece {
                Piece::Keep(range, delta) => {
                    Some(moved(&statements[range.clone()], *delta, line_delta))
                }
                _ => None,
            })
            .collect();
        let mut parsed = windows
            .into_iter()
            .map(|(range, lines)| {
                let ctx = SourceContext {
                    path,
                    version: Version::New,
                    text: new_text,
                    lines: &lines,
                };
                crate::stack::with_stack_for(path, range.len(), || parse_region(ctx, range))
            })
            .collect::<Result<Vec<_>, _>>()
            .ok()?
            .into_iter();
        let mut kept = kept.into_iter();

        let mut out = Vec::with_capacity(statements.len() + 8);
        for piece in pieces {
            match piece {
                Piece::Keep(..) => out.extend(kept.next()?),
                Piece::Comments(_) => {}
                Piece::Window(_) => out.extend(parsed.next()?),
            }
        }
        out.shrink_to_fit();
        Some((out, parsed_bytes))
    }

    /// Whether an edit starting at byte `old_diff` leaves the statement `i` before it as it is,
    /// so it need not be parsed again: the edit starts at or after the end of the statement's
    /// text (its trailing comments and blank lines included), on a line of its own, and the
    /// new text there does not continue the statement (an indented line would join its body;
    /// `else`, `elif`, `except`, `finally` would join its clauses). The old text parsed, so the
    /// statement's logical lines all ended within its text.
    fn edit_cannot_extend(&self, i: usize, old_diff: usize, new_text: &str, delta: isize) -> bool {
        let statements = self.statements;
        let end = statements
            .get(i + 1)
            .map_or(self.text.len(), |s| s.span.start);
        if end > old_diff || end == 0 || self.text.as_bytes().get(end - 1) != Some(&b'\n') {
            return false;
        }
        let Some(after) = end
            .checked_add_signed(delta)
            .and_then(|at| new_text.get(at..))
        else {
            return false;
        };
        first_code_line(after).is_none_or(|line| {
            is_flush(line)
                && !["else", "elif", "except", "finally"].iter().any(|word| {
                    line.strip_prefix(word).is_some_and(|rest| {
                        !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    })
                })
        })
    }

    /// The first of the old statements `candidates` that starts at or after the edit's first
    /// changed byte `old_diff` (text inserted just before a statement leaves it whole) and whose
    /// exact text (up to the next statement) is found again at the
    /// start of a line within `new_range` of the new text: `(its index, where it now starts)`.
    /// Gives up after a few statements not found (each costs a search of the range) and when
    /// the searches of this re-parse have read `budget` bytes, so a re-parse stays linear.
    fn anchor(
        &self,
        candidates: std::ops::Range<usize>,
        old_diff: usize,
        new_text: &str,
        new_range: std::ops::Range<usize>,
        budget: &mut usize,
    ) -> Option<(usize, usize)> {
        let statements = self.statements;
        let haystack = new_text.get(new_range.clone())?;
        let mut misses = 0;
        for j in candidates {
            let start = statements[j].span.start;
            if start < old_diff || !self.starts_line(start) {
                continue;
            }
            let end = statements
                .get(j + 1)
                .map_or(self.text.len(), |s| s.span.start);
            let unit = self.text.get(start..end)?;
            *budget = budget.checked_sub(haystack.len())?;
            match find_at_line_start(
                haystack,
                unit,
                new_range.start == 0 || new_text.as_bytes()[new_range.start - 1] == b'\n',
            ) {
                Some(at) => return Some((j, new_range.start + at)),
                None if misses + 1 >= ANCHOR_MISSES => return None,
                None => misses += 1,
            }
        }
        None
    }

    /// 1-based line of byte `offset` of the text: counted from the start of the last
    /// top-level statement starting at or before it, whose line is known.
    fn line_of(&self, offset: usize) -> usize {
        let statements = self.statements;
        let known = statements.partition_point(|s| s.span.start <= offset);
        let (from, line) = match known.checked_sub(1).and_then(|i| statements.get(i)) {
            Some(s) => (s.span.start, s.span.start_line),
            None => (0, 1),
        };
        let between = self.text.as_bytes().get(from..offset).unwrap_or_default();
        line + between.iter().filter(|&&b| b == b'\n').count()
    }

    fn starts_line(&self, offset: usize) -> bool {
        starts_line(self.text, offset)
    }
}

/// Whether byte `offset` of `text` starts a line.
pub(super) fn starts_line(text: &str, offset: usize) -> bool {
    offset == 0 || text.as_bytes().get(offset - 1) == Some(&b'\n')
}

/// A stretch of the new text in an incremental re-parse.
enum Piece {
    /// Old statements kept, moved by the byte delta.
    Keep(std::ops::Range<usize>, isize),
    /// Bytes of the new text parsed again.
    Window(std::ops::Range<usize>),
    /// Bytes of the new text that hold only comments and blank lines: nothing to parse.
    Comments(std::ops::Range<usize>),
}

/// Bytes the anchor searches of one re-parse may read, per byte of the new text (plus a
/// constant for small files): beyond it the rest of the edit is one window.
const ANCHOR_SEARCH_FACTOR: usize = 4;
const ANCHOR_SEARCH_SLACK: usize = 64 * 1024;
/// Old statements after an edit that may be looked for in vain before the edit's window runs
/// to the common suffix (statements edited one after another are one window anyway).
const ANCHOR_MISSES: usize = 8;

/// A position of the new text whose line is known, from which lines further on are counted.
struct NewLines {
    /// Byte offset in the new text.
    offset: usize,
    /// 1-based line of the byte at `offset`.
    line: usize,
}

impl Default for NewLines {
    fn default() -> Self {
        NewLines { offset: 0, line: 1 }
    }
}

impl NewLines {
    /// 1-based line of byte `offset` of `new`, at or after this position (the pieces of a
    /// re-parse follow one another: the bytes counted are the few between them); `None` before.
    fn line_at(&mut self, new: &[u8], offset: usize) -> Option<usize> {
        let between = new.get(self.offset..offset)?;
        let line = self.line + between.iter().filter(|&&b| b == b'\n').count();
        *self = NewLines { offset, line };
        Some(line)
    }
}

/// `statements`, unchanged text moved by `delta` bytes and `line_delta` lines in the new text.
fn moved(statements: &[Statement], delta: isize, line_delta: isize) -> Vec<Statement> {
    // Each copy increments its shared kind's count, an atomic operation the CPU performs one at
    // a time, and the counts lie far apart in memory: read them all first with plain loads,
    // which it overlaps, so the increments find them in the cache (a third of planning a
    // one-line edit of a large module otherwise, once a garbage collection emptied the cache).
    let warm: usize = statements.iter().map(Statement::kind_count).sum();
    std::hint::black_box(warm);
    statements
        .iter()
        .map(|stmt| {
            let mut moved = stmt.clone();
            if delta != 0 || line_delta != 0 {
                moved.shift(delta, line_delta);
            }
            moved
        })
        .collect()
}

/// The start of the line holding byte `offset`.
fn line_start(text: &[u8], offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Where `needle` first occurs in `haystack` at the start of a line (`starts_line`: whether
/// `haystack` itself starts one).
fn find_at_line_start(haystack: &str, needle: &str, starts_line: bool) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = haystack.get(from..)?.find(needle) {
        let at = from + found;
        if (at == 0 && starts_line) || (at > 0 && haystack.as_bytes()[at - 1] == b'\n') {
            return Some(at);
        }
        from = at + 1;
        while !haystack.is_char_boundary(from) {
            from += 1;
        }
    }
    None
}

/// The first line of `text` holding code (not blank, not only a comment).
fn first_code_line(text: &str) -> Option<&str> {
    text.split_inclusive('\n').find(|line| {
        let trimmed = line.trim_start_matches([' ', '\t', '\x0c']);
        !(trimmed.is_empty() || trimmed.starts_with(['#', '\n', '\r']))
    })
}

/// Whether `line` starts in column 0.
fn is_flush(line: &str) -> bool {
    !line.starts_with([' ', '\t', '\x0c'])
}

/// Whether the first line holding code starts in column 0: the window is then lexed from the same
/// state (no open block) as inside the whole file.
fn first_code_line_is_flush(window: &str) -> bool {
    first_code_line(window).is_none_or(is_flush)
}

/// Whether every line of `window` is empty or a comment starting in column 0 (the parser may
/// refuse an indented one, `"  \t# x"`, so such a window is parsed). A `\r` not followed by `\n`
/// ends a line for Python (code could follow it on what looks like a comment line here), so a
/// window holding one is parsed too.
fn holds_no_code(window: &str) -> bool {
    let bytes = window.as_bytes();
    let lone_cr = bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
    !lone_cr
        && window
            .split('\n')
            .all(|line| line.is_empty() || line == "\r" || line.starts_with('#'))
}

/// Length of the common prefix, comparing blocks with `memcmp` before single bytes.
pub(super) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let max = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= max && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    while i < max && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Length of the common suffix, comparing blocks with `memcmp` before single bytes.
fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let max = a.len().min(b.len());
    let (mut n, la, lb) = (0, a.len(), b.len());
    while n + BLOCK <= max && a[la - n - BLOCK..la - n] == b[lb - n - BLOCK..lb - n] {
        n += BLOCK;
    }
    while n < max && a[la - n - 1] == b[lb - n - 1] {
        n += 1;
    }
    n
}
