//! `cargo xtask bench`: benchmarks, built in release and measured side by side in one run. Goals
//! live here, not in timed tests. `plan` times the Rust planning core (xtask re-runs itself in
//! release); `refresh` runs `benches/refresh_bench.py` against a release build of the package;
//! `memory` runs `benches/memory_bench.py` (what limeade keeps per tracked module, in RSS);
//! `compare` measures limeade against the alternatives (`crate::compare`).

use std::time::{Duration, Instant};

use limeade_plan::{
    plan, plan_parsed, ModuleMeta, ModuleSource, ParsedModule, ParsedPair, Version,
};

/// The benchmarks `cargo xtask bench` knows; no name runs them all.
const BENCHMARKS: [&str; 3] = ["plan", "refresh", "memory"];

/// Entry point of `cargo xtask bench [plan] [refresh] [memory]` and `cargo xtask bench compare [...]`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if args.first().map(String::as_str) == Some("compare") {
        return crate::compare::run(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("goals") {
        return bench_goals(&args[1..]);
    }
    let mut names: Vec<&str> = args.iter().map(String::as_str).collect();
    if names.is_empty() {
        names = BENCHMARKS.to_vec();
    }
    if let Some(unknown) = names.iter().find(|n| !BENCHMARKS.contains(n)) {
        return Err(format!(
            "unknown benchmark {unknown:?} (known: {})",
            BENCHMARKS.join(", ")
        ));
    }
    for name in names {
        match name {
            "plan" => plan_in_release()?,
            "memory" => bench_python("benches/memory_bench.py")?,
            _ => bench_python("benches/refresh_bench.py")?,
        }
    }
    Ok(())
}

/// `bench plan`: xtask re-runs itself in release mode.
fn plan_in_release() -> Result<(), String> {
    crate::run_step(
        "cargo",
        &[
            "run",
            "--release",
            "--quiet",
            "--package",
            "xtask",
            "--",
            "bench-run",
            "plan",
        ],
    )
}

/// `bench refresh` / `bench memory`: a script of `benches/` against a release build of the
/// package.
fn bench_python(script: &str) -> Result<(), String> {
    let venv = crate::venv::ensure()?;
    venv.develop(crate::venv::Profile::Release)?;
    venv.python_step().args([script]).run()
}

/// `bench goals [--added N] [--rounds N] [--goals a,b] [--no-write]`: the goals of issue 10,
/// each against its baseline in one run (`benches/goals_bench.py`, release build).
fn bench_goals(args: &[String]) -> Result<(), String> {
    let venv = crate::venv::ensure()?;
    venv.develop(crate::venv::Profile::Release)?;
    venv.python_step()
        .args(["benches/goals_bench.py"])
        .args(args.iter().map(String::as_str))
        .run()
}

/// The benchmarks themselves (release build).
pub(crate) fn run_in_release(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        None | Some("plan") => bench_plan(),
        Some("plan-diff-loop") => diff_loop(),
        Some("plan-reparse-loop") => reparse_loop(),
        Some("plan-cases") => crate::bench_cases::bench_cases(),
        Some(other) => Err(format!("unknown benchmark {other:?} (known: plan)")),
    }
}

/// A realistic module of about `functions` functions, a tenth of them in classes.
fn synthetic_module(functions: usize) -> String {
    let mut out = String::from(
        "\"\"\"Generated benchmark module.\"\"\"\nimport os\nimport sys\n\nLIMIT = 10\n\n",
    );
    let mut i = 0;
    while i < functions {
        if i % 10 == 0 {
            out.push_str(&format!("\nclass Handler{i}(object):\n    \"\"\"Handles case {i}.\"\"\"\n    registry = []\n\n"));
            for m in 0..3 {
                out.push_str(&format!(
                    "    def method_{m}(self, value, *, scale={m}):\n        total = value * scale + {i}\n        if total > LIMIT:\n            total -= LIMIT\n        return total\n\n"
                ));
            }
            i += 3;
        } else {
            out.push_str(&format!(
                "\ndef function_{i}(items, factor=2):\n    \"\"\"Transform items ({i}).\"\"\"\n    result = []\n    seen = set()\n    for item in items:\n        if item in seen:\n            continue\n        seen.add(item)\n        result.append(item * factor + {i})\n    return [r for r in result if r % 3]\n"
            ));
            i += 1;
        }
    }
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub(crate) fn time<T>(runs: usize, mut work: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(work());
                start.elapsed()
            })
            .collect(),
    )
}

fn meta() -> ModuleMeta {
    ModuleMeta {
        name: "bench_module".to_owned(),
        path: "bench_module.py".to_owned(),
        is_package: false,
    }
}

fn mb_per_s(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64()
}

