//! The project-local virtual environments: `.venv/` (the default `python3`, where `limeade` is
//! built with `maturin develop`) and one `.venv-X.Y/` per other interpreter the tests run on.
//! Each is created with `python -m venv` when missing, and the tools pinned in
//! `requirements-dev.txt` are installed when it is new or the pins changed (a stamp file inside
//! the venv holds the hash of the installed requirements).

use std::path::{Path, PathBuf};

use crate::{workspace_root, Step};

/// The file that pins the development tools.
const REQUIREMENTS: &str = "requirements-dev.txt";
/// Inside `.venv/`: the content hash of the requirements last installed.
const STAMP: &str = ".xtask-requirements-hash";

/// The project's virtual environment.
pub(crate) struct Venv {
    root: PathBuf,
}

/// Which build of the native extension `maturin develop` installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    /// Cargo's dev profile: fast to build (tests, demo).
    Debug,
    /// Optimised (benchmarks).
    Release,
}

impl Venv {
    /// The venv at `root` (which may not exist yet).
    pub(crate) fn at(root: PathBuf) -> Venv {
        Venv { root }
    }

    /// Its folder.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Path of an executable installed in the venv (`python`, `maturin`, `ruff`, ...).
    pub(crate) fn bin(&self, name: &str) -> PathBuf {
        if cfg!(windows) {
            self.root.join("Scripts").join(format!("{name}.exe"))
        } else {
            self.root.join("bin").join(name)
        }
    }

    /// The venv's interpreter.
    pub(crate) fn python(&self) -> PathBuf {
        self.bin("python")
    }

    /// A step running `python` of the venv with `VIRTUAL_ENV` set.
    pub(crate) fn python_step(&self) -> Step {
        self.tool_step("python")
    }

    /// A step running a tool installed in the venv, with `VIRTUAL_ENV` set as `activate` would.
    pub(crate) fn tool_step(&self, name: &str) -> Step {
        Step::new(self.bin(name)).env("VIRTUAL_ENV", self.root.display().to_string())
    }

    /// Build the `limeade` package (Rust extension + Python sources) into the venv.
    pub(crate) fn develop(&self, profile: Profile) -> Result<(), String> {
        let mut step = self.tool_step("maturin").args(["develop", "-q"]);
        if profile == Profile::Release {
            step = step.args(["--release"]);
        }
        step.run()
    }
}

/// The default venv's folder and the interpreter it is made with.
pub(crate) const DEFAULT: (&str, &str) = (".venv", "python3");

/// Make sure `.venv/` exists and has the pinned tools; returns it.
pub(crate) fn ensure() -> Result<Venv, String> {
    ensure_at(DEFAULT.0, Path::new(DEFAULT.1), None)
}

/// Make sure the venv `dir` (relative to the workspace root) made with `interpreter` exists and
/// has the pinned tools; returns it. The commands' output goes to `log` when one is given (a
/// background thread), else to the terminal.
pub(crate) fn ensure_at(
    dir: &str,
    interpreter: &Path,
    mut log: Option<&mut String>,
) -> Result<Venv, String> {
    let mut run = |step: Step| match log.as_deref_mut() {
        Some(log) => step.run_logged(log),
        None => step.run(),
    };
    let workspace = workspace_root();
    let venv = Venv {
        root: workspace.join(dir),
    };
    let stamp_path = venv.root.join(STAMP);
    let created = !venv.python().exists();
    if created {
        // A half-made venv may hold a stale stamp: the tools are installed again below.
        let _ = std::fs::remove_file(&stamp_path);
        run(Step::new(interpreter).args(["-m", "venv", dir]))?;
    }
    let requirements = workspace.join(REQUIREMENTS);
    let bytes = std::fs::read(&requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let hash = format!("{:016x}", fnv1a(&bytes));
    let installed = std::fs::read_to_string(&stamp_path).unwrap_or_default();
    if created || installed.trim() != hash {
        run(venv.python_step().args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "-r",
            REQUIREMENTS,
        ]))?;
        write_stamp(&stamp_path, &hash)?;
    } else {
        let line = format!(
            "# {} up to date with {REQUIREMENTS}",
            crate::display_path(&venv.root)
        );
        match log {
            Some(log) => {
                log.push_str(&line);
                log.push('\n');
            }
            None => eprintln!("{line}"),
        }
    }
    Ok(venv)
}

pub(crate) fn write_stamp(path: &Path, hash: &str) -> Result<(), String> {
    std::fs::write(path, format!("{hash}\n"))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// FNV-1a, 64 bits: a content hash that stays the same across Rust releases (unlike
/// `DefaultHasher`), which a stamp kept on disk needs.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
