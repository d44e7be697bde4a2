//! `cargo xtask demo --server`: copies `examples/webapp` (a FastAPI app holding a request
//! counter and a model built once), serves it with
//! `python -m limeade run -m uvicorn app:app` on a free port of 127.0.0.1, asks it a few
//! questions over HTTP, saves an edit of `app.py` the way an editor does (a new response, a new
//! query parameter, a method added to the model's class), asks again, and shows that the answers
//! changed while the process, the model object and the counter did not. Ctrl+C (SIGINT) then
//! stops the server as it would in a terminal.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::http::{self, field, Response};
use super::program::{save_edits, Edit, Output, Program};
use crate::venv::Venv;

/// How long the server may take to answer its first request (interpreter start included).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Between two attempts to reach a server that is starting, the demo reads its output.
const RETRY_EVERY: Duration = Duration::from_millis(50);
/// How long the save may take to be refreshed.
const EDIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server may take to stop on SIGINT.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Asked before the edit; the `explain` parameter does not exist yet, so FastAPI ignores it.
const BEFORE: [&str; 3] = ["/pid", "/predict?x=2", "/predict?x=3&explain=true"];
/// Asked after the refresh: the same question first, then one without the new parameter.
const AFTER: [&str; 3] = ["/predict?x=3&explain=true", "/predict?x=4", "/pid"];

/// The edits made to `app.py`.
const EDITS: [Edit; 2] = [
    Edit {
        old: "        return self.slope * x + self.intercept\n",
        new: "        return self.slope * x + self.intercept\n\
              \n    def formula(self) -> str:\n        \
              return f\"{self.slope} * x + {self.intercept}\"\n",
        what: "Model gets a method (the MODEL built at start has it at once)",
    },
    Edit {
        old: "def predict(x: float) -> dict:\n    \
              \"\"\"The model's answer for ``x``.\"\"\"\n    \
              STATS[\"requests\"] += 1\n    \
              return {\"x\": x, \"y\": MODEL.predict(x), \"requests\": STATS[\"requests\"]}\n",
        new: "def predict(x: float, explain: bool = False) -> dict:\n    \
              \"\"\"The model's answer for ``x``, and how it was reached when asked.\"\"\"\n    \
              STATS[\"requests\"] += 1\n    \
              answer = {\"x\": x, \"prediction\": MODEL.predict(x), \"requests\": STATS[\"requests\"]}\n    \
              if explain:\n        \
              answer[\"formula\"] = MODEL.formula()\n    \
              return answer\n",
        what: "/predict: `y` renamed `prediction`, a new query parameter `explain`",
    },
];

/// Fail early, with the reason, when the venv's interpreter cannot import FastAPI and uvicorn
/// (`requirements-dev.txt` installs them only where a release supports the Python version).
pub(super) fn check_venv(venv: &Venv) -> Result<(), String> {
    if !cfg!(unix) {
        return Err(
            "`cargo xtask demo --server` stops the server with SIGINT (Ctrl+C), which \
                    needs a Unix system; `cargo xtask demo` runs everywhere"
                .to_owned(),
        );
    }
    let probe = "import sys; print('%d.%d' % sys.version_info[:2]); import fastapi, uvicorn";
    let out = venv
        .python_step()
        .args(["-c", probe])
        .command()
        .output()
        .map_err(|e| format!("cannot run {}: {e}", venv.python().display()))?;
    if out.status.success() {
        return Ok(());
    }
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why = stderr.lines().last().unwrap_or("no error message");
    Err(format!(
        "`cargo xtask demo --server` needs FastAPI and uvicorn in .venv, which runs Python \
         {version}, but they cannot be imported ({why}); requirements-dev.txt installs them on \
         CPython 3.9 and newer: recreate .venv with such a `python3` first on PATH \
         (delete .venv and run the command again)"
    ))
}

/// One request the demo made and what came back.
struct Exchange {
    path: &'static str,
    response: Response,
}

impl Exchange {
    fn field(&self, key: &str) -> Option<&str> {
        field(&self.response.body, key)
    }
}

/// Ask `path`; a failure message holding the server's output when it does not answer 200.
fn ask(server: &mut Program, port: u16, path: &'static str) -> Result<Exchange, String> {
    match http::get(port, path, REQUEST_TIMEOUT) {
        Ok(response) if response.status == 200 => Ok(Exchange { path, response }),
        Ok(response) => Err(server.failure(&format!(
            "GET {path} answered {}: {}",
            response.status, response.body
        ))),
        Err(e) => Err(server.failure(&format!("GET {path} failed: {e}"))),
    }
}

/// Try `GET /pid` until the server answers, reading its output between attempts (a server that
/// exits, or says nothing useful before the deadline, fails the demo with its output).
fn wait_until_serving(server: &mut Program, port: u16) -> Result<Duration, String> {
    let started = Instant::now();
    let deadline = started + START_TIMEOUT;
    loop {
        if http::get(port, "/pid", REQUEST_TIMEOUT).is_ok_and(|r| r.status == 200) {
            return Ok(started.elapsed());
        }
        if Instant::now() >= deadline {
            let what = format!("the server did not answer within {START_TIMEOUT:?}");
            return Err(server.failure(&what));
        }
        let wait = (Instant::now() + RETRY_EVERY).min(deadline);
        if let Ok(None) = server.next(wait) {
            return Err(server.failure("the server stopped before it answered"));
        }
    }
}

/// A free port on 127.0.0.1 (the system picks it; it stays free until the server takes it
/// unless another program is quicker, which would show as the server failing to start).
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))
}

