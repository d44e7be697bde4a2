//! Project chores behind `cargo xtask`: preview a plan, run every check, run the demo, benchmark.

mod bench;
mod bench_cases;
mod compare;
mod demo;
mod interpreters;
mod plan_cmd;
mod test_cmd;
mod venv;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  plan OLD NEW [--module NAME] [--json]   preview what a refresh would change (dry run);
                                          OLD and NEW are two .py files or two directories
  demo                                    run examples/dashboard under `python -m limeade run`,
                                          save an edit like an editor does and show the
                                          running program change
  demo --server                           the same with a FastAPI app (examples/webapp) under
                                          uvicorn, asked over HTTP before and after the save:
                                          new answers, same process, model and counter
  test [--long]                           every check CI runs (fmt, clippy, cargo test, ruff,
                                          pytest on every CPython >= 3.9 found); --long also
                                          runs the long tests (minutes: long runs, big inputs)
  bench [plan] [refresh] [memory]         benchmarks (release builds); no name runs all three
  bench compare [--rounds N] [--runs N] [--added N] [--cap SECS] [--budget SECS]
                [--systems a,b] [--workloads a,b] [--no-write]
                                          limeade against IPython autoreload, jurigged,
                                          limeade 0.1.1 and importlib.reload, each in its own
                                          venv (target/bench-venvs/); writes bench/results.md
  bench goals [--added N] [--rounds N] [--goals a,b] [--no-write]
                                          the goals of issue 10, each against its baseline
                                          in one run; writes bench/goals.md
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("plan") => plan_cmd::run(&args[1..]),
        Some("test") => test_cmd::run(&args[1..]),
        Some("demo") => demo::run(&args[1..]),
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
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// A path as people read it: relative to the workspace root when it is inside it.
pub(crate) fn display_path(path: &Path) -> String {
    let root = workspace_root();
    path.strip_prefix(&root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// One command run as a step: printed (`$ ...`) before it runs, from the workspace root unless
/// told otherwise, failing with its command line when it fails.
pub(crate) struct Step {
    program: PathBuf,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    dir: PathBuf,
}

impl Step {
    /// A step running `program` (a name looked up on `PATH`, or a path).
    pub(crate) fn new(program: impl Into<PathBuf>) -> Step {
        Step {
            program: program.into(),
            args: Vec::new(),
            envs: Vec::new(),
            dir: workspace_root(),
        }
    }

    /// Append arguments.
    pub(crate) fn args<I, S>(mut self, args: I) -> Step
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Set an environment variable for the command.
    pub(crate) fn env(mut self, key: &str, value: impl Into<String>) -> Step {
        self.envs.push((key.to_owned(), value.into()));
        self
    }

    /// Run in `dir` instead of the workspace root.
    pub(crate) fn dir(mut self, dir: impl Into<PathBuf>) -> Step {
        self.dir = dir.into();
        self
    }

    /// The command line as printed: `KEY=value program args`, paths relative to the root when
    /// the command runs there, else `cd DIR && ...` with absolute paths.
    pub(crate) fn command_line(&self) -> String {
        let at_root = self.dir == workspace_root();
        let show = |path: &Path| {
            if at_root {
                display_path(path)
            } else {
                path.display().to_string()
            }
        };
        let mut words: Vec<String> = Vec::new();
        if !at_root {
            words.push(format!("cd {} &&", self.dir.display()));
        }
        words.extend(
            self.envs
                .iter()
                .map(|(k, v)| format!("{k}={}", show(Path::new(v)))),
        );
        words.push(show(&self.program));
        words.extend(self.args.iter().cloned());
        words.join(" ")
    }

    /// The command, ready to run or spawn.
    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).current_dir(&self.dir);
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }

    /// Run the command with its output appended to `log` (with the command line and the time it
    /// took) instead of the terminal: for steps run in a background thread while another step
    /// has the terminal. Fails with the command line when it fails.
    pub(crate) fn run_logged(&self, log: &mut String) -> Result<(), String> {
        let started = std::time::Instant::now();
        let output = self.command().output().map_err(|e| self.cannot_run(e))?;
        log.push_str(&format!("$ {}\n", self.command_line()));
        log.push_str(&String::from_utf8_lossy(&output.stdout));
        log.push_str(&String::from_utf8_lossy(&output.stderr));
        log.push_str(&self.took(started));
        log.push('\n');
        self.succeeded(output.status)
    }

    /// Print and run the command, returning its exit status; the time it took is printed
    /// after it (CI's wall-clock budget is spent here, step by step).
    pub(crate) fn status(&self) -> Result<ExitStatus, String> {
        eprintln!("$ {}", self.command_line());
        let started = std::time::Instant::now();
        let status = self.command().status().map_err(|e| self.cannot_run(e))?;
        eprintln!("{}", self.took(started));
        Ok(status)
    }

    /// Print and run the command; an error names it when it fails.
    pub(crate) fn run(&self) -> Result<(), String> {
        self.succeeded(self.status()?)
    }

    /// `# 12.3 s: COMMAND`, the line that closes a step.
    fn took(&self, started: std::time::Instant) -> String {
        format!(
            "# {:.1} s: {}",
            started.elapsed().as_secs_f64(),
            self.command_line()
        )
    }

    fn cannot_run(&self, error: std::io::Error) -> String {
        format!("cannot run {}: {error}", display_path(&self.program))
    }

    /// `Ok` for a successful exit, else an error naming the command.
    fn succeeded(&self, status: ExitStatus) -> Result<(), String> {
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.command_line()))
        }
    }
}

/// Run a command from the workspace root, failing with its name when it fails.
pub(crate) fn run_step(program: &str, args: &[&str]) -> Result<(), String> {
    Step::new(program).args(args.iter().copied()).run()
}
