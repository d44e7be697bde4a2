//! `cargo xtask demo`: save and see, end to end. Copies `examples/dashboard` to a temporary
//! directory, runs it under `python -m limeade run main.py` with the project's `.venv` (the
//! program itself never calls limeade), saves an edit of `widgets.py` while it runs the way an
//! editor does (new text written to a temporary file renamed over the original: a new method
//! body, a line added at the top), and prints what the program printed before the save, the line
//! limeade printed when it refreshed, and the lines drawn with the new code.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::venv::{self, Profile};
use crate::workspace_root;

/// Lines the program must print before the edit.
const LINES_BEFORE: usize = 5;
/// Lines with the new behaviour the demo waits for after the refresh report.
const LINES_AFTER: usize = 3;
/// How long the program may take to print its first lines (interpreter start included).
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the edit may take to show up in the program's output.
const EDIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the program may take to stop once the stop file exists.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// The edits made to `widgets.py`: what to look for, what to put instead, and what it means.
const EDITS: [(&str, &str, &str); 2] = [
    (
        "    return f\"{name}: {value:5.1f}\"\n",
        "    return f\"{name.upper()} {value:5.1f}%\"\n",
        "status_line(): upper-case name, a % sign",
    ),
    (
        "        return \"[\" + \"#\" * filled + \".\" * (self.width - filled) + \"]\"\n",
        "        return \"<\" + \"=\" * filled + \" \" * (self.width - filled) + f\"> #{self.renders}\"\n",
        "Gauge.render(): another bar style, and the gauge's render count (kept from before the edit)",
    ),
];
/// The line added at the top of `widgets.py`, so every definition moves down one line.
const TOP_LINE: &str = "# Edited by `cargo xtask demo` while the dashboard was running.\n";

/// Whether a line of the program shows both edits.
fn shows_new_behaviour(line: &str) -> bool {
    line.contains("CPU ") && line.contains('%') && line.contains("> #")
}

/// Whether a line is one of the dashboard's regular lines.
fn is_tick(line: &str) -> bool {
    line.starts_with("tick ")
}

/// Entry point of `cargo xtask demo`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!(
            "`cargo xtask demo` takes no arguments (got {arg:?})"
        ));
    }
    let venv = venv::ensure()?;
    venv.develop(Profile::Debug)?;
    let shipped = workspace_root().join("examples").join("dashboard");
    let work = WorkDir(std::env::temp_dir().join(format!("limeade-demo-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&work.0);
    copy_dir(&shipped, &work.0)?;
    run_in(&venv, &work.0)
}

/// The temporary copy of the example, removed however the demo ends.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One line the program printed.
enum Output {
    Stdout(String),
    Stderr(String),
}

/// The running dashboard and everything it printed so far.
struct Dashboard {
    child: Child,
    lines: Receiver<Output>,
    /// Every line, stdout and stderr (`! ` prefix) interleaved, for failure messages.
    transcript: Vec<String>,
}

impl Dashboard {
    /// The next line of stdout, or of stderr written by limeade (`limeade: ...`); `Ok(None)`
    /// once the program closed its output, `Err` on timeout.
    fn next(&mut self, deadline: Instant) -> Result<Option<Output>, ()> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(Output::Stdout(line)) => {
                    self.transcript.push(line.clone());
                    return Ok(Some(Output::Stdout(line)));
                }
                Ok(Output::Stderr(line)) => {
                    self.transcript.push(format!("! {line}"));
                    if line.starts_with("limeade:") {
                        return Ok(Some(Output::Stderr(line)));
                    }
                }
                Err(RecvTimeoutError::Timeout) => return Err(()),
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
            }
        }
    }

    /// An error with what went wrong and everything the program printed.
    fn failure(&mut self, what: &str) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        while let Ok(line) = self.lines.try_recv() {
            match line {
                Output::Stdout(l) => self.transcript.push(l),
                Output::Stderr(l) => self.transcript.push(format!("! {l}")),
            }
        }
        let mut out = format!("{what}\nthe dashboard printed (stderr marked `!`):\n");
        for line in &self.transcript {
            out.push_str(&format!("  {line}\n"));
        }
        out
    }
}

impl Drop for Dashboard {
    /// Never leave the program running (it has exited already unless the demo failed).
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn forward(stream: impl Read + Send + 'static, tx: Sender<Output>, wrap: fn(String) -> Output) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(wrap(line)).is_err() {
                break;
            }
        }
    });
}

