//! The default demo: copies `examples/dashboard`, runs it under `python -m limeade run main.py`
//! with the project's `.venv` (the program itself never calls limeade), saves an edit of
//! `widgets.py` while it runs the way an editor does (a new method body, a line added at the
//! top), and prints what the program printed before the save, the line limeade printed when it
//! refreshed, and the lines drawn with the new code.

use std::path::Path;
use std::time::{Duration, Instant};

use super::program::{save_edits, Edit, Output, Program};
use crate::venv;

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

/// The edits made to `widgets.py`.
const EDITS: [Edit; 2] = [
    Edit {
        old: "    return f\"{name}: {value:5.1f}\"\n",
        new: "    return f\"{name.upper()} {value:5.1f}%\"\n",
        what: "status_line(): upper-case name, a % sign",
    },
    Edit {
        old: "        return \"[\" + \"#\" * filled + \".\" * (self.width - filled) + \"]\"\n",
        new: "        return \"<\" + \"=\" * filled + \" \" * (self.width - filled) + f\"> #{self.renders}\"\n",
        what: "Gauge.render(): another bar style, and the gauge's render count (kept from before the edit)",
    },
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

/// Run the copy of the example in `work` and show the edit change it.
pub(super) fn run_in(venv: &venv::Venv, work: &Path) -> Result<(), String> {
    let step = venv
        .python_step()
        .args(["-u", "-m", "limeade", "run", "main.py"])
        .dir(work);
    let mut dash = Program::spawn(&step, "the dashboard")?;

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
    let edit = save_edits(
        &widgets,
        "examples/dashboard/widgets.py",
        &EDITS,
        Some(TOP_LINE),
    );
    let edit_notes = match edit {
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
    let status = dash.finish(deadline, "its stop file")?;
    let errors: Vec<&String> = dash.other_stderr().collect();

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
