//! A module's source kept with its parsed tree, so the next version can be planned by re-parsing
//! only the top-level statements an edit touched (with a full parse whenever that would not be
//! provably the same).

use std::sync::Arc;

use crate::error::{PlanError, Version};
use crate::heap::HeapSize;
use crate::kept_text::KeptText;
use crate::source::{LineIndex, LineStart, SharedText};
use crate::syntax::{parse_region, SourceContext};
use crate::tree::{ModuleTree, Statement};

mod incremental;

use incremental::{common_prefix, starts_line, Old};

/// Source text and its tree: what the planner keeps between refreshes. The text is shared (the
/// registry records the same text), packed while the module is not edited (see
/// [`crate::KeptText`]), and no line index is kept: a re-parse builds the new text's own, and
/// finds lines of the old text from its statements' spans.
#[derive(Debug, Clone)]
pub struct ParsedModule {
    path: String,
    text: KeptText,
    tree: ModuleTree,
}

impl PartialEq for ParsedModule {
    fn eq(&self, other: &ParsedModule) -> bool {
        self.path == other.path
            && self.tree == other.tree
            && (self.text.same_allocation(&other.text)
                || self.text.text(&self.path).ok() == other.text.text(&other.path).ok())
    }
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
        ParsedModule::parse_shared(path, Arc::new(text), version)
    }

    /// Parse a whole source text that the caller keeps too (it is shared, not copied).
    pub fn parse_shared(
        path: &str,
        text: SharedText,
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
            text: KeptText::Plain(text),
        })
    }

    /// Its parts: path, text and tree (see [`crate::FrozenModule`]).
    pub(crate) fn into_parts(self) -> (String, KeptText, ModuleTree) {
        (self.path, self.text, self.tree)
    }

    /// A module of these parts: `tree` must be the tree of `text`.
    pub(crate) fn from_parts(path: String, text: KeptText, mut tree: ModuleTree) -> ParsedModule {
        crate::tree::shrink_all(&mut tree.statements);
        ParsedModule { path, text, tree }
    }

    /// The source text, as kept (plain or packed).
    pub fn kept_text(&self) -> &KeptText {
        &self.text
    }

    /// Keep the text packed (see [`crate::KeptText`]); returns the packed text, to be shared
    /// with whoever else keeps it.
    pub fn pack(&mut self) -> KeptText {
        self.text = self.text.packed();
        self.text.clone()
    }

    /// The tree.
    pub fn tree(&self) -> &ModuleTree {
        &self.tree
    }

    /// The path it was parsed for.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Where lines its top-level statements start on begin: what [`crate::line_ranges`] starts
    /// counting from instead of the top of the text.
    /// (Empty for a packed text: lines are then counted from its top.)
    pub fn line_starts(&self) -> Vec<LineStart> {
        let Some(text) = self.text.plain() else {
            return Vec::new();
        };
        self.tree
            .statements
            .iter()
            .filter(|s| starts_line(text, s.span.start))
            .map(|s| LineStart {
                line: s.span.start_line,
                byte: s.span.start,
            })
            .collect()
    }

    /// Drop it, reading its statements' shared counts first with plain loads: the CPU overlaps
    /// those cache misses, while the drop's atomic decrements it performs one at a time. (Freed
    /// on another thread instead, a sweep of many modules got slower: that thread's frees
    /// contend with the refresh's allocations.)
    pub fn free(self) {
        let warm: usize = self.tree.statements.iter().map(Statement::kind_count).sum();
        std::hint::black_box(warm);
        drop(self);
    }

    /// Heap bytes its tree keeps (the text is shared with whoever handed it over), for the
    /// memory benchmark.
    pub fn tree_heap_bytes(&self) -> usize {
        self.tree.heap_bytes()
    }

    /// Parse `new_text`, a later version of this module, re-using every top-level statement the
    /// edit did not touch. The result equals [`ParsedModule::parse`] of `new_text`.
    pub fn reparse(&self, new_text: String) -> Result<(ParsedModule, ReparseKind), PlanError> {
        self.reparse_shared(Arc::new(new_text))
    }

    /// [`ParsedModule::reparse`] of a text the caller keeps too (it is shared, not copied).
    pub fn reparse_shared(
        &self,
        new_text: SharedText,
    ) -> Result<(ParsedModule, ReparseKind), PlanError> {
        // A packed text is unpacked for this comparison only.
        let old_text = self.text.text(&self.path)?;
        let old = Old {
            text: &old_text,
            statements: &self.tree.statements,
        };
        // Found once: the identity check and the first edit's start are the same comparison.
        let same = common_prefix(old.text.as_bytes(), new_text.as_bytes());
        if same == old.text.len() && same == new_text.len() {
            return Ok((
                ParsedModule {
                    path: self.path.clone(),
                    text: KeptText::Plain(new_text),
                    tree: self.tree.clone(),
                },
                ReparseKind::Identical,
            ));
        }
        match old.incremental(&self.path, &new_text, same) {
            Some((statements, parsed_bytes)) => Ok((
                ParsedModule {
                    path: self.path.clone(),
                    tree: ModuleTree { statements },
                    text: KeptText::Plain(new_text),
                },
                ReparseKind::Incremental { parsed_bytes },
            )),
            None => Ok((
                ParsedModule::parse_shared(&self.path, new_text, Version::New)?,
                ReparseKind::Full,
            )),
        }
    }
}
