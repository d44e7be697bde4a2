//! `cargo xtask demo`: save and see, end to end. Two demos share the machinery here (copying an
//! example to a temporary folder, running it under `python -m limeade run` with its output read
//! on two threads and every wait bounded by a deadline, saving an edit the way an editor does):
//! `dashboard` (the default: a terminal program that prints a line five times a second) and
//! `server` (`--server`: a FastAPI app under uvicorn, driven by a real HTTP client).

mod dashboard;
mod http;
mod program;
mod server;

use crate::venv::{self, Profile};
use crate::workspace_root;
use program::WorkDir;

/// Entry point of `cargo xtask demo [--server]`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let server = match args {
        [] => false,
        [flag] if flag == "--server" => true,
        [arg, ..] => {
            return Err(format!(
                "`cargo xtask demo` takes no argument but `--server` (got {arg:?})"
            ))
        }
    };
    let venv = venv::ensure()?;
    if server {
        server::check_venv(&venv)?;
    }
    venv.develop(Profile::Debug)?;
    let example = if server { "webapp" } else { "dashboard" };
    let shipped = workspace_root().join("examples").join(example);
    let work = WorkDir::new(&format!("limeade-demo-{example}-{}", std::process::id()));
    program::copy_dir(&shipped, work.path())?;
    if server {
        server::run_in(&venv, work.path())
    } else {
        dashboard::run_in(&venv, work.path())
    }
}
