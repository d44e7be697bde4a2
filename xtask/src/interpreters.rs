//! The CPython interpreters the tests run on besides the default `python3`: every CPython 3.9 or
//! newer found on `PATH` (`python3.X`) or under pyenv's versions folder, one per minor version.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Oldest and newest minor versions of Python 3 looked for.
const MINORS: std::ops::RangeInclusive<u32> = 9..=14;
/// Minor versions limeade supports: one missing on the machine is reported as not tested.
pub(crate) const SUPPORTED_MINORS: std::ops::RangeInclusive<u32> = 9..=14;

/// An interpreter found on the machine.
pub(crate) struct Interpreter {
    /// `3.X`.
    pub(crate) version: String,
    /// Its executable.
    pub(crate) path: PathBuf,
}

/// The `major.minor` version an interpreter reports, if it runs and is CPython.
pub(crate) fn version_of(python: &Path) -> Option<String> {
    let output = Command::new(python)
        .args([
            "-c",
            "import sys, platform; print(platform.python_implementation(), \
             '%d.%d' % sys.version_info[:2])",
        ])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let (implementation, version) = text.trim().split_once(' ')?;
    (implementation == "CPython").then(|| version.to_owned())
}

/// Every CPython >= 3.9 found, one per minor version (PATH first, then the newest pyenv patch
/// release), in version order.
pub(crate) fn find() -> Vec<Interpreter> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            for minor in MINORS {
                candidates.push(dir.join(format!("python3.{minor}")));
            }
        }
    }
    if let Some(versions) = pyenv_versions() {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(versions)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        // Newest patch release first: `3.12.10` sorts after `3.12.9` by number, not text.
        dirs.sort_by_key(|d| std::cmp::Reverse(patch_key(d)));
        for dir in dirs {
            for minor in MINORS {
                candidates.push(dir.join("bin").join(format!("python3.{minor}")));
            }
        }
    }
    let mut found: BTreeMap<(u32, u32), Interpreter> = BTreeMap::new();
    for path in candidates {
        if !path.is_file() {
            continue;
        }
        let Some(version) = version_of(&path) else {
            continue;
        };
        let Some(key) = minor_key(&version) else {
            continue;
        };
        if key.0 == 3 && MINORS.contains(&key.1) {
            found.entry(key).or_insert(Interpreter { version, path });
        }
    }
    found.into_values().collect()
}

fn pyenv_versions() -> Option<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")))?;
    let versions = root.join("versions");
    versions.is_dir().then_some(versions)
}

fn minor_key(version: &str) -> Option<(u32, u32)> {
    let (major, minor) = version.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn patch_key(dir: &Path) -> Vec<u32> {
    dir.file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.split('.').map(|p| p.parse().unwrap_or(0)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{minor_key, patch_key};
    use std::path::Path;

    #[test]
    fn versions_sort_by_number() {
        assert_eq!(minor_key("3.12"), Some((3, 12)));
        assert!(patch_key(Path::new("/v/3.12.10")) > patch_key(Path::new("/v/3.12.9")));
    }
}
