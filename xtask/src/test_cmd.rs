//! `cargo xtask test`: every check CI runs, in the order that fails fastest.

use crate::run_step;

/// Entry point of `cargo xtask test`.
pub(crate) fn run(_args: &[String]) -> Result<(), String> {
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
    Ok(())
}
