//! `cargo xtask bench`: benchmarks, built in release and measured side by side in one run.

/// Entry point of `cargo xtask bench`: re-runs itself in release mode.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut forwarded = vec![
        "run",
        "--release",
        "--quiet",
        "--package",
        "xtask",
        "--",
        "bench-run",
    ];
    forwarded.extend(args.iter().map(String::as_str));
    crate::run_step("cargo", &forwarded)
}

/// The benchmarks themselves (release build).
pub(crate) fn run_in_release(_args: &[String]) -> Result<(), String> {
    Err("no benchmarks yet".to_owned())
}
