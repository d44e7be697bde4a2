//! Errors of the planning core: every one names the file, and where it has one the 1-based line and
//! character column, so a user can jump straight to the cause.

use serde::Serialize;
use thiserror::Error;

/// Which of the two versions of a module an error was found in: the user needs to know whether the
/// file on disk (new) or the text the program was loaded from (old) is at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Version {
    /// The source the running program was loaded from.
    Old,
    /// The source on disk now.
    New,
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Version::Old => "old",
            Version::New => "new",
        })
    }
}

/// Why a module could not be planned. Planning refuses rather than guesses: a wrong plan would
/// mutate live objects wrongly, which is worse than no refresh.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// The source is not valid Python.
    #[error("{path}:{line}:{col}: syntax error in {version} source: {message}")]
    Syntax {
        /// File the source came from.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, counted in characters.
        col: usize,
        /// Which version holds the error.
        version: Version,
        /// What the parser said.
        message: String,
    },
    /// Valid Python (3.12 or later) that the parser limeade uses cannot read.
    #[error("{path}:{line}:{col}: {version} source uses {construct}, which limeade's parser does not support yet")]
    Unsupported {
        /// File the source came from.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, counted in characters.
        col: usize,
        /// Which version holds the construct.
        version: Version,
        /// The construct, named the way the Python docs name it.
        construct: String,
    },
    /// The bytes are not text in the file's declared encoding.
    #[error("{path}:{line}:{col}: {version} source cannot be decoded as {encoding}: {message}")]
    Decode {
        /// File the source came from.
        path: String,
        /// 1-based line of the first bad byte.
        line: usize,
        /// 1-based column (characters) of the first bad byte.
        col: usize,
        /// Which version could not be decoded.
        version: Version,
        /// The encoding that was tried.
        encoding: String,
        /// Details.
        message: String,
    },
    /// Nesting deeper than limeade walks safely; CPython itself refuses far less (200 brackets,
    /// 100 indentation levels), so real code never gets here.
    #[error("{path}:{line}:{col}: {version} source nests too deeply ({depth} levels; the limit is {limit})")]
    TooDeep {
        /// File the source came from.
        path: String,
        /// 1-based line where the limit was passed.
        line: usize,
        /// 1-based column (characters) where the limit was passed.
        col: usize,
        /// Which version nests too deeply.
        version: Version,
        /// Depth reached.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// A bug in limeade, reported instead of crashing the user's program.
    #[error("{path}: internal planner error: {message}")]
    Internal {
        /// File being planned.
        path: String,
        /// Details.
        message: String,
    },
}

impl PlanError {
    /// The file the error is about.
    pub fn path(&self) -> &str {
        match self {
            PlanError::Syntax { path, .. }
            | PlanError::Unsupported { path, .. }
            | PlanError::Decode { path, .. }
            | PlanError::TooDeep { path, .. }
            | PlanError::Internal { path, .. } => path,
        }
    }

    /// What kind of error it is, as one word the live side can act on without reading the
    /// message: `syntax`, `unsupported`, `decode`, `too_deep` or `internal`.
    pub fn kind(&self) -> &'static str {
        match self {
            PlanError::Syntax { .. } => "syntax",
            PlanError::Unsupported { .. } => "unsupported",
            PlanError::Decode { .. } => "decode",
            PlanError::TooDeep { .. } => "too_deep",
            PlanError::Internal { .. } => "internal",
        }
    }

    /// Line and column (1-based, characters), when the error has a position.
    pub fn location(&self) -> Option<(usize, usize)> {
        match self {
            PlanError::Syntax { line, col, .. }
            | PlanError::Unsupported { line, col, .. }
            | PlanError::Decode { line, col, .. }
            | PlanError::TooDeep { line, col, .. } => Some((*line, *col)),
            PlanError::Internal { .. } => None,
        }
    }
}
