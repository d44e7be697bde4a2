//! The batch's import graph (petgraph) and the apply order derived from it: dependencies first,
//! import cycles as one deterministic group.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::plan::{ApplyOrder, ImportEdge};
use crate::tree::ModuleTree;
use crate::ModuleMeta;

/// Absolute module named by an import in `importer`: `level` leading dots climb from the
/// importer's package (the importer itself when it is a package `__init__`). `None` when the dots
/// climb above the top-level package.
pub fn resolve_relative(
    importer: &str,
    is_package: bool,
    level: u32,
    module: &str,
) -> Option<String> {
    if level == 0 {
        return Some(module.to_owned());
    }
    let mut parts: Vec<&str> = importer.split('.').collect();
    if !is_package {
        parts.pop();
    }
    for _ in 1..level {
        parts.pop()?;
    }
    if parts.is_empty() {
        return None;
    }
    let mut base = parts.join(".");
    if !module.is_empty() {
        base.push('.');
        base.push_str(module);
    }
    Some(base)
}

/// Dotted module name and package flag for a `/`-separated path relative to a source root
/// (`pkg/__init__.py` is the package `pkg`).
pub fn module_name_from_path(relative: &str) -> (String, bool) {
    let mut parts: Vec<&str> = relative.split('/').filter(|p| !p.is_empty()).collect();
    let is_package = parts.last() == Some(&"__init__.py");
    if is_package {
        parts.pop();
    } else if let Some(last) = parts.last_mut() {
        *last = last.strip_suffix(".py").unwrap_or(last);
    }
    (parts.join("."), is_package)
}

/// Modules an import statement may load: the module, and for `from p import x` the submodule
/// `p.x` in case `x` is one.
fn import_targets(meta: &ModuleMeta, tree: &ModuleTree) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let visit = |stmt: &crate::tree::Statement, out: &mut Vec<(String, bool)>| {
        for import in &stmt.imports {
            let Some(base) =
                resolve_relative(&meta.name, meta.is_package, import.level, &import.module)
            else {
                continue;
            };
            // Parent packages are not edges: a submodule's refresh does not need its package's
            // `__init__` refreshed first, and such edges would make every re-exporting package a
            // cycle.
            if !base.is_empty() {
                out.push((base.clone(), import.weak));
            }
            for name in &import.names {
                if name.name != "*" {
                    let sub = if base.is_empty() {
                        name.name.clone()
                    } else {
                        format!("{base}.{}", name.name)
                    };
                    out.push((sub, import.weak));
                }
            }
        }
    };
    for stmt in &tree.statements {
        visit(stmt, &mut out);
    }
    out
}

