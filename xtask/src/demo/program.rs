//! What both demos need: the temporary copy of an example, the program running from it (its
//! output lines read on two threads, every wait bounded by a deadline), and saving an edit the
//! way an editor does.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Instant;

use crate::Step;

/// The temporary copy of an example, removed however the demo ends.
pub(super) struct WorkDir(PathBuf);

impl WorkDir {
    /// A fresh folder `name` in the system's temporary directory.
    pub(super) fn new(name: &str) -> WorkDir {
        let dir = WorkDir(std::env::temp_dir().join(name));
        let _ = std::fs::remove_dir_all(&dir.0);
        dir
    }

    pub(super) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One line the program printed.
pub(super) enum Output {
    Stdout(String),
    Stderr(String),
}

/// A running example and everything it printed so far.
pub(super) struct Program {
    pub(super) child: Child,
    lines: Receiver<Output>,
    /// Every line, stdout and stderr (`! ` prefix) interleaved, for failure messages.
    pub(super) transcript: Vec<String>,
    /// What the program is called in messages ("the dashboard", "the server").
    name: &'static str,
}

impl Program {
    /// Print and start `step` with its output piped.
    pub(super) fn spawn(step: &Step, name: &'static str) -> Result<Program, String> {
        eprintln!("$ {}", step.command_line());
        let mut child = step
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", step.command_line()))?;
        let (tx, rx) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            forward(out, tx.clone(), Output::Stdout);
        }
        if let Some(err) = child.stderr.take() {
            forward(err, tx, Output::Stderr);
        }
        Ok(Program {
            child,
            lines: rx,
            transcript: Vec::new(),
            name,
        })
    }

    /// The next line of stdout, or of stderr written by limeade (`limeade: ...`; other stderr
    /// lines only go to the transcript); `Ok(None)` once the program closed its output, `Err`
    /// on timeout.
    pub(super) fn next(&mut self, deadline: Instant) -> Result<Option<Output>, ()> {
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

    /// Read the program's output until it closes it (the program is ending), then its exit
    /// status; `what` names the event the program failed to stop on, for the error.
    pub(super) fn finish(&mut self, deadline: Instant, what: &str) -> Result<ExitStatus, String> {
        loop {
            match self.next(deadline) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(()) => {
                    let message = format!("{} did not stop on {what}", self.name);
                    return Err(self.failure(&message));
                }
            }
        }
        self.child
            .wait()
            .map_err(|e| format!("waiting for {}: {e}", self.name))
    }

    /// Lines the program wrote to stderr that limeade did not (warnings, tracebacks).
    pub(super) fn other_stderr(&self) -> impl Iterator<Item = &String> {
        self.transcript
            .iter()
            .filter(|l| l.starts_with("! ") && !l.starts_with("! limeade:"))
    }

    /// An error with what went wrong and everything the program printed (the program is
    /// killed first, so the transcript is complete).
    pub(super) fn failure(&mut self, what: &str) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        while let Ok(line) = self.lines.try_recv() {
            match line {
                Output::Stdout(l) => self.transcript.push(l),
                Output::Stderr(l) => self.transcript.push(format!("! {l}")),
            }
        }
        let mut out = format!("{what}\n{} printed (stderr marked `!`):\n", self.name);
        for line in &self.transcript {
            out.push_str(&format!("  {line}\n"));
        }
        out
    }
}

impl Drop for Program {
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

/// One change a demo makes to a file of its example.
pub(super) struct Edit {
    /// Text the example contains exactly once.
    pub(super) old: &'static str,
    /// What it becomes.
    pub(super) new: &'static str,
    /// What the change means, for the summary.
    pub(super) what: &'static str,
}

/// Apply `edits` (and `top_line`, added at the top) to `path`, the file `shown_as` of the
/// shipped example, saving the way most editors do: a new file renamed over the old one, so
/// the program never reads a half-written file. Returns what was changed, for the summary.
pub(super) fn save_edits(
    path: &Path,
    shown_as: &str,
    edits: &[Edit],
    top_line: Option<&str>,
) -> Result<Vec<String>, String> {
    let mut text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut notes = Vec::new();
    if let Some(top) = top_line {
        notes.push(format!("added at the top: {}", top.trim_end()));
    }
    for edit in edits {
        if text.matches(edit.old).count() != 1 {
            return Err(format!(
                "{shown_as} no longer contains exactly one `{}`: update xtask/src/demo/ to \
                 match the example",
                edit.old.trim()
            ));
        }
        text = text.replace(edit.old, edit.new);
        let mut note = format!("{}:", edit.what);
        for line in edit.old.lines().filter(|l| !l.trim().is_empty()) {
            note.push_str(&format!("\n      - {}", line.trim_end()));
        }
        for line in edit.new.lines().filter(|l| !l.trim().is_empty()) {
            note.push_str(&format!("\n      + {}", line.trim_end()));
        }
        notes.push(note);
    }
    if let Some(top) = top_line {
        text.insert_str(0, top);
    }
    let temporary = path.with_extension("py.saving");
    std::fs::write(&temporary, &text)
        .map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .map_err(|e| format!("cannot save {}: {e}", path.display()))?;
    Ok(notes)
}

/// Copy an example (files and folders; no bytecode caches, no stale stop file).
pub(super) fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
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
