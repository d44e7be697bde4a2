//! `cargo xtask plan OLD NEW`: the dry run. Reads two files or two trees and prints the plan.

use std::path::{Path, PathBuf};

use limeade_plan::{decode_source, ModuleMeta, ModuleSource, Version};

/// Entry point of `cargo xtask plan`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut positional = Vec::new();
    let mut module = None;
    let mut json = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--module" => {
                module = Some(iter.next().ok_or("--module needs a name")?.clone());
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => positional.push(PathBuf::from(other)),
        }
    }
    let [old, new] = positional.as_slice() else {
        return Err("usage: cargo xtask plan OLD NEW [--module NAME] [--json]".to_owned());
    };
    let batch = if old.is_dir() && new.is_dir() {
        if module.is_some() {
            return Err(
                "--module applies to single files; directory names come from paths".to_owned(),
            );
        }
        tree_batch(old, new)?
    } else if old.is_file() && new.is_file() {
        let name = module.unwrap_or_else(|| module_name_of_file(new));
        vec![ModuleSource {
            meta: ModuleMeta {
                is_package: new.file_name().is_some_and(|n| n == "__init__.py"),
                name,
                path: new.display().to_string(),
            },
            old: read_source(old, Version::Old)?,
            new: read_source(new, Version::New)?,
        }]
    } else {
        return Err(format!(
            "{} and {} must both be files or both be directories",
            old.display(),
            new.display()
        ));
    };
    let plan = limeade_plan::plan(&batch).map_err(|e| e.to_string())?;
    if json {
        println!("{}", plan.to_json());
    } else {
        print!("{}", plan.render());
    }
    Ok(())
}

fn module_name_of_file(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "module".to_owned())
}

/// Read and decode a source file the way the interpreter would.
pub(crate) fn read_source(path: &Path, version: Version) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    decode_source(&bytes, &path.display().to_string(), version).map_err(|e| e.to_string())
}

/// Every `.py` file under `root`, relative, sorted.
fn python_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "py") {
                out.push(
                    path.strip_prefix(root)
                        .map_err(|e| e.to_string())?
                        .to_path_buf(),
                );
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Pair the modules of two trees; a module only in one tree is planned against empty source.
pub(crate) fn tree_batch(old_root: &Path, new_root: &Path) -> Result<Vec<ModuleSource>, String> {
    let mut relatives = python_files(old_root)?;
    relatives.extend(python_files(new_root)?);
    relatives.sort();
    relatives.dedup();
    let mut batch = Vec::new();
    for relative in relatives {
        let (name, is_package) =
            limeade_plan::module_name_from_path(&relative.to_string_lossy().replace('\\', "/"));
        let (old, new) = (old_root.join(&relative), new_root.join(&relative));
        let read = |p: &Path, v| {
            if p.exists() {
                read_source(p, v)
            } else {
                Ok(String::new())
            }
        };
        batch.push(ModuleSource {
            meta: ModuleMeta {
                name,
                path: relative.display().to_string(),
                is_package,
            },
            old: read(&old, Version::Old)?,
            new: read(&new, Version::New)?,
        });
    }
    Ok(batch)
}
