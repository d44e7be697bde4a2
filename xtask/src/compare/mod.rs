//! `cargo xtask bench compare`: limeade against the reloaders a user would pick instead
//! (IPython's autoreload, jurigged, the original Limeade 0.1.1, plain `importlib.reload`), on
//! the same generated code, in one run. Each system runs in a venv of its own
//! (`venvs.rs`); every workload runs once per system per round, the systems interleaved, each
//! in a fresh process (`runner.rs`); the medians and ratios go to the terminal and to
//! `bench/results.md` (`report.rs`).

mod report;
mod runner;
mod venvs;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use runner::{DriverArgs, Outcome};

/// A system compared: its adapter (`benches/compare/adapters/<name>.py`), its venv, and
/// whether it needs `.pyc` files written.
pub(crate) struct System {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    venv: &'static str,
    writes_bytecode: bool,
}

/// The systems, limeade first (the ratios are to it).
pub(crate) const SYSTEMS: [System; 5] = [
    System {
        name: "limeade",
        label: "limeade",
        venv: "limeade",
        writes_bytecode: false,
    },
    System {
        name: "reload",
        label: "importlib.reload",
        venv: "plain",
        writes_bytecode: false,
    },
    System {
        name: "autoreload",
        label: "IPython autoreload",
        venv: "ipython",
        writes_bytecode: false,
    },
    System {
        name: "jurigged",
        label: "jurigged",
        venv: "jurigged",
        writes_bytecode: false,
    },
    System {
        name: "limeade_orig",
        label: "limeade 0.1.1",
        venv: "limeade-0.1.1",
        writes_bytecode: true,
    },
];

/// A workload: the driver's name for it, and how it reads in the table.
pub(crate) struct Workload {
    pub(crate) name: &'static str,
    pub(crate) title: &'static str,
    /// Processes per system per round (workloads with one sample per process run more).
    processes: usize,
}

pub(crate) const WORKLOADS: [Workload; 9] = [
    Workload {
        name: "one-function",
        title: "1. one function body edited, 10,000-line module",
        processes: 1,
    },
    Workload {
        name: "package",
        title: "2. 10 modules of a 200-module package edited at once",
        processes: 1,
    },
    Workload {
        name: "idle",
        title: "3. idle check, 1,000 tracked modules, no change",
        processes: 1,
    },
    Workload {
        name: "heap",
        title: "4. as 1, with 1,000,000 unrelated live objects",
        processes: 1,
    },
    Workload {
        name: "moved",
        title: "5. every definition moved (3 lines added at the top)",
        processes: 1,
    },
    Workload {
        name: "added",
        title: "6. functions added to a module",
        processes: 1,
    },
    Workload {
        name: "startup",
        title: "7. start-up: tool started, 500 modules imported",
        processes: 2,
    },
    Workload {
        name: "threads",
        title: "8. edit of 1 while 4 threads call into the module",
        processes: 1,
    },
    Workload {
        name: "planning",
        title: "9. planning throughput",
        processes: 1,
    },
];

/// The options of `bench compare`. The defaults keep a run near 25 minutes on a busy 2-core
/// machine; the full size is `--rounds 3 --runs 5 --added 200000`.
pub(crate) struct Options {
    pub(crate) rounds: usize,
    pub(crate) driver: DriverArgs,
    systems: Vec<&'static System>,
    workloads: Vec<&'static Workload>,
    write: bool,
}

const USAGE: &str = "usage: cargo xtask bench compare [--rounds N] [--runs N] [--added N] \
[--cap SECS] [--budget SECS] [--systems a,b] [--workloads a,b] [--no-write]";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        rounds: 2,
        driver: DriverArgs {
            runs: 3,
            added: 50_000,
            budget: Duration::from_secs(20),
            cap: Duration::from_secs(120),
        },
        systems: SYSTEMS.iter().collect(),
        workloads: WORKLOADS.iter().collect(),
        write: true,
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        if flag == "--no-write" {
            options.write = false;
            continue;
        }
        let value = iter
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag} wants a positive number, not {value:?}"))
        };
        match flag.as_str() {
            "--rounds" => options.rounds = number()?,
            "--runs" => options.driver.runs = number()?,
            "--added" => options.driver.added = number()?,
            "--cap" => options.driver.cap = Duration::from_secs(number()? as u64),
            "--budget" => options.driver.budget = Duration::from_secs(number()? as u64),
            "--systems" => options.systems = pick(value, &SYSTEMS, |s| s.name)?,
            "--workloads" => options.workloads = pick(value, &WORKLOADS, |w| w.name)?,
            _ => return Err(format!("unknown option {flag:?}\n{USAGE}")),
        }
    }
    if options.systems.first().map(|s| s.name) != Some("limeade") {
        return Err("--systems must start with limeade (the ratios are to it)".to_owned());
    }
    Ok(options)
}

fn pick<T>(list: &str, all: &'static [T], name: fn(&T) -> &str) -> Result<Vec<&'static T>, String> {
    list.split(',')
        .map(|wanted| {
            all.iter().find(|item| name(item) == wanted).ok_or_else(|| {
                let known: Vec<&str> = all.iter().map(name).collect();
                format!("unknown name {wanted:?} (known: {})", known.join(", "))
            })
        })
        .collect()
}

/// What a cell collected over the rounds.
#[derive(Default)]
pub(crate) struct Cell {
    pub(crate) results: Vec<serde_json::Value>,
    pub(crate) timeouts: usize,
    pub(crate) crashes: Vec<String>,
}

/// Entry point of `cargo xtask bench compare`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let mut venv_names: Vec<&str> = options.systems.iter().map(|s| s.venv).collect();
    venv_names.dedup();
    let venvs: BTreeMap<String, crate::venv::Venv> =
        venvs::prepare(&venv_names)?.into_iter().collect();
    let machine = report::machine(&venvs["plain"])?;
    let started = Instant::now();
    let mut cells: BTreeMap<(&str, &str), Cell> = BTreeMap::new();
    for round in 1..=options.rounds {
        for workload in &options.workloads {
            // Planning throughput is limeade's own (against ast.parse in the same process).
            let systems: Vec<&&System> = options
                .systems
                .iter()
                .filter(|s| workload.name != "planning" || s.name == "limeade")
                .collect();
            for _ in 0..workload.processes {
                for system in &systems {
                    eprintln!(
                        "# round {round}/{}: {} / {}  ({:.0} s in)",
                        options.rounds,
                        workload.name,
                        system.name,
                        started.elapsed().as_secs_f64()
                    );
                    let outcome = runner::run_cell(
                        &venvs[system.venv],
                        system.name,
                        workload.name,
                        system.writes_bytecode,
                        &options.driver,
                    )?;
                    let cell = cells.entry((workload.name, system.name)).or_default();
                    match outcome {
                        Outcome::Result(value) => cell.results.push(value),
                        Outcome::Timeout => cell.timeouts += 1,
                        Outcome::Crashed(text) => cell.crashes.push(text),
                    }
                }
            }
        }
    }
    let table = report::Report {
        options: &options,
        machine: &machine,
        cells: &cells,
        elapsed: started.elapsed(),
        command: std::iter::once("cargo xtask bench compare".to_owned())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
    }
    .render();
    println!("{table}");
    if options.write {
        let path = crate::workspace_root().join("bench").join("results.md");
        std::fs::create_dir_all(path.parent().unwrap_or(&path))
            .and_then(|()| std::fs::write(&path, &table))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("# written to {}", crate::display_path(&path));
    }
    Ok(())
}
