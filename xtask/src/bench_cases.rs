//! `bench plan` cases the live side meets on every refresh: a one-function edit in a
//! 10,000-line module, and a sweep in which every definition of a real package moved (three
//! comment lines prepended to each file). Both time what `Registry.plan` does: re-parse the new
//! version from the kept old tree, then match.

use std::path::{Path, PathBuf};
use std::time::Duration;

use limeade_plan::{plan_parsed, ModuleMeta, ParsedModule, ParsedPair, ReparseKind, Version};

use crate::bench::time;

/// Reparse and matching times of one case, median of runs.
struct CaseTimes {
    reparse: Duration,
    matching: Duration,
    full_parses: usize,
}

fn meta_for(path: &Path) -> ModuleMeta {
    ModuleMeta {
        name: path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        path: path.to_string_lossy().into_owned(),
        is_package: path.ends_with("__init__.py"),
    }
}

/// Time re-parsing and planning `modules` (`(path, old, new)`) as one batch.
fn time_batch(modules: &[(PathBuf, String, String)], runs: usize) -> Result<CaseTimes, String> {
    let metas: Vec<ModuleMeta> = modules.iter().map(|(p, _, _)| meta_for(p)).collect();
    let olds = modules
        .iter()
        .zip(&metas)
        .map(|((_, old, _), meta)| ParsedModule::parse(&meta.path, old.clone(), Version::Old))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let reparse_all = || {
        olds.iter()
            .zip(modules)
            .map(|(old, (_, _, new))| old.reparse(new.clone()).expect("new version parses"))
            .collect::<Vec<_>>()
    };
    let reparse = time(runs, reparse_all);
    let news = reparse_all();
    let full_parses = news
        .iter()
        .filter(|(_, kind)| *kind == ReparseKind::Full)
        .count();
    let pairs: Vec<ParsedPair<'_>> = metas
        .iter()
        .zip(&olds)
        .zip(&news)
        .map(|((meta, old), (new, _))| ParsedPair { meta, old, new })
        .collect();
    let matching = time(runs, || plan_parsed(&pairs));
    Ok(CaseTimes {
        reparse,
        matching,
        full_parses,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The two cases, printed.
pub(crate) fn bench_cases() -> Result<(), String> {
    let body: String = (0..5000)
        .map(|i| format!("def f{i}(x):\n    return x + {i}\n\n"))
        .collect();
    let old = format!("{body}\ndef hot(x):\n    return x + 1\n");
    let new = format!("{body}\ndef hot(x):\n    return x + 2\n");
    let one = time_batch(&[(PathBuf::from("tm.py"), old, new)], 50)?;
    println!(
        "(4) one-function edit in a 10,000-line module: reparse {:.3} ms + plan {:.3} ms",
        ms(one.reparse),
        ms(one.matching)
    );

    let dir = std::env::var_os("LIMEADE_BENCH_PACKAGE")
        .map_or_else(|| PathBuf::from("python/limeade"), PathBuf::from);
    let mut modules = Vec::new();
    collect_py(&dir, &mut modules)?;
    modules.sort_by(|a, b| a.0.cmp(&b.0));
    let bytes: usize = modules.iter().map(|(_, old, _)| old.len()).sum();
    let sweep = time_batch(&modules, 20)?;
    println!(
        "(5) every definition moved in {} ({} files, {} KB): reparse {:.3} ms ({} full parses) + plan {:.3} ms",
        dir.display(),
        modules.len(),
        bytes / 1000,
        ms(sweep.reparse),
        sweep.full_parses,
        ms(sweep.matching)
    );
    Ok(())
}

/// Every `.py` file under `dir` as `(path, text, text with three comment lines prepended)`.
fn collect_py(dir: &Path, out: &mut Vec<(PathBuf, String, String)>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect_py(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "py") {
            let old = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            let new = format!("# moved\n# moved\n# moved\n{old}");
            out.push((path, old, new));
        }
    }
    Ok(())
}