/// Build the import graph among `modules` (meta and new tree) and order it.
pub(crate) fn apply_order(modules: &[(&ModuleMeta, &ModuleTree)]) -> ApplyOrder {
    let mut graph: DiGraph<&str, ()> = DiGraph::new();
    let mut nodes: BTreeMap<&str, NodeIndex> = BTreeMap::new();
    let mut sorted: Vec<&str> = modules.iter().map(|(m, _)| m.name.as_str()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    for name in &sorted {
        nodes.insert(name, graph.add_node(name));
    }
    // importer -> imported, strong when any import of the pair is at import time.
    let mut edges: BTreeMap<(&str, String), bool> = BTreeMap::new();
    for (meta, tree) in modules {
        for (target, weak) in import_targets(meta, tree) {
            if target == meta.name || !nodes.contains_key(target.as_str()) {
                continue;
            }
            let entry = edges.entry((meta.name.as_str(), target)).or_insert(true);
            *entry &= weak;
        }
    }
    for ((importer, imported), weak) in &edges {
        if !weak {
            if let (Some(&a), Some(&b)) = (nodes.get(importer), nodes.get(imported.as_str())) {
                // Edge from dependency to dependent, so a topological order puts dependencies first.
                graph.add_edge(b, a, ());
            }
        }
    }

    // Strongly connected components, then a Kahn order over them picking the smallest name first.
    let components = tarjan_scc(&graph);
    let mut component_of = vec![0usize; graph.node_count()];
    let mut members: Vec<Vec<&str>> = Vec::with_capacity(components.len());
    for (ci, component) in components.iter().enumerate() {
        let mut names: Vec<&str> = component.iter().map(|&n| graph[n]).collect();
        names.sort_unstable();
        for &n in component {
            component_of[n.index()] = ci;
        }
        members.push(names);
    }
    let mut indegree = vec![0usize; components.len()];
    let mut successors: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); components.len()];
    for edge in graph.raw_edges() {
        let (a, b) = (
            component_of[edge.source().index()],
            component_of[edge.target().index()],
        );
        if a != b && successors[a].insert(b) {
            indegree[b] += 1;
        }
    }
    let mut ready: BTreeSet<(&str, usize)> = (0..components.len())
        .filter(|&c| indegree[c] == 0)
        .map(|c| (members[c][0], c))
        .collect();
    let mut groups = Vec::with_capacity(components.len());
    let mut cycles = Vec::new();
    while let Some(first) = ready.pop_first() {
        let c = first.1;
        let group: Vec<String> = members[c].iter().map(|s| (*s).to_owned()).collect();
        if group.len() > 1 {
            cycles.push(group.clone());
        }
        groups.push(group);
        for &next in &successors[c] {
            indegree[next] -= 1;
            if indegree[next] == 0 {
                ready.insert((members[next][0], next));
            }
        }
    }
    ApplyOrder {
        groups,
        cycles,
        edges: edges
            .into_iter()
            .map(|((importer, imported), weak)| ImportEdge {
                importer: importer.to_owned(),
                imported,
                weak,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_imports_resolve_against_the_package() {
        let check =
            |importer: &str, pkg: bool, level: u32, module: &str, expected: Option<&str>| {
                assert_eq!(
                    resolve_relative(importer, pkg, level, module).as_deref(),
                    expected,
                    "{importer} level {level} {module}"
                );
            };
        check("pkg.mod", false, 1, "a", Some("pkg.a"));
        check("pkg.mod", false, 1, "", Some("pkg"));
        check("pkg", true, 1, "a", Some("pkg.a"));
        check("pkg.sub.mod", false, 2, "x", Some("pkg.x"));
        check("pkg.sub", true, 2, "", Some("pkg"));
        check("mod", false, 1, "a", None);
        check("mod", false, 0, "os.path", Some("os.path"));
    }

    fn order_of(modules: &[(&str, bool, &str)]) -> ApplyOrder {
        let parsed: Vec<(ModuleMeta, crate::ParsedModule)> = modules
            .iter()
            .map(|(name, is_package, source)| {
                let meta = ModuleMeta {
                    name: (*name).to_owned(),
                    path: format!("{name}.py"),
                    is_package: *is_package,
                };
                let tree = crate::ParsedModule::parse(
                    &meta.path,
                    (*source).to_owned(),
                    crate::Version::New,
                )
                .expect("test source parses");
                (meta, tree)
            })
            .collect();
        let input: Vec<(&ModuleMeta, &ModuleTree)> =
            parsed.iter().map(|(m, p)| (m, p.tree())).collect();
        apply_order(&input)
    }

    #[test]
    fn dependencies_come_before_dependents() {
        let order = order_of(&[
            ("app", false, "from lib import helper\nimport util\n"),
            ("lib", false, "import util\n"),
            ("util", false, "X = 1\n"),
        ]);
        assert_eq!(order.groups, vec![vec!["util"], vec!["lib"], vec!["app"]]);
        assert!(order.cycles.is_empty());
    }

    #[test]
    fn cycles_become_one_group_in_name_order() {
        let order = order_of(&[
            ("pkg", true, ""),
            ("pkg.b", false, "from . import a\n"),
            ("pkg.a", false, "from .b import thing\n"),
            ("main", false, "import pkg.a\n"),
        ]);
        assert_eq!(
            order.cycles,
            vec![vec!["pkg.a".to_owned(), "pkg.b".to_owned()]]
        );
        let flat: Vec<&str> = order.modules().collect();
        assert_eq!(flat, ["pkg", "pkg.a", "pkg.b", "main"]);
    }

    #[test]
    fn imports_inside_functions_are_weak_and_do_not_order() {
        let order = order_of(&[
            ("a", false, "def f():\n    import b\n    return b\n"),
            ("b", false, "import a\n"),
        ]);
        assert!(order.cycles.is_empty(), "{order:?}");
        assert_eq!(order.modules().collect::<Vec<_>>(), ["a", "b"]);
        assert!(order
            .edges
            .iter()
            .any(|e| e.importer == "a" && e.imported == "b" && e.weak));
    }
}