/// Ctrl+C, as a terminal sends it.
fn interrupt(pid: u32) -> Result<(), String> {
    let status = Command::new("kill")
        .args(["-s", "INT", &pid.to_string()])
        .status()
        .map_err(|e| format!("cannot run `kill -s INT {pid}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`kill -s INT {pid}` failed ({status})"))
    }
}

/// Run the copy of the example in `work`: serve it, ask, edit, ask again, stop it.
pub(super) fn run_in(venv: &Venv, work: &Path) -> Result<(), String> {
    let port = free_port()?;
    let port_text = port.to_string();
    let step = venv
        .python_step()
        .args(["-u", "-m", "limeade", "run", "-m", "uvicorn", "app:app"])
        .args(["--host", "127.0.0.1", "--port", &port_text])
        .dir(work);
    let mut server = Program::spawn(&step, "the server")?;
    let pid = server.child.id();

    // 1. The server starts (the model is built once) and answers.
    let ready_after = wait_until_serving(&mut server, port)?;
    let mut before = Vec::new();
    for path in BEFORE {
        before.push(ask(&mut server, port, path)?);
    }

    // 2. Edit app.py as a person would, and save it.
    let app = work.join("app.py");
    let edit_notes = match save_edits(&app, "examples/webapp/app.py", &EDITS, None) {
        Ok(notes) => notes,
        Err(e) => return Err(server.failure(&e)),
    };
    let saved_at = Instant::now();

    // 3. Wait for limeade's line saying the app module was refreshed, then ask again.
    let mut report = Vec::new();
    let deadline = saved_at + EDIT_TIMEOUT;
    while !report
        .iter()
        .any(|l: &String| l.starts_with("limeade: app  "))
    {
        match server.next(deadline) {
            Ok(Some(Output::Stderr(line))) if line.contains("keeps running its previous code") => {
                return Err(server.failure("limeade could not apply the edit"))
            }
            Ok(Some(Output::Stderr(line))) => report.push(line),
            Ok(Some(Output::Stdout(_))) => {}
            Ok(None) => return Err(server.failure("the server stopped after the save")),
            Err(()) => {
                let what = format!("limeade reported no refresh within {EDIT_TIMEOUT:?}");
                return Err(server.failure(&what));
            }
        }
    }
    let picked_up = saved_at.elapsed();
    let mut after = Vec::new();
    for path in AFTER {
        after.push(ask(&mut server, port, path)?);
    }

    // 4. Ctrl+C: uvicorn shuts down as usual.
    let shown_from = server.transcript.len();
    interrupt(pid).map_err(|e| server.failure(&e))?;
    let status = server.finish(Instant::now() + STOP_TIMEOUT, "SIGINT")?;

    // 5. The summary.
    println!(
        "limeade demo --server: examples/webapp, run from a copy in {}",
        work.display()
    );
    println!(
        "server process {pid}, answering after {} ms",
        ready_after.as_millis()
    );
    for line in server
        .transcript
        .iter()
        .filter(|l| l.contains("loaded model"))
    {
        println!("  {line}");
    }
    println!();
    println!("before the edit:");
    for exchange in &before {
        println!("  GET {:<28} {}", exchange.path, exchange.response.body);
    }
    println!();
    println!("edit of app.py, saved while the server ran (temporary file renamed over it):");
    for note in &edit_notes {
        println!("  - {note}");
    }
    println!();
    println!(
        "limeade refreshed the running server ({} ms after the save; the app never calls \
         refresh()):",
        picked_up.as_millis()
    );
    for line in &report {
        println!("  {line}");
    }
    println!();
    println!("after the refresh (same process, same MODEL object, same counter):");
    for exchange in &after {
        println!("  GET {:<28} {}", exchange.path, exchange.response.body);
    }
    println!();
    println!("Ctrl+C (SIGINT) sent to process {pid}; the server printed:");
    for line in &server.transcript[shown_from..] {
        println!("  {}", line.trim_start_matches("! "));
    }
    println!("server exited: {status}");

    check(&server, pid, &before, &after)?;
    if !status.success() {
        return Err(format!("the server exited with {status} on SIGINT"));
    }
    Ok(())
}

/// What the demo shows must be true: the new code answered, nothing else changed.
fn check(
    server: &Program,
    pid: u32,
    before: &[Exchange],
    after: &[Exchange],
) -> Result<(), String> {
    let mut wrong = Vec::new();
    let pid_text = pid.to_string();
    let (pid_before, pid_after) = (&before[0], &after[2]);
    for exchange in [pid_before, pid_after] {
        if exchange.field("pid") != Some(pid_text.as_str()) {
            wrong.push(format!("/pid does not name the server process {pid}"));
        }
    }
    if pid_before.field("model").is_none() || pid_before.field("model") != pid_after.field("model")
    {
        wrong.push("MODEL is not the same object after the refresh".to_owned());
    }
    let loads = server
        .transcript
        .iter()
        .filter(|l| l.contains("loaded model"))
        .count();
    if loads != 1 {
        wrong.push(format!("the model was built {loads} times"));
    }
    let old_explained = &before[2];
    if old_explained.field("y").is_none() || old_explained.field("formula").is_some() {
        wrong.push("before the edit /predict did not answer with the original code".to_owned());
    }
    let new_explained = &after[0];
    if new_explained.field("prediction") != old_explained.field("y")
        || new_explained.field("formula").is_none()
        || after[1].field("prediction").is_none()
    {
        wrong.push("after the refresh /predict did not answer with the edited code".to_owned());
    }
    let counted_before: Option<u32> = old_explained.field("requests").and_then(|n| n.parse().ok());
    let counted_after: Option<u32> = new_explained.field("requests").and_then(|n| n.parse().ok());
    if counted_before.map(|n| n + 1) != counted_after {
        wrong.push("the request counter did not carry on across the refresh".to_owned());
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}