fn run_in(venv: &venv::Venv, work: &Path) -> Result<(), String> {
    let step = venv
        .python_step()
        .args(["-u", "-m", "limeade", "run", "main.py"])
        .dir(work);
    eprintln!("$ {}", step.command_line());
    let mut child = step
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", venv.python().display()))?;
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        forward(out, tx.clone(), Output::Stdout);
    }
    if let Some(err) = child.stderr.take() {
        forward(err, tx, Output::Stderr);
    }
    let mut dash = Dashboard {
        child,
        lines: rx,
        transcript: Vec::new(),
    };

    // 1. The program runs its original code.
    let mut before = Vec::new();
    let deadline = Instant::now() + START_TIMEOUT;
    while before.len() < LINES_BEFORE {
        match dash.next(deadline) {
            Ok(Some(Output::Stdout(line))) if is_tick(&line) => before.push(line),
            Ok(Some(_)) => {}
            Ok(None) => return Err(dash.failure("the dashboard stopped before the edit")),
            Err(()) => {
                let what = format!("no {LINES_BEFORE} lines within {START_TIMEOUT:?}");
                return Err(dash.failure(&what));
            }
        }
    }

    // 2. Edit widgets.py as a person would, and save it.
    let widgets = work.join("widgets.py");
    let edit_notes = match edit_widgets(&widgets) {
        Ok(notes) => notes,
        Err(e) => return Err(dash.failure(&e)),
    };
    let saved_at = Instant::now();

    // 3. Wait for limeade's line and for lines drawn with the new code.
    let mut report = Vec::new();
    let mut after = Vec::new();
    let mut stale_after_report = Vec::new();
    let mut picked_up = None;
    let deadline = saved_at + EDIT_TIMEOUT;
    while after.len() < LINES_AFTER {
        match dash.next(deadline) {
            Ok(Some(Output::Stdout(line))) if is_tick(&line) => {
                if report.is_empty() {
                    before.push(line);
                } else if shows_new_behaviour(&line) {
                    after.push(line);
                } else {
                    stale_after_report.push(line);
                }
            }
            Ok(Some(Output::Stderr(line))) => {
                picked_up.get_or_insert_with(|| saved_at.elapsed());
                report.push(line);
            }
            Ok(Some(Output::Stdout(_))) => {}
            Ok(None) => return Err(dash.failure("the dashboard stopped before the edit showed")),
            Err(()) => {
                let what = if report.is_empty() {
                    format!("limeade printed no refresh line within {EDIT_TIMEOUT:?} of the save")
                } else {
                    format!(
                        "the program reported a refresh, but printed no {LINES_AFTER} lines with \
                         the new behaviour within {EDIT_TIMEOUT:?} of the edit"
                    )
                };
                return Err(dash.failure(&what));
            }
        }
    }

    // 4. Stop the program through its stop file.
    let stop = work.join("STOP");
    std::fs::write(&stop, "").map_err(|e| format!("cannot write {}: {e}", stop.display()))?;
    let deadline = Instant::now() + STOP_TIMEOUT;
    let mut last = None;
    loop {
        match dash.next(deadline) {
            Ok(Some(Output::Stdout(line))) => last = Some(line),
            Ok(Some(Output::Stderr(_))) => {}
            Ok(None) => break,
            Err(()) => return Err(dash.failure("the dashboard ignored its stop file")),
        }
    }
    let status = dash
        .child
        .wait()
        .map_err(|e| format!("waiting for the dashboard: {e}"))?;
    let errors: Vec<&String> = dash
        .transcript
        .iter()
        .filter(|l| l.starts_with("! ") && !l.starts_with("! limeade:"))
        .collect();

    // 5. The summary.
    let shown = before.len().saturating_sub(LINES_BEFORE);
    println!(
        "limeade demo: examples/dashboard, run from a copy in {}",
        work.display()
    );
    println!();
    println!("before the edit (the program's last lines running the original code):");
    for line in &before[shown..] {
        println!("  {line}");
    }
    println!();
    println!("edit of widgets.py, saved while the program ran (temporary file renamed over it):");
    for note in &edit_notes {
        println!("  - {note}");
    }
    println!();
    let picked_up = picked_up.unwrap_or_default();
    println!(
        "limeade refreshed the running program ({} ms after the save; it never calls refresh()):",
        picked_up.as_millis()
    );
    for line in &report {
        println!("  {line}");
    }
    println!();
    println!("after the refresh (same process, same Gauge objects):");
    for line in stale_after_report.iter().chain(&after) {
        println!("  {line}");
    }
    println!();
    if let Some(last) = last {
        println!("{last} ({status})");
    }
    if !errors.is_empty() {
        println!("the program wrote to stderr:");
        for line in errors {
            println!("  {line}");
        }
    }
    if !stale_after_report.is_empty() {
        return Err(format!(
            "{} line(s) after the refresh report still ran the old code",
            stale_after_report.len()
        ));
    }
    if !status.success() {
        return Err(format!("the dashboard exited with {status}"));
    }
    Ok(())
}

/// Apply [`EDITS`] and [`TOP_LINE`] to `path`, saving the way most editors do (a new file
/// renamed over the old one, so the program never reads a half-written file). Returns what was
/// changed, for the summary.
fn edit_widgets(path: &Path) -> Result<Vec<String>, String> {
    let mut text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut notes = vec![format!("added at the top: {}", TOP_LINE.trim_end())];
    for (old, new, what) in EDITS {
        if text.matches(old).count() != 1 {
            return Err(format!(
                "examples/dashboard/widgets.py no longer contains exactly one `{}`: update \
                 xtask/src/demo.rs to match the example",
                old.trim()
            ));
        }
        text = text.replace(old, new);
        notes.push(format!(
            "{what}:\n      - {}\n      + {}",
            old.trim(),
            new.trim()
        ));
    }
    text.insert_str(0, TOP_LINE);
    let temporary = path.with_extension("py.saving");
    std::fs::write(&temporary, &text)
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .map_err(|e| format!("cannot save {}: {e}", path.display()))?;
    Ok(notes)
}

/// Copy the example (files and folders; no bytecode caches, no stale stop file).
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let path: PathBuf = entry.map_err(|e| e.to_string())?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        if name == "__pycache__" || name == "STOP" {
            continue;
        }
        let target = to.join(name);
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target)
                .map_err(|e| format!("cannot copy {}: {e}", path.display()))?;
        }
    }
    Ok(())
}
