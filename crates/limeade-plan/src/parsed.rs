//! A module's source kept with its parsed tree, so the next version can be planned by re-parsing
//! only the top-level statements an edit touched (with a full parse whenever that would not be
//! provably the same).

use std::sync::Arc;

use crate::error::{PlanError, Version};
use crate::heap::HeapSize;
use crate::source::LineIndex;
use crate::syntax::{parse_region, SourceContext};
use crate::tree::{ModuleTree, Statement};

/// Source text and its tree: what the planner keeps between refreshes. The text is shared (the
/// registry records the same text), and no line index is kept: a re-parse builds the new text's
/// own, and finds lines of the old text from its statements' spans.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedModule {
    path: String,
    text: Arc<str>,
    tree: ModuleTree,
}

/// How a [`ParsedModule::reparse`] was done, for benchmarks and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReparseKind {
    /// The text was identical: the tree was reused.
    Identical,
    /// Only the edited window of top-level statements was parsed.
    Incremental {
        /// Bytes parsed.
        parsed_bytes: usize,
    },
    /// The whole text was parsed.
    Full,
}

impl ParsedModule {
    /// Parse a whole source text.
    pub fn parse(path: &str, text: String, version: Version) -> Result<ParsedModule, PlanError> {
        ParsedModule::parse_shared(path, Arc::from(text), version)
    }

    /// Parse a whole source text that the caller keeps too (it is shared, not copied).
    pub fn parse_shared(
        path: &str,
        text: Arc<str>,
        version: Version,
    ) -> Result<ParsedModule, PlanError> {
        let lines = LineIndex::new(&text);
        let ctx = SourceContext {
            path,
            version,
            text: &text,
            lines: &lines,
        };
        let statements = crate::stack::with_big_stack(path, || parse_region(ctx, 0..text.len()))?;
        Ok(ParsedModule {
            path: path.to_owned(),
            tree: ModuleTree { statements },
            text,
        })
    }

    /// The source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The source text, shared.
    pub fn shared_text(&self) -> &Arc<str> {
        &self.text
    }

    /// The tree.
    pub fn tree(&self) -> &ModuleTree {
        &self.tree
    }

    /// The path it was parsed for.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Heap bytes its tree keeps (the text is shared with whoever handed it over), for the
    /// memory benchmark.
    pub fn tree_heap_bytes(&self) -> usize {
        self.tree.heap_bytes()
    }

    /// Parse `new_text`, a later version of this module, re-using every top-level statement the
    /// edit did not touch. The result equals [`ParsedModule::parse`] of `new_text`.
    pub fn reparse(&self, new_text: String) -> Result<(ParsedModule, ReparseKind), PlanError> {
        self.reparse_shared(Arc::from(new_text))
    }

    /// [`ParsedModule::reparse`] of a text the caller keeps too (it is shared, not copied).
    pub fn reparse_shared(
        &self,
        new_text: Arc<str>,
    ) -> Result<(ParsedModule, ReparseKind), PlanError> {
        if new_text == self.text {
            return Ok((
                ParsedModule {
                    path: self.path.clone(),
                    text: new_text,
                    tree: self.tree.clone(),
                },
                ReparseKind::Identical,
            ));
        }
        match self.incremental(&new_text) {
            Some((statements, parsed_bytes)) => Ok((
                ParsedModule {
                    path: self.path.clone(),
                    tree: ModuleTree { statements },
                    text: new_text,
                },
                ReparseKind::Incremental { parsed_bytes },
            )),
            None => Ok((
                ParsedModule::parse_shared(&self.path, new_text, Version::New)?,
                ReparseKind::Full,
            )),
        }
    }

