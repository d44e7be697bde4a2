//! `cargo xtask test`: every check CI runs, in the order that fails fastest: the Rust checks
//! first, then the Python package built into `.venv/` and checked with ruff and pytest, then the
//! pytest suite again on every other CPython >= 3.9 found on the machine (the abi3 extension
//! built once serves them all).

use std::path::Path;

use crate::venv::{self, Profile};
use crate::{interpreters, run_step, workspace_root};

/// Directories of Python code that ruff checks (those that exist).
const PYTHON_DIRS: [&str; 4] = ["python", "tests", "examples", "benches"];

/// pytest's exit code when it collected no tests.
const PYTEST_NO_TESTS: i32 = 5;

/// Entry point of `cargo xtask test [--long]`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let long = match args {
        [] => false,
        [flag] if flag == "--long" => true,
        _ => {
            return Err(format!(
                "unknown arguments {args:?}: expected nothing or --long"
            ))
        }
    };
    // The venvs (one per interpreter, each a `pip install` of the pinned tools) are made in a
    // background thread while the Rust checks compile: on a fresh clone that is minutes of
    // mostly waiting on downloads and files, which the compiler's two cores do not need.
    let venvs = std::thread::spawn(prepare_venvs);
    run_step("cargo", &["fmt", "--all", "--check"])?;
    run_step(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    run_step("cargo", &["test", "--workspace"])?;

    let (venvs, log) = venvs
        .join()
        .map_err(|_| "the thread preparing the venvs panicked".to_owned())?;
    eprint!("{log}");
    let mut venvs = venvs.into_iter();
    let venv = venvs
        .next()
        .ok_or_else(|| "no default venv was prepared".to_owned())?
        .venv?;
    venv.develop(Profile::Debug)?;
    let root = workspace_root();
    let dirs: Vec<&str> = PYTHON_DIRS
        .into_iter()
        .filter(|d| root.join(d).is_dir())
        .collect();
    if dirs.is_empty() {
        eprintln!("# no Python directories to check with ruff");
    } else {
        venv.tool_step("ruff")
            .args(["check"])
            .args(dirs.iter().copied())
            .run()?;
        venv.tool_step("ruff")
            .args(["format", "--check"])
            .args(dirs.iter().copied())
            .run()?;
    }
    // The package's types, and the native stub against the built extension.
    venv.python_step()
        .args(["-m", "mypy", "python/limeade"])
        .run()?;
    venv.python_step()
        .args(["-m", "mypy.stubtest", "limeade._native"])
        .run()?;

    run_pytest(venv.python_step(), long)?;

    let mut failures = Vec::new();
    for prepared in venvs {
        eprintln!("# pytest on Python {}", prepared.version);
        let other = match prepared.venv {
            Ok(other) => other,
            Err(e) => {
                failures.push(format!("Python {}: {e}", prepared.version));
                continue;
            }
        };
        // The package is not installed there: its sources and the extension `maturin develop`
        // put next to them are imported from the checkout.
        let python_dir = root.join("python").display().to_string();
        if let Err(e) = run_pytest(other.python_step().env("PYTHONPATH", python_dir), long) {
            failures.push(format!("Python {}: {e}", prepared.version));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// A venv the tests run in, made (or found up to date) by [`prepare_venvs`].
struct PreparedVenv {
    /// `3.X` (for the default venv, the version of `python3`).
    version: String,
    venv: Result<venv::Venv, String>,
}

/// Make or update the default venv, then one venv per other interpreter found; returns them in
/// that order with the log of what ran (interpreters looked for and not found are reported
/// there). A failure is kept per venv: one broken interpreter does not stop the others.
fn prepare_venvs() -> (Vec<PreparedVenv>, String) {
    let mut log = String::new();
    let mut prepared = Vec::new();
    let (default_dir, default_python) = venv::DEFAULT;
    let venv = venv::ensure_at(default_dir, Path::new(default_python), Some(&mut log));
    let default_version = venv
        .as_ref()
        .ok()
        .and_then(|v| interpreters::version_of(&v.python()));
    prepared.push(PreparedVenv {
        version: default_version.clone().unwrap_or_else(|| "3".to_owned()),
        venv,
    });
    let found = interpreters::find();
    for minor in interpreters::SUPPORTED_MINORS {
        let version = format!("3.{minor}");
        if Some(&version) != default_version.as_ref() && !found.iter().any(|i| i.version == version)
        {
            log.push_str(&format!(
                "# Python {version}: not found on this machine, not tested\n"
            ));
        }
    }
    for interpreter in found {
        if Some(&interpreter.version) == default_version.as_ref() {
            continue;
        }
        log.push_str(&format!(
            "# venv for Python {} ({})\n",
            interpreter.version,
            interpreter.path.display()
        ));
        let venv = venv::ensure_at(
            &format!(".venv-{}", interpreter.version),
            &interpreter.path,
            Some(&mut log),
        );
        prepared.push(PreparedVenv {
            version: interpreter.version,
            venv,
        });
    }
    (prepared, log)
}

/// Run the pytest suite with `python` (a step running a venv's interpreter); `long` adds the
/// tests marked `long` (see `tests/conftest.py`).
fn run_pytest(python: crate::Step, long: bool) -> Result<(), String> {
    let pytest = python.args(["-m", "pytest", "-q"]);
    let pytest = if long {
        pytest.args(["--long"])
    } else {
        pytest
    };
    let status = pytest.status()?;
    match status.code() {
        Some(0) => Ok(()),
        Some(PYTEST_NO_TESTS) => Err(format!(
            "`{}` collected no tests (exit code {PYTEST_NO_TESTS}): the Python suite must not \
             be empty",
            pytest.command_line()
        )),
        _ => Err(format!("`{}` failed ({status})", pytest.command_line())),
    }
}
