//! Shared helpers for the integration tests: loading fixture cases from `fixtures/` and checking
//! each case on its own. `limeade-apply`'s boundary snapshots include this file too (`#[path]`),
//! so both crates read the fixtures the same way.

#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use limeade_plan::{decode_source, module_name_from_path, ModuleMeta, ModuleSource, Version};

/// The repository's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Every fixture case folder, sorted by name.
pub fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// A case's name: its folder's name.
pub fn case_name(case: &Path) -> String {
    case.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// Run `check` on every fixture case, each on its own: a case that fails (a snapshot mismatch,
/// a failed assertion) does not stop the others, and the test fails once at the end naming
/// every case that failed.
pub fn check_each_case(check: impl Fn(&str, &Path)) {
    let cases = cases();
    assert!(
        cases.len() >= 40,
        "expected at least 40 fixture cases, found {}",
        cases.len()
    );
    let failed: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let name = case_name(case);
            catch_unwind(AssertUnwindSafe(|| check(&name, case)))
                .is_err()
                .then_some(name)
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} fixture cases failed (each one's panic is printed above): {}",
        failed.len(),
        cases.len(),
        failed.join(", ")
    );
}

fn read(path: &Path, version: Version) -> String {
    if !path.exists() {
        return String::new();
    }
    let bytes = std::fs::read(path).expect("readable fixture");
    decode_source(&bytes, &path.display().to_string(), version).expect("decodable fixture")
}

fn python_files(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            python_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

/// The batch a case describes: `before.py`/`after.py`, or `before/`/`after/` trees.
pub fn load_case(case: &Path) -> Vec<ModuleSource> {
    let name = case_name(case);
    if case.join("before.py").exists() {
        return vec![ModuleSource {
            meta: ModuleMeta {
                name: name.clone(),
                path: format!("{name}/after.py"),
                is_package: false,
            },
            old: read(&case.join("before.py"), Version::Old),
            new: read(&case.join("after.py"), Version::New),
        }];
    }
    let (before, after) = (case.join("before"), case.join("after"));
    let mut files = Vec::new();
    python_files(&before, &mut files);
    python_files(&after, &mut files);
    let mut relatives: Vec<PathBuf> = files
        .iter()
        .filter_map(|f| {
            f.strip_prefix(&before)
                .or_else(|_| f.strip_prefix(&after))
                .ok()
                .map(Path::to_path_buf)
        })
        .collect();
    relatives.sort();
    relatives.dedup();
    relatives
        .into_iter()
        .map(|rel| {
            let rel_text = rel.to_string_lossy().replace('\\', "/");
            let (module, is_package) = module_name_from_path(&rel_text);
            ModuleSource {
                meta: ModuleMeta {
                    name: module,
                    path: rel_text,
                    is_package,
                },
                old: read(&before.join(&rel), Version::Old),
                new: read(&after.join(&rel), Version::New),
            }
        })
        .collect()
}
