//! `cargo xtask test`: every check CI runs, in the order that fails fastest: the Rust checks
//! first, then the Python package built into `.venv/` and checked with ruff and pytest, then the
//! pytest suite again on every other CPython >= 3.9 found on the machine (the abi3 extension
//! built once serves them all).

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

    let venv = venv::ensure()?;
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

    let default_version = interpreters::version_of(&venv.python());
    let mut failures = Vec::new();
    let found = interpreters::find();
    for minor in interpreters::SUPPORTED_MINORS {
        let version = format!("3.{minor}");
        if Some(&version) != default_version.as_ref() && !found.iter().any(|i| i.version == version)
        {
            eprintln!("# Python {version}: not found on this machine, not tested");
        }
    }
    for interpreter in found {
        if Some(&interpreter.version) == default_version.as_ref() {
            continue;
        }
        eprintln!(
            "# pytest on Python {} ({})",
            interpreter.version,
            interpreter.path.display()
        );
        let other = venv::ensure_at(&format!(".venv-{}", interpreter.version), &interpreter.path)?;
        // The package is not installed there: its sources and the extension `maturin develop`
        // put next to them are imported from the checkout.
        let python_dir = root.join("python").display().to_string();
        if let Err(e) = run_pytest(other.python_step().env("PYTHONPATH", python_dir), long) {
            failures.push(format!("Python {}: {e}", interpreter.version));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
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
