//! Matching: pairs the definitions and statements of two [`ModuleTree`]s by qualified name (and
//! statement order) and turns the differences into a [`ModulePlan`].

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::conflicts::class_conflicts;
use crate::defaults::{default_readers, star_exports};
use crate::definitions::{definition_window, flatten, DefEntry, OldDefs};
use crate::imports::resolve_relative;
use crate::plan::{
    Aspect, DefaultReader, DefinitionAction, DefinitionChange, DefinitionKind, DefinitionStatus,
    Execution, ImportBinding, ModulePlan, RenameCandidate, StatementChange, StatementStatus,
};
use crate::statements::{diff_statements, is_other};
use crate::syntax::combine;
use crate::tree::{Class, Function, ModuleTree, Statement, StatementKind};
use crate::ModuleMeta;

fn kind_of(stmt: &Statement) -> Option<DefinitionKind> {
    match &stmt.kind {
        StatementKind::Function(f) if f.is_async => Some(DefinitionKind::AsyncFunction),
        StatementKind::Function(_) => Some(DefinitionKind::Function),
        StatementKind::Class(_) => Some(DefinitionKind::Class),
        StatementKind::Other(_) => None,
    }
}

/// For functions whose name is defined more than once (the `_` of `singledispatch`
/// implementations, a redefinition) and fewer times or as often in the new version: the old
/// definition each new one is, by new index. Matched by content first, then by occurrence for
/// the rest (`None`: added), so that removing one of them does not pair the others with their
/// neighbours' code (removing the first `_` would otherwise give the second's code to the
/// first's live function, registered for another type). When the name is defined more often
/// than before, occurrences pair as they stand: a decorator that appends to a list then
/// leaves it in the order a fresh import makes.
fn repeated_matches(
    old_defs: &[DefEntry<'_>],
    new_defs: &[DefEntry<'_>],
) -> HashMap<usize, Option<usize>> {
    let mut out = HashMap::default();
    // Per repeated name: its old and new definitions' indices, and whether all are functions
    // (classes and mixed kinds keep matching by occurrence).
    let mut groups: HashMap<&str, (Vec<usize>, Vec<usize>, bool)> = old_defs
        .iter()
        .chain(new_defs)
        .filter(|d| d.occurrence > 0)
        .map(|d| (&*d.qualname, (Vec::new(), Vec::new(), true)))
        .collect();
    if groups.is_empty() {
        return out;
    }
    let is_function = |d: &DefEntry<'_>| matches!(d.stmt.kind, StatementKind::Function(_));
    for (i, d) in old_defs.iter().enumerate() {
        if let Some((olds, _, functions)) = groups.get_mut(&*d.qualname) {
            olds.push(i);
            *functions &= is_function(d);
        }
    }
    for (i, d) in new_defs.iter().enumerate() {
        if let Some((_, news, functions)) = groups.get_mut(&*d.qualname) {
            news.push(i);
            *functions &= is_function(d);
        }
    }
    for (olds, news, functions) in groups.into_values() {
        if !functions || news.len() > olds.len() {
            continue;
        }
        let mut taken = vec![false; olds.len()];
        let mut pairs: Vec<Option<usize>> = vec![None; news.len()];
        for (pair, &n) in pairs.iter_mut().zip(&news) {
            let same = olds.iter().enumerate().find(|&(k, &o)| {
                !taken[k] && same_function(&old_defs[o].stmt.kind, &new_defs[n].stmt.kind)
            });
            if let Some((k, &o)) = same {
                taken[k] = true;
                *pair = Some(o);
            }
        }
        for (pair, &n) in pairs.iter_mut().zip(&news) {
            if pair.is_some() {
                continue;
            }
            let occurrence = new_defs[n].occurrence;
            let at = olds
                .iter()
                .position(|&o| old_defs[o].occurrence == occurrence);
            if let Some(k) = at.filter(|&k| !taken[k]) {
                taken[k] = true;
                *pair = Some(olds[k]);
            }
        }
        out.extend(news.into_iter().zip(pairs));
    }
    out
}

/// Two function definitions with nothing changed but, at most, their lines.
fn same_function(old: &StatementKind, new: &StatementKind) -> bool {
    match (old, new) {
        (StatementKind::Function(a), StatementKind::Function(b)) => {
            function_aspects(a, b).is_empty()
        }
        _ => false,
    }
}

fn function_aspects(old: &Function, new: &Function) -> Vec<Aspect> {
    let mut aspects = Vec::new();
    let checks = [
        (old.body_fp != new.body_fp, Aspect::Body),
        (old.params_fp != new.params_fp, Aspect::Signature),
        (old.defaults_fp != new.defaults_fp, Aspect::Defaults),
        (old.kwdefaults_fp != new.kwdefaults_fp, Aspect::KwDefaults),
        (old.decorators_fp != new.decorators_fp, Aspect::Decorators),
        (old.docstring_fp != new.docstring_fp, Aspect::Docstring),
        (
            old.annotations_fp != new.annotations_fp,
            Aspect::Annotations,
        ),
        (old.is_async != new.is_async, Aspect::Async),
    ];
    for (differs, aspect) in checks {
        if differs {
            aspects.push(aspect);
        }
    }
    aspects
}

fn class_aspects(old: &Class, new: &Class) -> Vec<Aspect> {
    let mut aspects = Vec::new();
    if old.decorators_fp != new.decorators_fp {
        aspects.push(Aspect::Decorators);
    }
    if old.docstring_fp != new.docstring_fp {
        aspects.push(Aspect::Docstring);
    }
    if old.bases != new.bases
        || old.type_params != new.type_params
        || old.metaclass != new.metaclass
        || old.keywords != new.keywords
        || old.slots != new.slots
    {
        aspects.push(Aspect::Header);
    }
    aspects
}

/// Fingerprint of a function's code without its name: equal for a pure rename.
fn rename_key(f: &Function) -> u64 {
    combine(&[
        f.body_fp,
        f.params_fp,
        f.defaults_fp,
        f.kwdefaults_fp,
        f.decorators_fp,
        f.docstring_fp.unwrap_or(1),
        f.annotations_fp,
        u64::from(f.is_async),
    ])
}

/// Compare two versions of one module.
pub(crate) fn diff_module(meta: &ModuleMeta, old: &ModuleTree, new: &ModuleTree) -> ModulePlan {
    diff_module_in(meta, old, new, Window::Edited)
}

/// Which top-level statements' definitions [`diff_module_in`] compares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Window {
    /// Those between the shared ends (see [`definition_window`]).
    Edited,
    /// All of them (tests check that the window changes nothing but unchanged entries).
    #[cfg_attr(not(test), allow(dead_code))]
    Everything,
}

pub(crate) fn diff_module_in(
    meta: &ModuleMeta,
    old: &ModuleTree,
    new: &ModuleTree,
    window: Window,
) -> ModulePlan {
    let top_statements = diff_statements("", (&old.statements, None), (&new.statements, None));
    // Names the module's changed statements bind anew (what stale defaults and dynamic
    // `__slots__` read).
    let rebound: HashSet<String> = top_statements
        .iter()
        .filter(|s| s.status != StatementStatus::Unchanged)
        .flat_map(|s| s.binds.iter().cloned())
        .collect();
    let (old_window, new_window) = match window {
        Window::Edited => definition_window(old, new, &rebound),
        Window::Everything => (0..old.statements.len(), 0..new.statements.len()),
    };
    let old_defs = flatten(&old.statements[old_window]);
    let new_defs = flatten(&new.statements[new_window]);
    let mut old_index = OldDefs::new(&old_defs);
    let repeated = repeated_matches(&old_defs, &new_defs);

    let mut definitions = Vec::with_capacity(new_defs.len());
    let mut matched_old = vec![false; old_defs.len()];
    let mut matched_classes: Vec<(&DefEntry<'_>, &DefEntry<'_>)> = Vec::new();
    let mut added: Vec<&DefEntry<'_>> = Vec::new();

    for (n, entry) in new_defs.iter().enumerate() {
        let old_match = match repeated.get(&n) {
            Some(&paired) => paired,
            None => old_index.find(&entry.qualname, entry.occurrence),
        }
        .filter(|&i| {
            matches!(
                (&old_defs[i].stmt.kind, &entry.stmt.kind),
                (StatementKind::Function(_), StatementKind::Function(_))
                    | (StatementKind::Class(_), StatementKind::Class(_))
            )
        });
        let Some(i) = old_match else {
            added.push(entry);
            definitions.push(definition_change(
                entry,
                None,
                DefinitionStatus::Added,
                Vec::new(),
            ));
            continue;
        };
        matched_old[i] = true;
        let previous = &old_defs[i];
        let mut aspects = match (&previous.stmt.kind, &entry.stmt.kind) {
            (StatementKind::Function(a), StatementKind::Function(b)) => function_aspects(a, b),
            (StatementKind::Class(a), StatementKind::Class(b)) => {
                matched_classes.push((previous, entry));
                class_aspects(a, b)
            }
            _ => Vec::new(),
        };
        // A function whose lines moved (even inside its body) needs new line numbers; a kept
        // class object has no line table of its own, so only its first line counts.
        let is_class = matches!(entry.stmt.kind, StatementKind::Class(_));
        let lines_moved = previous.span.start_line != entry.span.start_line
            || (!is_class && previous.stmt.layout != entry.stmt.layout);
        let mut line_shift = None;
        if aspects.is_empty() && lines_moved {
            aspects.push(Aspect::Moved);
            if !is_class && previous.stmt.layout == entry.stmt.layout {
                line_shift = Some(
                    i64::try_from(entry.span.start_line).unwrap_or(i64::MAX)
                        - i64::try_from(previous.span.start_line).unwrap_or(i64::MAX),
                );
            }
        }
        let status = if aspects.is_empty() {
            DefinitionStatus::Unchanged
        } else {
            DefinitionStatus::Changed
        };
        let mut change = definition_change(entry, Some(previous), status, aspects);
        change.line_shift = line_shift;
        definitions.push(change);
    }

    let mut removed: Vec<&DefEntry<'_>> = Vec::new();
    for (i, entry) in old_defs.iter().enumerate() {
        if !matched_old[i] {
            removed.push(entry);
            let mut change = definition_change(entry, None, DefinitionStatus::Removed, Vec::new());
            change.old_span = Some(entry.span);
            change.new_span = None;
            // A repeated definition matched by content (see `repeated_matches`): the one
            // removed may have the display name a kept one has now.
            let content_matched = repeated
                .keys()
                .any(|&n| new_defs[n].qualname == entry.qualname);
            if content_matched && definitions.iter().any(|d| d.name == change.name) {
                change.name = format!("{} (old)", change.name);
            }
            definitions.push(change);
        }
    }

    let renames = rename_candidates(&removed, &added);
    decide_actions(&mut definitions, &renames);

    let mut statements = top_statements;
    for (old_class, new_class) in &matched_classes {
        if let (StatementKind::Class(a), StatementKind::Class(b)) =
            (&old_class.stmt.kind, &new_class.stmt.kind)
        {
            statements.extend(diff_statements(
                &new_class.qualname,
                (&a.body, Some(old_class.origin)),
                (&b.body, Some(new_class.origin)),
            ));
        }
    }

    let mut conflicts = Vec::new();
    for (old_class, new_class) in &matched_classes {
        if let (StatementKind::Class(a), StatementKind::Class(b)) =
            (&old_class.stmt.kind, &new_class.stmt.kind)
        {
            class_conflicts(
                &new_class.qualname,
                new_class.span.start_line,
                a,
                b,
                &statements,
                &rebound,
                &mut conflicts,
            );
        }
    }

    let stale_defaults = stale_defaults(new, &definitions, &rebound);
    let unbound_names = unbound_names(old, new);
    let execution = execution(&definitions, &statements, old, new);
    ModulePlan {
        module: meta.name.clone(),
        path: meta.path.clone(),
        is_package: meta.is_package,
        execution,
        definitions,
        statements,
        conflicts,
        unbound_names,
        renames,
        bindings: import_bindings(meta, new),
        star_exports: star_exports(new),
        stale_defaults,
    }
}

/// What the live side does with each definition, as far as the source tells: a rename applies
/// within one scope (a function moved into a class is a new definition there).
fn decide_actions(definitions: &mut [DefinitionChange], renames: &[RenameCandidate]) {
    let scope = |qualname: &str| qualname.rsplit_once('.').map_or("", |(s, _)| s).to_owned();
    let renamed: HashMap<&str, &str> = renames
        .iter()
        .filter(|r| scope(&r.old_qualname) == scope(&r.new_qualname))
        .map(|r| (r.new_qualname.as_str(), r.old_qualname.as_str()))
        .collect();
    for d in definitions.iter_mut() {
        d.action = match d.status {
            DefinitionStatus::Unchanged => DefinitionAction::Keep,
            DefinitionStatus::Removed => DefinitionAction::Remove,
            DefinitionStatus::Added => match renamed.get(d.qualname.as_str()) {
                Some(old) if d.occurrence == 0 => {
                    d.renamed_from = Some((*old).to_owned());
                    DefinitionAction::Rename
                }
                _ => DefinitionAction::Run,
            },
            DefinitionStatus::Changed => {
                if d.kind != DefinitionKind::Class && d.aspects.contains(&Aspect::Decorators) {
                    DefinitionAction::Run
                } else if d.aspects == [Aspect::Moved]
                    && (d.kind == DefinitionKind::Class || d.line_shift.is_some())
                {
                    DefinitionAction::Move
                } else {
                    DefinitionAction::Update
                }
            }
        };
    }
}

/// Unchanged default expressions that read a name the module's changed statements rebind.
fn stale_defaults(
    new: &ModuleTree,
    definitions: &[DefinitionChange],
    rebinds: &HashSet<String>,
) -> Vec<DefaultReader> {
    let mut names: Vec<&str> = rebinds.iter().map(String::as_str).collect();
    names.sort_unstable();
    let mut readers = default_readers(new, &names);
    readers.retain(|r| {
        !definitions.iter().any(|d| {
            d.qualname == r.qualname
                && d.def_line == Some(r.def_line)
                && (d.status == DefinitionStatus::Added
                    || d.aspects.contains(&Aspect::Defaults)
                    || d.aspects.contains(&Aspect::KwDefaults))
        })
    });
    readers
}

fn definition_change(
    entry: &DefEntry<'_>,
    previous: Option<&DefEntry<'_>>,
    status: DefinitionStatus,
    aspects: Vec<Aspect>,
) -> DefinitionChange {
    // Facts of the new version: a removed definition has none.
    let new_class = match &entry.stmt.kind {
        StatementKind::Class(c) if status != DefinitionStatus::Removed => Some(c),
        _ => None,
    };
    let docstring = new_class
        .filter(|_| aspects.contains(&Aspect::Docstring))
        .and_then(|c| c.docstring.clone());
    let evaluates_nothing = status == DefinitionStatus::Added
        && matches!(&entry.stmt.kind, StatementKind::Function(f) if f.decorators.is_empty()
            && !f.has_defaults
            && f.annotations_fp == combine(&[]));
    let qualname: &str = &entry.qualname;
    let leaf = qualname.rsplit_once('.').map_or(qualname, |(_, leaf)| leaf);
    // CPython's qualname marks every function body it passes through.
    let in_function = qualname.contains(".<locals>.");
    DefinitionChange {
        evaluates_nothing,
        qualname: qualname.to_owned(),
        name: DefinitionChange::display_name(qualname, entry.occurrence),
        scope: entry.scope.to_string(),
        leaf: leaf.to_owned(),
        in_function,
        action: DefinitionAction::Keep,
        renamed_from: None,
        occurrence: entry.occurrence,
        kind: kind_of(entry.stmt).unwrap_or(DefinitionKind::Function),
        status,
        aspects,
        old_span: previous.map(|p| p.span),
        new_span: Some(entry.span),
        def_line: entry.def_line(),
        line_shift: None,
        type_params: match &entry.stmt.kind {
            StatementKind::Class(c) => c.type_params.clone(),
            _ => None,
        },
        body_on_header_line: new_class.is_some_and(|c| c.body_on_header_line),
        docstring,
    }
}

fn rename_candidates(removed: &[&DefEntry<'_>], added: &[&DefEntry<'_>]) -> Vec<RenameCandidate> {
    let mut taken = vec![false; added.len()];
    let mut out = Vec::new();
    for old in removed {
        let StatementKind::Function(old_fn) = &old.stmt.kind else {
            continue;
        };
        let key = rename_key(old_fn);
        let candidate = added.iter().enumerate().find(|(i, new)| {
            !taken[*i]
                && new.scope == old.scope
                && matches!(&new.stmt.kind, StatementKind::Function(f) if rename_key(f) == key)
        });
        if let Some((i, new)) = candidate {
            taken[i] = true;
            out.push(RenameCandidate {
                old_qualname: old.qualname.to_string(),
                new_qualname: new.qualname.to_string(),
            });
        }
    }
    out
}

/// Top-level names the old version binds and the new one does not, in old source order. Only
/// the statements between the ends both versions share (same names bound at the same place
/// from the start or from the end) can bind such a name; each is looked for among the new
/// version's names, by a scan when there are few, else through a set.
fn unbound_names(old: &ModuleTree, new: &ModuleTree) -> Vec<String> {
    let (old, new) = (&old.statements, &new.statements);
    let same = |(a, b): &(&Statement, &Statement)| {
        a.binds_mask == b.binds_mask && (a.shares_kind(b) || a.bound_names() == b.bound_names())
    };
    let prefix = old.iter().zip(new).take_while(same).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(same)
        .count();
    let mut seen = HashSet::default();
    let candidates: Vec<&str> = old[prefix..old.len() - suffix]
        .iter()
        .flat_map(Statement::bound_names)
        .map(String::as_str)
        .filter(|n| *n != "*" && seen.insert(*n))
        .collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let new_names = || new.iter().flat_map(Statement::bound_names);
    let is_bound: Box<dyn Fn(&str) -> bool> = if candidates.len() <= 8 {
        Box::new(move |name| new_names().any(|n| n == name))
    } else {
        let all: HashSet<&str> = new_names().map(String::as_str).collect();
        Box::new(move |name| all.contains(name))
    };
    candidates
        .into_iter()
        .filter(|n| !is_bound(n))
        .map(str::to_owned)
        .collect()
}

fn execution(
    definitions: &[DefinitionChange],
    statements: &[StatementChange],
    old: &ModuleTree,
    new: &ModuleTree,
) -> Execution {
    let future = |tree: &ModuleTree| -> Vec<u64> {
        tree.statements
            .iter()
            .filter(|s| matches!(&s.kind, StatementKind::Other(o) if o.is_future_import))
            .map(|s| s.fingerprint)
            .collect()
    };
    if future(old) != future(new) {
        return Execution::FullBody;
    }
    let module_runs = statements.iter().any(|s| {
        s.scope.is_empty() && matches!(s.status, StatementStatus::Changed | StatementStatus::Added)
    });
    if module_runs {
        return Execution::Statements;
    }
    // A statement on other lines may hold functions (a lambda, a `def` inside an `if`) whose
    // line numbers need updating.
    let anything = definitions
        .iter()
        .any(|d| d.status != DefinitionStatus::Unchanged)
        || statements.iter().any(|s| {
            s.status != StatementStatus::Unchanged
                || s.old_span.map(|o| o.start_line) != s.new_span.map(|n| n.start_line)
        });
    if anything {
        Execution::DefinitionsOnly
    } else {
        Execution::Nothing
    }
}

/// The `from m import X` bindings a module's top-level statements make (the names it copies from
/// other modules), with `m` resolved to an absolute module name. A star import is a binding
/// whose name and `bound_as` are `*`: it copies whatever the module exports.
pub fn import_bindings(meta: &ModuleMeta, new: &ModuleTree) -> Vec<ImportBinding> {
    let mut out = Vec::new();
    for stmt in &new.statements {
        if !is_other(stmt) {
            continue;
        }
        for import in stmt.imports.iter().filter(|i| !i.weak) {
            let Some(source) =
                resolve_relative(&meta.name, meta.is_package, import.level, &import.module)
            else {
                continue;
            };
            for name in &import.names {
                out.push(ImportBinding {
                    importer: meta.name.clone(),
                    bound_as: name.bound_as.clone(),
                    source_module: source.clone(),
                    name: name.name.clone(),
                    line: import.line,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
