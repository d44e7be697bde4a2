//! limeade-plan: the pure planning core of limeade. Given the source a module was loaded from and
//! the source on disk now, it says exactly what a refresh would change, what conflicts, and in
//! which order modules must be applied.
//!
//! **This crate never imports or runs Python and does no I/O beyond the strings it is handed.**

mod conflicts;
mod defaults;
mod definitions;
mod diff;
pub mod error;
mod frozen;
pub mod heap;
mod imports;
mod kept_text;
pub mod outcome;
mod parsed;
pub mod plan;
mod render;
pub mod source;
mod stack;
mod statements;
mod syntax;
mod thin;
pub mod tree;

pub use defaults::{default_readers, star_exports};
pub use diff::import_bindings;
pub use error::{PlanError, Version};
pub use frozen::FrozenModule;
pub use imports::{module_name_from_path, resolve_relative};
pub use kept_text::{KeptText, PackedText};
pub use outcome::Outcome;
pub use parsed::{ParsedModule, ReparseKind};
pub use plan::*;
pub use render::{
    module_changes, render_module, render_plan, render_plan_with, ChangeLine, OutcomeNotes,
};
pub use source::{decode_source, decode_source_owned, line_ranges, LineStart, SharedText};
pub use syntax::{MAX_DEPTH, MAX_INDENT};

/// What the planner needs to know about a module besides its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleMeta {
    /// Dotted module name (`pkg.sub.mod`).
    pub name: String,
    /// Path of the source file, used in messages.
    pub path: String,
    /// Whether the file is a package's `__init__.py` (relative imports resolve from it).
    pub is_package: bool,
}

/// One module of a batch: its identity and both versions of its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSource {
    /// Name, path, package flag.
    pub meta: ModuleMeta,
    /// The source the program was loaded from.
    pub old: String,
    /// The source on disk now.
    pub new: String,
}

/// A module whose old and new versions are already parsed.
#[derive(Debug, Clone, Copy)]
pub struct ParsedPair<'a> {
    /// Name, path, package flag.
    pub meta: &'a ModuleMeta,
    /// The old version.
    pub old: &'a ParsedModule,
    /// The new version.
    pub new: &'a ParsedModule,
}

/// Plan a batch from scratch (both versions of every module parsed, old and new in parallel).
pub fn plan(batch: &[ModuleSource]) -> Result<Plan, PlanError> {
    let mut parsed = Vec::with_capacity(batch.len());
    for module in batch {
        let path = module.meta.path.as_str();
        let (old, new) = std::thread::scope(|scope| {
            let old = scope.spawn(|| ParsedModule::parse(path, module.old.clone(), Version::Old));
            let new = ParsedModule::parse(path, module.new.clone(), Version::New);
            let old = old.join().unwrap_or_else(|_| {
                Err(PlanError::Internal {
                    path: path.to_owned(),
                    message: "parser thread panicked".to_owned(),
                })
            });
            (old, new)
        });
        parsed.push((old?, new?));
    }
    Ok(plan_pairs(batch, &parsed))
}

/// Plan a batch the way the live side does: old versions parsed in full, new versions re-parsed
/// incrementally from them. Always equal to [`plan`]; tests hold it to that.
pub fn plan_incremental(batch: &[ModuleSource]) -> Result<Plan, PlanError> {
    let mut parsed = Vec::with_capacity(batch.len());
    for module in batch {
        let old = ParsedModule::parse(&module.meta.path, module.old.clone(), Version::Old)?;
        let (new, _) = old.reparse(module.new.clone())?;
        parsed.push((old, new));
    }
    Ok(plan_pairs(batch, &parsed))
}

fn plan_pairs(batch: &[ModuleSource], parsed: &[(ParsedModule, ParsedModule)]) -> Plan {
    let pairs: Vec<ParsedPair<'_>> = batch
        .iter()
        .zip(parsed)
        .map(|(m, (old, new))| ParsedPair {
            meta: &m.meta,
            old,
            new,
        })
        .collect();
    plan_parsed(&pairs)
}

/// Plan a batch whose versions are already parsed (the live side keeps the old trees and
/// re-parses incrementally with [`ParsedModule::reparse`]). Cannot fail: all errors are parse
/// errors.
pub fn plan_parsed(batch: &[ParsedPair<'_>]) -> Plan {
    let graph_input: Vec<(&ModuleMeta, &tree::ModuleTree)> =
        batch.iter().map(|p| (p.meta, p.new.tree())).collect();
    let order = imports::apply_order(&graph_input);
    let mut modules: Vec<ModulePlan> = batch
        .iter()
        .map(|p| diff::diff_module(p.meta, p.old.tree(), p.new.tree()))
        .collect();
    let position = |name: &str| {
        order
            .modules()
            .position(|m| m == name)
            .unwrap_or(usize::MAX)
    };
    modules.sort_by_key(|m| position(&m.module));
    Plan { modules, order }
}

/// Plan one module.
pub fn plan_module(meta: ModuleMeta, old: String, new: String) -> Result<Plan, PlanError> {
    plan(&[ModuleSource { meta, old, new }])
}

impl Plan {
    /// The compact human text (`~ C.method  body`, `! C  metaclass changed ...`).
    pub fn render(&self) -> String {
        render_plan(self)
    }

    /// The plan as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Whether any module has any change.
    pub fn has_changes(&self) -> bool {
        self.modules.iter().any(ModulePlan::has_changes)
    }
}
