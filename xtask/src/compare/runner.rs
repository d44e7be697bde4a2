//! One cell of the comparison: `benches/compare/driver.py SYSTEM WORKLOAD` run with the
//! system's venv, its `@@bench {json}` lines read as they come. A timed operation that runs
//! longer than the cap (counted from the driver's last `{"timed": true}` line) gets the process
//! killed and the cell reported as a timeout.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::venv::Venv;

/// What one driver process gave.
pub(crate) enum Outcome {
    /// The driver's result object.
    Result(Value),
    /// Killed: a timed operation ran past the cap.
    Timeout,
    /// The process died without a result (its last stderr lines).
    Crashed(String),
}

/// The knobs passed to every driver process.
pub(crate) struct DriverArgs {
    pub(crate) runs: usize,
    pub(crate) added: usize,
    pub(crate) budget: Duration,
    pub(crate) cap: Duration,
}

/// Run `system` on `workload` in `venv`.
pub(crate) fn run_cell(
    venv: &Venv,
    system: &str,
    workload: &str,
    writes_bytecode: bool,
    args: &DriverArgs,
) -> Result<Outcome, String> {
    let mut step = venv.python_step().args([
        "benches/compare/driver.py".to_owned(),
        system.to_owned(),
        workload.to_owned(),
        "--runs".to_owned(),
        args.runs.to_string(),
        "--added".to_owned(),
        args.added.to_string(),
        "--budget".to_owned(),
        format!("{}", args.budget.as_secs_f64()),
    ]);
    if !writes_bytecode {
        step = step.env("PYTHONDONTWRITEBYTECODE", "1");
    }
    let mut command = step.command();
    if writes_bytecode {
        command.env_remove("PYTHONDONTWRITEBYTECODE");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", step.command_line()))?;
    let lines = read_lines(&mut child)?;
    let stderr = collect_stderr(&mut child)?;
    let mut deadline = Instant::now() + args.cap;
    let mut result = None;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let Some(json) = line.strip_prefix("@@bench ") else {
                    continue;
                };
                let message: Value = serde_json::from_str(json)
                    .map_err(|e| format!("bad line from the driver ({e}): {json}"))?;
                if message.get("timed").is_some() {
                    deadline = Instant::now() + args.cap;
                } else if let Some(value) = message.get("result") {
                    result = Some(value.clone());
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Only this process, which we started: its id, nothing broader.
                let _ = child.kill();
                let _ = child.wait();
                return Ok(Outcome::Timeout);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for the driver: {e}"))?;
    let stderr = stderr.join().unwrap_or_default();
    match result {
        Some(value) => Ok(Outcome::Result(value)),
        None => {
            let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Ok(Outcome::Crashed(format!("{status}: {}", tail.join(" | "))))
        }
    }
}

/// The child's stdout, line by line, on a channel (closed at end of file).
fn read_lines(child: &mut Child) -> Result<mpsc::Receiver<String>, String> {
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    Ok(receiver)
}

/// The child's stderr, read to the end on a thread (so a chatty tool never blocks on a full
/// pipe).
fn collect_stderr(child: &mut Child) -> Result<std::thread::JoinHandle<String>, String> {
    let mut stderr = child.stderr.take().ok_or("no stderr pipe")?;
    Ok(std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    }))
}
