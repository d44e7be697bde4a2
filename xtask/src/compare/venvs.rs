//! The comparison's virtual environments, one per system, under `target/bench-venvs/`: the
//! peers installed from the pins in `benches/peers.txt`, a `plain` one for `importlib.reload`,
//! and `limeade`, where this checkout is built with `maturin build --release` and its wheel
//! installed (not an editable install: `maturin develop` elsewhere must not swap its extension).
//! A venv is made again only when its pins (or the interpreter) change: a stamp inside holds
//! their hash.

use std::path::{Path, PathBuf};

use crate::venv::{fnv1a, write_stamp, Venv};
use crate::{workspace_root, Step};

/// The pins of the peers, `<venv> <requirement>` per line.
pub(crate) const PEERS: &str = "benches/peers.txt";
/// Inside a venv: the hash of what was installed.
const STAMP: &str = ".xtask-peers-hash";
/// The file whose `maturin==` line pins the build tool of our own venv.
const DEV_REQUIREMENTS: &str = "requirements-dev.txt";

/// Folder of the comparison's venvs.
pub(crate) fn venvs_dir() -> PathBuf {
    workspace_root().join("target").join("bench-venvs")
}

/// The requirements `benches/peers.txt` pins for `venv`, in file order.
fn pins_for(text: &str, venv: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once(char::is_whitespace))
        .filter(|(name, _)| *name == venv)
        .map(|(_, requirement)| requirement.trim().to_owned())
        .collect()
}

/// The `maturin==X` line of `requirements-dev.txt`.
fn maturin_pin() -> Result<String, String> {
    let path = workspace_root().join(DEV_REQUIREMENTS);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .map(str::trim)
        .find(|line| line.starts_with("maturin=="))
        .map(str::to_owned)
        .ok_or_else(|| format!("{DEV_REQUIREMENTS} pins no maturin"))
}

/// Make sure the venv `name` exists with exactly `requirements` installed (made with
/// `python3`); returns it.
fn ensure(name: &str, requirements: &[String]) -> Result<Venv, String> {
    let venv = Venv::at(venvs_dir().join(name));
    let interpreter = python3_version()?;
    let hash = format!(
        "{:016x}",
        fnv1a(format!("{interpreter}\n{}", requirements.join("\n")).as_bytes())
    );
    let stamp = venv.root().join(STAMP);
    let installed = std::fs::read_to_string(&stamp).unwrap_or_default();
    if venv.python().exists() && installed.trim() == hash {
        eprintln!(
            "# {} up to date with {PEERS}",
            crate::display_path(venv.root())
        );
        return Ok(venv);
    }
    if venv.root().exists() {
        std::fs::remove_dir_all(venv.root())
            .map_err(|e| format!("cannot remove {}: {e}", venv.root().display()))?;
    }
    let root = venv.root().display().to_string();
    Step::new("python3").args(["-m", "venv", &root]).run()?;
    if !requirements.is_empty() {
        venv.python_step()
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-q"])
            .args(requirements.iter().cloned())
            .run()?;
    }
    write_stamp(&stamp, &hash)?;
    Ok(venv)
}

/// `python3 --version`, part of every stamp: a new interpreter makes new venvs.
fn python3_version() -> Result<String, String> {
    let output = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The venvs of `venv_names` (those `benches/peers.txt` names, `plain`, `limeade`), made or
/// updated; `limeade`'s gets a fresh release build of this checkout.
pub(crate) fn prepare(venv_names: &[&str]) -> Result<Vec<(String, Venv)>, String> {
    let peers_path = workspace_root().join(PEERS);
    let peers = std::fs::read_to_string(&peers_path)
        .map_err(|e| format!("cannot read {}: {e}", peers_path.display()))?;
    let mut out = Vec::new();
    for &name in venv_names {
        let venv = match name {
            "plain" => ensure(name, &[])?,
            "limeade" => {
                let venv = ensure(name, &[maturin_pin()?])?;
                install_release_build(&venv)?;
                venv
            }
            _ => {
                let pins = pins_for(&peers, name);
                if pins.is_empty() {
                    return Err(format!("{PEERS} pins nothing for the venv {name:?}"));
                }
                ensure(name, &pins)?
            }
        };
        out.push((name.to_owned(), venv));
    }
    Ok(out)
}

/// `maturin build --release` of this checkout, its wheel installed into `venv` (cargo rebuilds
/// only what changed).
fn install_release_build(venv: &Venv) -> Result<(), String> {
    let wheels = venvs_dir().join("wheels");
    if wheels.exists() {
        std::fs::remove_dir_all(&wheels)
            .map_err(|e| format!("cannot clear {}: {e}", wheels.display()))?;
    }
    let wheels_arg = wheels.display().to_string();
    venv.tool_step("maturin")
        .args(["build", "--release", "-q", "--out", &wheels_arg])
        .run()?;
    let wheel = only_wheel(&wheels)?;
    venv.python_step()
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            "--force-reinstall",
            "--no-deps",
        ])
        .args([wheel.display().to_string()])
        .run()
}

fn only_wheel(dir: &Path) -> Result<PathBuf, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let wheels: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .collect();
    match wheels.as_slice() {
        [wheel] => Ok(wheel.clone()),
        _ => Err(format!(
            "expected one wheel in {}, found {}",
            dir.display(),
            wheels.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::pins_for;

    #[test]
    fn pins_are_read_per_venv_in_order() {
        let text = "# comment\nipython a==1\njurigged b==2\n\nipython  c==3\n";
        assert_eq!(pins_for(text, "ipython"), ["a==1", "c==3"]);
        assert_eq!(pins_for(text, "jurigged"), ["b==2"]);
        assert!(pins_for(text, "plain").is_empty());
    }
}
