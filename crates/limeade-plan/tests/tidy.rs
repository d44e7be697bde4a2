//! House rules checked by `cargo test`: every Rust source file starts with a `//!` doc line saying
//! what it is for, no file grows past 600 lines, and only the `syntax` module (`src/syntax/`)
//! names the parser crate.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n != "target" && n != "snapshots")
            {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn workspace_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["crates", "xtask"] {
        rust_files(&root.join(dir), &mut files);
    }
    files
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    for file in workspace_files() {
        let text = std::fs::read_to_string(&file).expect("readable");
        assert!(
            text.starts_with("//!"),
            "{} must start with a //! doc line",
            file.display()
        );
    }
}

#[test]
fn files_stay_small() {
    for file in workspace_files() {
        let lines = std::fs::read_to_string(&file)
            .expect("readable")
            .lines()
            .count();
        assert!(
            lines <= 600,
            "{} has {lines} lines: split it",
            file.display()
        );
    }
}

#[test]
fn only_the_syntax_module_names_the_parser() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in files {
        if file.components().any(|c| c.as_os_str() == "syntax") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable");
        assert!(
            !text.contains("rustpython"),
            "{} names the parser crate",
            file.display()
        );
    }
}
