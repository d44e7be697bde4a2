//! Project chores behind `cargo xtask`: preview a plan, run every check, benchmark.

mod bench;
mod plan_cmd;
mod test_cmd;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  plan OLD NEW [--module NAME] [--json]   preview what a refresh would change (dry run);
                                          OLD and NEW are two .py files or two directories
  test                                    every check CI runs (fmt, clippy, cargo test, ...)
  bench [plan]                            benchmarks (release build)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("plan") => plan_cmd::run(&args[1..]),
        Some("test") => test_cmd::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("bench-run") => bench::run_in_release(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(format!("unknown or missing command\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Root of the workspace (xtask's parent directory), so commands work from any folder.
pub(crate) fn workspace_root() -> std::path::PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Run a command from the workspace root, failing with its name when it fails.
pub(crate) fn run_step(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = std::process::Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}