    /// The statements of `new_text` built from this tree plus a parse of the edited window, or
    /// `None` when the window cannot be proven to parse the same on its own.
    fn incremental(&self, new_text: &Arc<str>) -> Option<(Vec<Statement>, usize)> {
        let old = self.text.as_bytes();
        let new = new_text.as_bytes();
        let prefix = common_prefix(old, new);
        let max_suffix = old.len().min(new.len()) - prefix;
        let suffix = common_suffix(&old[prefix..], &new[prefix..]).min(max_suffix);
        let old_changed_end = old.len() - suffix;
        let statements = &self.tree.statements;
        let first_changed_line = self.line_of(prefix);

        // Statements wholly before the edit's first line, minus one: the statement just before an
        // edit may be extended by it (a line appended to a function body).
        let mut keep_before = statements
            .iter()
            .take_while(|s| s.span.end_line < first_changed_line)
            .count();
        keep_before = keep_before.saturating_sub(1);
        // Statements wholly inside the unchanged suffix, starting at column 0 on a line of their own.
        let keep_after_from = statements
            .iter()
            .position(|s| s.span.start >= old_changed_end && self.starts_line(s.span.start))
            .unwrap_or(statements.len())
            .max(keep_before);

        // From the file's start when no statement is kept before the edit: comments or blank
        // lines above the first statement (a licence header) belong to the window.
        let window_start = match keep_before {
            0 => 0,
            k => statements.get(k).map_or(0, |s| s.span.start),
        };
        if window_start > prefix || !self.starts_line(window_start) {
            return None;
        }
        let delta = new.len() as isize - old.len() as isize;
        let window_end = statements
            .get(keep_after_from)
            .map_or(new.len(), |s| s.span.start.saturating_add_signed(delta));
        if window_end < window_start
            || !new_text.is_char_boundary(window_end)
            || (window_end < new.len() && new.get(window_end.wrapping_sub(1)) != Some(&b'\n'))
            || !first_code_line_is_flush(&new_text[window_start..window_end])
        {
            return None;
        }
        let new_lines = LineIndex::new(new_text);
        let line_delta = statements.get(keep_after_from).map(|first_after| {
            let new_start = first_after.span.start.saturating_add_signed(delta);
            new_lines.line(new_start) as isize - first_after.span.start_line as isize
        });
        // A window of comments and blank lines (lines added above the first statement) holds
        // no statement: it is not parsed.
        let window = if holds_no_code(&new_text[window_start..window_end]) {
            Vec::new()
        } else {
            let (path, text) = (self.path.clone(), Arc::clone(new_text));
            crate::stack::on_kept_thread(&self.path, move || {
                let ctx = SourceContext {
                    path: &path,
                    version: Version::New,
                    text: &text,
                    lines: &new_lines,
                };
                parse_region(ctx, window_start..window_end)
            })
            .ok()?
        };

        let mut out = Vec::with_capacity(statements.len() + window.len());
        out.extend_from_slice(&statements[..keep_before]);
        out.extend(window);
        if let Some(line_delta) = line_delta {
            for stmt in &statements[keep_after_from..] {
                let mut moved = stmt.clone();
                moved.shift(delta, line_delta);
                out.push(moved);
            }
        }
        out.shrink_to_fit();
        Some((out, window_end - window_start))
    }

    /// 1-based line of byte `offset` of the text: counted from the start of the last
    /// top-level statement starting at or before it, whose line is known.
    fn line_of(&self, offset: usize) -> usize {
        let statements = &self.tree.statements;
        let known = statements.partition_point(|s| s.span.start <= offset);
        let (from, line) = match known.checked_sub(1).and_then(|i| statements.get(i)) {
            Some(s) => (s.span.start, s.span.start_line),
            None => (0, 1),
        };
        let between = self.text.as_bytes().get(from..offset).unwrap_or_default();
        line + between.iter().filter(|&&b| b == b'\n').count()
    }

    fn starts_line(&self, offset: usize) -> bool {
        offset == 0 || self.text.as_bytes().get(offset - 1) == Some(&b'\n')
    }
}

/// Whether the first line holding code starts in column 0: the window is then lexed from the same
/// state (no open block) as inside the whole file.
fn first_code_line_is_flush(window: &str) -> bool {
    for line in window.split_inclusive('\n') {
        let trimmed = line.trim_start_matches([' ', '\t', '\x0c']);
        if trimmed.is_empty() || trimmed.starts_with(['#', '\n', '\r']) {
            continue;
        }
        return trimmed.len() == line.len();
    }
    true
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
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
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