/// CPython's `ast.parse` on the same text, median of several runs, in seconds.
fn cpython_ast_parse(text: &str) -> Result<Duration, String> {
    let path = std::env::temp_dir().join(format!("limeade-bench-{}.py", std::process::id()));
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    let script = "import ast, sys, time\nsrc = open(sys.argv[1], encoding='utf-8').read()\nts = []\nfor _ in range(7):\n    t = time.perf_counter(); ast.parse(src); ts.append(time.perf_counter() - t)\nts.sort(); print(ts[len(ts) // 2])\n";
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    let _ = std::fs::remove_file(&path);
    let seconds: f64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|_| {
            format!(
                "python3 failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    Ok(Duration::from_secs_f64(seconds))
}

fn bench_plan() -> Result<(), String> {
    let old = synthetic_module(1_000);
    let lines = old.lines().count();
    let target = "        result.append(item * factor + 505)\n";
    if !old.contains(target) {
        return Err("benchmark module lacks its edit target".to_owned());
    }
    let new = old.replace(target, "        result.append(item * factor - 505)\n");
    let meta = meta();

    // (1) One-function edit with the previous tree known.
    let old_parsed =
        ParsedModule::parse(&meta.path, old.clone(), Version::Old).map_err(|e| e.to_string())?;
    let mut check = None;
    let incremental = time(50, || {
        let (new_parsed, kind) = old_parsed.reparse(new.clone()).expect("edit parses");
        let plan = plan_parsed(&[ParsedPair {
            meta: &meta,
            old: &old_parsed,
            new: &new_parsed,
        }]);
        check = Some((kind, plan));
    });
    let (kind, rendered) = check.ok_or("no run")?;
    let reparse_only = time(50, || old_parsed.reparse(new.clone()).expect("edit parses"));
    let (new_parsed, _) = old_parsed.reparse(new.clone()).map_err(|e| e.to_string())?;
    let diff_only = time(50, || {
        plan_parsed(&[ParsedPair {
            meta: &meta,
            old: &old_parsed,
            new: &new_parsed,
        }])
    });
    eprintln!(
        "    reparse {:.3} ms, plan_parsed {:.3} ms",
        reparse_only.as_secs_f64() * 1e3,
        diff_only.as_secs_f64() * 1e3
    );
    let rendered = rendered.render();
    if !rendered.contains("~ function_505  body") {
        return Err(format!("incremental plan is wrong:\n{rendered}"));
    }

    // (2) Cold plan: both versions parsed from scratch.
    let batch = [ModuleSource {
        meta: meta.clone(),
        old: old.clone(),
        new: new.clone(),
    }];
    let cold = time(15, || plan(&batch).expect("plans"));
    let single = time(15, || {
        ParsedModule::parse(&meta.path, old.clone(), Version::Old).expect("parses")
    });
    let cpython = cpython_ast_parse(&old)?;

    // (3) A 3 MB module, cold.
    let big_old = synthetic_module(12_000);
    let big_new = big_old.replace(target, "        result.append(item * factor - 505)\n");
    let big_batch = [ModuleSource {
        meta: meta.clone(),
        old: big_old.clone(),
        new: big_new,
    }];
    let big = time(3, || plan(&big_batch).expect("plans"));

    println!("limeade-plan benchmarks (release build, median of runs)");
    println!(
        "module: {lines} lines, {} KB, 1,000 functions/methods",
        old.len() / 1000
    );
    println!(
        "(1) one-function edit, previous tree known: {:.3} ms  [goal <= 2 ms]  ({kind:?})",
        incremental.as_secs_f64() * 1e3
    );
    let cold_rate = mb_per_s(old.len() + new.len(), cold);
    let single_rate = mb_per_s(old.len(), single);
    let cpython_rate = mb_per_s(old.len(), cpython);
    println!(
        "(2) cold plan, both versions parsed: {:.1} ms = {cold_rate:.1} MB/s; one version parsed: {:.1} ms = {single_rate:.1} MB/s",
        cold.as_secs_f64() * 1e3,
        single.as_secs_f64() * 1e3
    );
    println!(
        "    CPython ast.parse of the same text: {:.1} ms = {cpython_rate:.1} MB/s  -> limeade cold plan is {:.1}x ast.parse  [goal >= 2x]",
        cpython.as_secs_f64() * 1e3,
        cold_rate / cpython_rate
    );
    println!(
        "(3) cold plan of a {:.1} MB module: {:.0} ms  [goal: well under 1 s]",
        big_old.len() as f64 / 1e6,
        big.as_secs_f64() * 1e3
    );
    crate::bench_cases::bench_cases()
}

/// Matching alone, in a loop, for profilers (`perf record xtask bench-run plan-diff-loop`).
fn diff_loop() -> Result<(), String> {
    let old = synthetic_module(1_000);
    let new = old.replace("item * factor + 505)", "item * factor - 505)");
    let meta = meta();
    let old_parsed =
        ParsedModule::parse(&meta.path, old, Version::Old).map_err(|e| e.to_string())?;
    let (new_parsed, _) = old_parsed.reparse(new).map_err(|e| e.to_string())?;
    for _ in 0..500 {
        std::hint::black_box(plan_parsed(&[ParsedPair {
            meta: &meta,
            old: &old_parsed,
            new: &new_parsed,
        }]));
    }
    Ok(())
}

/// Incremental re-parse alone, in a loop, for profilers
/// (`perf record xtask bench-run plan-reparse-loop`).
fn reparse_loop() -> Result<(), String> {
    let old = synthetic_module(1_000);
    let meta = meta();
    let old_parsed =
        ParsedModule::parse(&meta.path, old.clone(), Version::Old).map_err(|e| e.to_string())?;
    let new = old.replace("item * factor + 505)", "item * factor - 505)");
    for _ in 0..3000 {
        std::hint::black_box(old_parsed.reparse(new.clone()).map_err(|e| e.to_string())?);
    }
    Ok(())
}
