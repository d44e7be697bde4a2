//! The plan: plain, serialisable data saying what a refresh would change. **A plan is data**: the
//! live side reads it and never re-derives a decision the plan already made.

use serde::Serialize;

pub use crate::tree::{DefaultExpr, Span};

/// What a refresh of a batch of modules would do, and in which order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// One plan per module, in apply order.
    pub modules: Vec<ModulePlan>,
    /// The batch's import graph and the order derived from it.
    pub order: ApplyOrder,
}

/// In which order modules must be applied: dependencies before dependents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ApplyOrder {
    /// Groups in apply order; a group of several modules is an import cycle.
    pub groups: Vec<Vec<String>>,
    /// The groups that are cycles, reported separately because their inner order is a choice.
    pub cycles: Vec<Vec<String>>,
    /// Import edges among the batch's modules.
    pub edges: Vec<ImportEdge>,
}

impl ApplyOrder {
    /// Module names in apply order.
    pub fn modules(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().flatten().map(String::as_str)
    }
}

/// `importer` imports `imported`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct ImportEdge {
    /// The module whose source holds the import.
    pub importer: String,
    /// The module it imports.
    pub imported: String,
    /// Only imports inside function bodies: they run later and do not order the batch.
    pub weak: bool,
}

/// What changed in one module.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModulePlan {
    /// Dotted module name.
    pub module: String,
    /// Path of its source file.
    pub path: String,
    /// Whether it is a package's `__init__`.
    pub is_package: bool,
    /// What has to run for the refresh.
    pub execution: Execution,
    /// The definitions of either version, matched by qualified name, in new source order
    /// followed by removed ones: every changed, added and removed one, and the unchanged ones
    /// among the top-level statements between the first and last that differ (the statements
    /// before and after them are the same code on the same lines, and are not listed).
    pub definitions: Vec<DefinitionChange>,
    /// Non-definition statements of the module and of class bodies, compared one by one.
    pub statements: Vec<StatementChange>,
    /// Changes that cannot be applied by mutating the live object in place.
    pub conflicts: Vec<Conflict>,
    /// Top-level names the old source bound and the new one no longer binds.
    pub unbound_names: Vec<String>,
    /// Removed and added definitions whose code is identical but for the name.
    pub renames: Vec<RenameCandidate>,
    /// `from m import X` bindings in the new source (`X` is `*` for a star import), so the
    /// live side can refresh copies.
    pub bindings: Vec<ImportBinding>,
    /// What `from module import *` gives in the new source.
    pub star_exports: StarExports,
    /// Functions whose defaults are unchanged but read a module-level name that changed or added
    /// statements rebind: the live side evaluates those defaults again.
    pub stale_defaults: Vec<DefaultReader>,
}

/// The names a star import of a module gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum StarExports {
    /// No `__all__`: every module-level name not starting with `_`.
    Public,
    /// `__all__` is a literal list or tuple of strings.
    Listed {
        /// The names, in order.
        names: Vec<String>,
    },
    /// `__all__` is computed (or bound more than once): known only by running the module.
    Computed,
}

/// A function whose default expressions read given names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefaultReader {
    /// Qualified name (`connect`, `Client.get`).
    pub qualname: String,
    /// First line, decorators included (CPython's `co_firstlineno`): finds the live function.
    pub first_line: usize,
    /// Line of the `def` keyword.
    pub def_line: usize,
    /// The default expressions that read the names, in source order.
    pub defaults: Vec<DefaultExpr>,
}

impl ModulePlan {
    /// Whether anything at all changed (moved lines included).
    pub fn has_changes(&self) -> bool {
        self.execution != Execution::Nothing
    }
}

/// What the live side must run for a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Execution {
    /// Nothing changed.
    Nothing,
    /// Only definitions changed: update them in place and run no module-level statement.
    DefinitionsOnly,
    /// Run the changed and added module-level statements (and update definitions).
    Statements,
    /// Re-execute the whole module body (a `from __future__` import changed how all of it
    /// compiles).
    FullBody,
}

impl Execution {
    /// Every execution mode, for vocabularies handed to other layers.
    pub const ALL: [Execution; 4] = [
        Execution::Nothing,
        Execution::DefinitionsOnly,
        Execution::Statements,
        Execution::FullBody,
    ];
}

impl std::fmt::Display for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Execution::Nothing => "nothing changed",
            Execution::DefinitionsOnly => "update definitions only",
            Execution::Statements => "run changed statements",
            Execution::FullBody => "re-execute module body",
        })
    }
}

/// Kind of definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefinitionKind {
    /// `def`.
    Function,
    /// `async def`.
    AsyncFunction,
    /// `class`.
    Class,
}

/// How a definition fares between the versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefinitionStatus {
    /// Same code on the same lines.
    Unchanged,
    /// Present in both, something differs (see the aspects).
    Changed,
    /// Only in the new source.
    Added,
    /// Only in the old source.
    Removed,
}

/// One thing that differs about a definition present in both versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// The statements of the body.
    Body,
    /// Parameter names or kinds.
    Signature,
    /// Positional parameter defaults.
    Defaults,
    /// Keyword-only parameter defaults.
    KwDefaults,
    /// Decorator expressions.
    Decorators,
    /// The docstring.
    Docstring,
    /// Parameter or return annotations.
    Annotations,
    /// `def` became `async def` or back.
    Async,
    /// Class bases, metaclass, keywords or slots (details in the conflicts).
    Header,
    /// Same code on other lines: only line numbers (tracebacks, `inspect`) need updating.
    Moved,
}

impl Aspect {
    /// Every aspect, for vocabularies handed to other layers.
    pub const ALL: [Aspect; 10] = [
        Aspect::Body,
        Aspect::Signature,
        Aspect::Defaults,
        Aspect::KwDefaults,
        Aspect::Decorators,
        Aspect::Docstring,
        Aspect::Annotations,
        Aspect::Async,
        Aspect::Header,
        Aspect::Moved,
    ];

    /// The word shown in plan text.
    pub fn label(self) -> &'static str {
        match self {
            Aspect::Body => "body",
            Aspect::Signature => "signature",
            Aspect::Defaults => "defaults",
            Aspect::KwDefaults => "kw-only defaults",
            Aspect::Decorators => "decorators",
            Aspect::Docstring => "docstring",
            Aspect::Annotations => "annotations",
            Aspect::Async => "async",
            Aspect::Header => "header",
            Aspect::Moved => "moved",
        }
    }
}

/// What the live side does with a definition, as far as the source tells. The live side may
/// still run a class statement again when the live class cannot take the change (a conflict,
/// a generated class): that needs the live objects, so it is decided there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefinitionAction {
    /// Unchanged: nothing to do.
    Keep,
    /// Give the live object its new code (and defaults, docstring, line numbers).
    Update,
    /// Only moved: the same code on other lines (a function's every line by the same amount,
    /// `line_shift`; a class's first line). The live object gets its new line numbers; nothing
    /// is compiled and nothing runs.
    Move,
    /// Run the definition again in full (added, or its decorators changed) and bind the result.
    Run,
    /// Give the live function its new name (`renamed_from` says which).
    Rename,
    /// The name goes.
    Remove,
}

/// One definition matched across versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefinitionChange {
    /// Qualified name as CPython spells `__qualname__` (`C.m`, `f.<locals>.g`).
    pub qualname: String,
    /// How changes, reports and outcomes name it: the qualname, with `#2`, `#3`, ... for
    /// repeated definitions of the same name (`C.x#2` for a property's setter).
    pub name: String,
    /// The scope whose namespace binds it: `""` at module level, the enclosing class's
    /// qualname for a class member; for a definition inside a function body (`in_function`),
    /// the enclosing function's qualname.
    pub scope: String,
    /// Its own name: the last part of the qualname (`m` of `C.m`).
    pub leaf: String,
    /// Defined inside a function body, directly or in a class the function makes
    /// (`f.<locals>.g`, `f.<locals>.C.m`): only what the function made holds it (closures,
    /// classes it returned). Sent only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub in_function: bool,
    /// What the live side does with it, as far as the source tells.
    pub action: DefinitionAction,
    /// For [`DefinitionAction::Rename`], the qualname of the removed definition it renames
    /// (same code, same scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// 0 for the first definition of this qualname in its scope, 1 for the second (a property
    /// setter, a redefinition), and so on: the pair (qualname, occurrence) is the match key.
    pub occurrence: usize,
    /// Kind in the new version (old for removed ones).
    pub kind: DefinitionKind,
    /// Unchanged / changed / added / removed.
    pub status: DefinitionStatus,
    /// What differs, for changed ones.
    pub aspects: Vec<Aspect>,
    /// Where it was (decorators included; `start_line` is CPython's `co_firstlineno`).
    pub old_span: Option<Span>,
    /// Where it is now.
    pub new_span: Option<Span>,
    /// Line of the `def` / `class` keyword in the new version (old for removed ones): where the
    /// definition starts without its decorators.
    pub def_line: Option<usize>,
    /// For a function that only moved, every line of it by the same number of lines (same
    /// code, same layout): the live side shifts its code's line numbers without compiling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_shift: Option<i64>,
    /// A generic class's PEP 695 type parameters (`[T]`), in the new version: its members
    /// are compiled inside that scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_params: Option<String>,
    /// A class in the new version whose body starts on its header line (`class C: x = 1`):
    /// none of its members can be compiled from their own lines, so a change inside it runs
    /// the whole class statement again.
    pub body_on_header_line: bool,
    /// For a class whose docstring changed: the new docstring as its literal gives it (escapes
    /// decoded, implicit concatenation joined, *not* dedented: CPython 3.13+ dedents when it
    /// compiles, and the live side applies the running interpreter's rule); `None` when the
    /// docstring was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docstring: Option<String>,
    /// For an added function: running its `def` evaluates no expression of the program (no
    /// decorator, default value or annotation), so adding it runs no code of the program.
    /// Sent only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub evaluates_nothing: bool,
}

impl DefinitionChange {
    /// `qualname`, with `#2`, `#3`, ... for repeated definitions of the same name.
    pub fn display_name(qualname: &str, occurrence: usize) -> String {
        if occurrence == 0 {
            qualname.to_owned()
        } else {
            format!("{qualname}#{}", occurrence + 1)
        }
    }
}

/// How a non-definition statement fares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementStatus {
    /// Same code (possibly on other lines): not run again.
    Unchanged,
    /// Replaced by a different statement binding the same names: run the new one.
    Changed,
    /// Only in the new source: run it.
    Added,
    /// Only in the old source: its names are unbound, its effects cannot be undone.
    Removed,
}

/// One non-definition statement matched across versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatementChange {
    /// `""` for module level, else the qualified name of the class whose body holds it.
    pub scope: String,
    /// In the body of a class a function makes (`f.<locals>.C`): no live class is that scope
    /// (each call of the function makes its own). Sent only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub in_function: bool,
    /// How changes and reports name it: the names it binds (`C.x, C.y`), or its label for
    /// one binding none (`<if>`).
    pub name: String,
    /// Unchanged / changed / added / removed.
    pub status: StatementStatus,
    /// What kind of statement (`assignment`, `import`, `if`, ...).
    pub label: String,
    /// Names it binds (new version's, old for removed).
    pub binds: Vec<String>,
    /// The new version is a module-level `if __name__ == "__main__":` (any spelling): it
    /// starts the program, so a refresh never runs it again.
    pub main_guard: bool,
    /// The new version (old for a removed one) holds a `lambda` or a `def`: only such a
    /// statement makes functions whose line numbers need updating when it moves (the live side
    /// is sent only those among the moved ones, see `limeade-apply`'s actions).
    #[serde(skip)]
    pub makes_functions: bool,
    /// Where it was.
    pub old_span: Option<Span>,
    /// Where it is now.
    pub new_span: Option<Span>,
}

/// A change the live side cannot apply by mutating the existing object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The class concerned.
    pub qualname: String,
    /// 1-based line of the class in the new source.
    pub line: usize,
    /// What kind of conflict.
    pub kind: ConflictKind,
    /// One sentence a user can act on.
    pub reason: String,
}

/// Kinds of conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ConflictKind {
    /// The base class list changed.
    BasesChanged {
        /// Old bases, normalised text.
        old: Vec<String>,
        /// New bases.
        new: Vec<String>,
    },
    /// PEP 695 type parameters changed: the live class's `__type_params__` and the scope its
    /// members close over are fixed at creation.
    TypeParamsChanged {
        /// Old parameters (`[T]`), empty when there were none.
        old: String,
        /// New parameters.
        new: String,
    },
    /// The `metaclass=` keyword changed.
    MetaclassChanged {
        /// Old metaclass (`type` when none was given).
        old: String,
        /// New metaclass.
        new: String,
    },
    /// Other class keywords (arguments of `__init_subclass__`) changed.
    ClassKeywordsChanged {
        /// Old keywords.
        old: Vec<String>,
        /// New keywords.
        new: Vec<String>,
    },
    /// A literal `__slots__` changed: the instance layout differs.
    SlotsChanged {
        /// Slot names only in the new version.
        added: Vec<String>,
        /// Slot names only in the old version.
        removed: Vec<String>,
    },
    /// `__slots__` is computed and its inputs changed: the new layout is unknown until it runs.
    SlotsDynamic {
        /// The expression.
        expression: String,
    },
    /// Enum members changed value or were removed: members are instances created once, with the
    /// class (added members are applied in place).
    EnumMembersChanged {
        /// Members changed or removed.
        members: Vec<String>,
    },
}

/// A removed and an added definition with identical code but for the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenameCandidate {
    /// Old qualified name.
    pub old_qualname: String,
    /// New qualified name.
    pub new_qualname: String,
}

/// `from source_module import name as bound_as` in `importer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportBinding {
    /// Module doing the import.
    pub importer: String,
    /// Name bound in the importer.
    pub bound_as: String,
    /// Absolute name of the module imported from.
    pub source_module: String,
    /// Name looked up in it.
    pub name: String,
    /// 1-based line of the import.
    pub line: usize,
}
