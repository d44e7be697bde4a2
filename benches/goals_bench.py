"""The goals of issue 10, measured side by side in one run, each against its baseline measured in
the same run: ``cargo xtask bench goals`` (which builds the package in release mode into
``.venv`` first) runs ``python benches/goals_bench.py [--added N] [--rounds N] [--goals a,b]``.

Every figure comes from fresh interpreters: per round, one process (or more) per system and
goal, systems alternating which goes first, rounds interleaved across goals; figures are
medians of every timed sample. After every timed edit, the workload checks that the edit took
effect through an object made before it (the baselines that make new objects by design,
``importlib.reload`` and ``compile()`` + ``exec``, are checked through the new ones); a system
that fails a check is reported as failing, with no figure. The workloads are the comparison's
(``benches/compare/workloads.py``, run by its ``driver.py``) where it has them, else
``benches/goals_workloads.py``; the memory goal is ``benches/memory_bench.py``'s, run once after
the rounds (its figure joins the table). Prints one line per goal and writes the same table to
``bench/goals.md`` (unless ``--no-write``).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "compare"))
import machine  # noqa: E402

sys.path.insert(0, str(HERE))
import goals_workloads  # noqa: E402

DRIVER = HERE / "compare" / "driver.py"
WORKLOADS = HERE / "goals_workloads.py"
MEMORY_BENCH = HERE / "memory_bench.py"
RESULTS = HERE.parent / "bench" / "goals.md"


@dataclass
class Side:
    """One system of a goal: how to run one process of it."""

    label: str
    script: Path
    args: list[str]
    # Processes per round (one sample each for start-up), and whether only round 1 runs it.
    per_round: int = 1
    once: bool = False
    samples: list[float] = field(default_factory=list)
    failure: Optional[str] = None
    notes: list[str] = field(default_factory=list)
    extras: list[dict] = field(default_factory=list)
    first: list[float] = field(default_factory=list)


@dataclass
class Goal:
    key: str
    title: str
    # "<= limit ms" (absolute) or "<= limit x baseline" (ratio).
    limit: float
    ratio: bool
    limeade: Side
    baseline: Side
    copies: Optional[str] = None  # an installed package each process gets a fresh copy of

    def wanted(self) -> str:
        if self.ratio:
            return f"<= {self.limit:g}x {self.baseline.label}"
        return f"<= {self.limit:g} ms"


def make_goals(added: int, startup_root: Path) -> list[Goal]:
    def driver(system: str, workload: str, *extra: str) -> tuple[Path, list[str]]:
        return DRIVER, [system, workload, *extra]

    def own(workload: str, system: str, *extra: str) -> tuple[Path, list[str]]:
        return WORKLOADS, [workload, system, *extra]

    root = ["--root", str(startup_root)]
    return [
        Goal(
            "one-function",
            "one-function edit, 10,000-line module",
            1.0,
            False,
            Side("limeade.refresh()", *driver("limeade", "one-function", "--runs", "10")),
            Side("importlib.reload", *driver("reload", "one-function", "--runs", "10")),
        ),
        Goal(
            "sweep-packaging",
            "sweep of packaging, every definition moved",
            20.0,
            False,
            Side("limeade.refresh()", *own("sweep-packaging", "limeade", "--runs", "5")),
            Side("importlib.reload", *own("sweep-packaging", "reload", "--runs", "5")),
            copies="packaging",
        ),
        Goal(
            "sweep-rich",
            "sweep of rich, every definition moved, one function added per module",
            0.3,
            True,
            Side("limeade.refresh()", *own("sweep-rich", "limeade", "--runs", "5")),
            Side("importlib.reload", *own("sweep-rich", "reload", "--runs", "5")),
            copies="rich",
        ),
        Goal(
            "startup",
            f"start-up, {goals_workloads.STARTUP_MODULES} modules with .pyc caches",
            1.2,
            True,
            Side("import under limeade", *own("startup", "limeade", *root), per_round=3),
            Side("plain import", *own("startup", "plain", *root), per_round=3),
        ),
        Goal(
            "threads",
            "refresh while 4 threads run tight loops (0 torn results)",
            50.0,
            False,
            Side("limeade.refresh()", *driver("limeade", "threads", "--runs", "5")),
            Side("no threads", *own("threads-idle", "limeade", "--runs", "5")),
        ),
        Goal(
            "added",
            f"{added:,} functions added to a module",
            1.5,
            True,
            Side(
                "limeade.refresh()",
                *driver("limeade", "added", "--runs", "1", "--added", str(added)),
                once=True,
            ),
            Side("compile()+exec", *own("compile-exec", "plain", "--added", str(added))),
        ),
    ]


def installed_package(name: str) -> Path:
    module = __import__(name)
    return Path(module.__file__).parent


def run_side(goal: Goal, side: Side, cap: float) -> None:
    """One process of ``side``; its samples (or its failure) are added to it."""
    work = Path(tempfile.mkdtemp(prefix=f"limeade-goals-{goal.key}-"))
    args = list(side.args)
    try:
        if goal.copies:
            shutil.copytree(
                installed_package(goal.copies),
                work / goal.copies,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
            args += ["--root", str(work)]
        try:
            proc = subprocess.run(
                [sys.executable, str(side.script), *args],
                capture_output=True,
                text=True,
                timeout=cap,
                cwd=work,
            )
        except subprocess.TimeoutExpired:
            side.failure = f"did not finish within {cap:.0f} s"
            return
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith("@@bench "):
            message = json.loads(line[len("@@bench ") :])
            result = message.get("result", result)
    if result is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        side.failure = f"no result (exit {proc.returncode}): {' | '.join(tail)[:300]}"
        return
    if "failure" in result:
        side.failure = str(result["failure"])
        return
    side.samples.extend(result["samples"])
    side.first.extend(result.get("warmup_seconds", [])[:1])
    side.extras.append(result.get("extra", {}))
    if result.get("note"):
        side.notes.append(str(result["note"]))


def prime_startup(root: Path) -> None:
    """The start-up tree with CPython's own caches, written by a plain import of every module."""
    goals_workloads.write_startup_tree(root)
    count = goals_workloads.STARTUP_MODULES
    # Written even where PYTHONDONTWRITEBYTECODE is set.
    script = (
        "import importlib, sys\n"
        "sys.dont_write_bytecode = False\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        f"for i in range({count}):\n"
        "    importlib.import_module(f'boot.m{i:03d}')\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    # limeade's own caches too: pip writes them at install, but this machine's
    # PYTHONDONTWRITEBYTECODE would have every timed process compile limeade from source.
    spec = importlib.util.find_spec("limeade")
    if spec is not None and spec.origin:
        package = str(Path(spec.origin).parent)
        subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)


def ms(seconds: float) -> str:
    value = seconds * 1e3
    if value >= 10_000:
        return f"{seconds:.1f} s"
    if value >= 1_000:
        return f"{seconds:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


@dataclass
class Row:
    title: str
    figure: str
    baseline: str
    ratio: str
    wanted: str
    verdict: str
    notes: str


def summarise(goal: Goal) -> Row:
    lim, base = goal.limeade, goal.baseline
    notes = []
    figure = baseline = ratio = "-"
    if base.failure:
        notes.append(f"baseline failed: {base.failure}")
    elif base.samples:
        baseline = ms(statistics.median(base.samples))
    if lim.failure:
        notes.append(f"limeade failed: {lim.failure}")
        verdict = "NOT MET (failed)"
    else:
        median = statistics.median(lim.samples)
        figure = ms(median)
        if base.samples and not base.failure:
            value = median / statistics.median(base.samples)
            ratio = f"{value:.2f}x"
        else:
            value = None
        if goal.ratio:
            met = value is not None and value <= goal.limit
        else:
            met = median * 1e3 <= goal.limit
        if goal.key == "threads":
            torn = sum(extra.get("torn", 0) for extra in lim.extras)
            errors = sum(extra.get("errors", 0) for extra in lim.extras)
            calls = sum(extra.get("calls", 0) for extra in lim.extras)
            notes.append(f"{torn} torn, {errors} raised of {calls:,} calls")
            met = met and torn == 0 and errors == 0
        verdict = "met" if met else "NOT MET"
        notes.append(f"{len(lim.samples)} vs {len(base.samples)} samples")
    plain = [e["no_defaults_seconds"] for e in base.extras if "no_defaults_seconds" in e]
    if plain:
        notes.append(
            f"{base.label} of as many functions without a default value: "
            f"{ms(statistics.median(plain))} (CPython's compile is superlinear in functions "
            "with defaults)"
        )
    if goal.copies and lim.extras:
        notes.append(f"{lim.extras[0].get('modules')} modules")
    if lim.first and base.first:
        first_lim, first_base = statistics.median(lim.first), statistics.median(base.first)
        notes.append(f"first edit after import: {ms(first_lim)} vs {ms(first_base)}")
    baseline = f"{baseline} ({base.label})"
    return Row(goal.title, figure, baseline, ratio, goal.wanted(), verdict, "; ".join(notes))


def load() -> str:
    if not hasattr(os, "getloadavg"):
        return "n/a"
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| goal | limeade | baseline | ratio | wanted | verdict | notes |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row.title} | {row.figure} | {row.baseline} | {row.ratio} "
            f"| {row.wanted} | {row.verdict} | {row.notes} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--added", type=int, default=200_000, help="functions added (the issue's goal: 200,000)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--goals", default="", help="comma-separated subset of the goals")
    parser.add_argument("--cap", type=float, default=1800.0, help="seconds one process may take")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    args = parser.parse_args()

    started = time.perf_counter()
    load_before = load()
    startup_root = Path(tempfile.mkdtemp(prefix="limeade-goals-boot-"))
    try:
        goals = make_goals(args.added, startup_root)
        if args.goals:
            wanted = args.goals.split(",")
            unknown = sorted(set(wanted) - {g.key for g in goals} - {"memory"})
            if unknown:
                known = ", ".join([g.key for g in goals] + ["memory"])
                raise SystemExit(f"unknown goals {unknown} (known: {known})")
            goals = [g for g in goals if g.key in wanted]
        if any(g.key == "startup" for g in goals):
            prime_startup(startup_root)
        for r in range(args.rounds):
            for goal in goals:
                pair = [goal.limeade, goal.baseline]
                order = pair if r % 2 == 0 else pair[::-1]
                # Single runs alternate (limeade, baseline, limeade, ...): this shared machine's
                # speed drifts by tens of percent within a minute, and runs of one side in a row
                # would each catch a different phase of it.
                for i in range(max(side.per_round for side in pair)):
                    for side in order:
                        if side.failure or (side.once and r > 0) or i >= side.per_round:
                            continue
                        run_side(goal, side, args.cap)
                print(f"# round {r + 1}/{args.rounds}: {goal.key} done", file=sys.stderr)
    finally:
        shutil.rmtree(startup_root, ignore_errors=True)
    rows = [summarise(goal) for goal in goals]
    memory_output: list[str] = []
    if not args.goals or "memory" in args.goals.split(","):
        memory_row, memory_output = memory()
        rows.append(memory_row)
    seconds = time.perf_counter() - started
    header = [
        f"Goals of issue 10 ({datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC): "
        f"Python {platform.python_version()}, {os.cpu_count()} cores ({machine.cpu_model()}), "
        f"load average {load_before} before and {load()} after; "
        f"{args.rounds} interleaved rounds (memory after them), {seconds:.0f} s in all.",
        "",
        "Command: `cargo xtask bench goals"
        + ("" if args.added == 200_000 else f" --added {args.added}")
        + ("" if args.rounds == 3 else f" --rounds {args.rounds}")
        + (f" --goals {args.goals}" if args.goals else "")
        + "` (medians; every timed edit checked through an object made before it).",
        "",
    ]
    lines = header + table(rows) + memory_output
    print("\n".join(lines))
    if not args.no_write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text("# Goals of issue 10\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
        print(f"(written to {RESULTS.relative_to(HERE.parent)})")


# What ``benches/memory_bench.py`` prints about the goal (its figure after the first refresh).
MEMORY_FIGURE = re.compile(
    r"after the first refresh ([\d.]+ MB) \(([\d.]+)x source\)\s+"
    r"\[goal <= ([\d.]+)x: (met|NOT MET)\]"
)
MEMORY_SOURCE = re.compile(r"(\d+) tracked modules, ([\d.]+ MB) of source")


def memory() -> tuple[Row, list[str]]:
    """The memory goal, measured by ``benches/memory_bench.py`` (its own run, after the
    rounds): its row of the table, and its output."""
    title = "memory per tracked module, after a refresh"
    if not MEMORY_BENCH.exists():
        missing = "not measured: benches/memory_bench.py is not in this checkout"
        return Row(title, "-", "-", "-", "<= 3x source", "-", missing), []
    proc = subprocess.run(
        [sys.executable, str(MEMORY_BENCH)], capture_output=True, text=True, timeout=1800
    )
    output = (proc.stdout + proc.stderr).strip()
    figure, source = MEMORY_FIGURE.search(output), MEMORY_SOURCE.search(output)
    if proc.returncode != 0 or not figure or not source:
        failed = f"benches/memory_bench.py gave no figure (exit {proc.returncode}), see below"
        row = Row(title, "-", "-", "-", "<= 3x source", "NOT MET (failed)", failed)
    else:
        row = Row(
            f"memory, {source.group(1)} tracked modules, after a refresh",
            figure.group(1),
            f"{source.group(2)} (their source)",
            f"{figure.group(2)}x",
            f"<= {figure.group(3)}x source",
            figure.group(4),
            "RSS growth beyond plain imports (benches/memory_bench.py, output below)",
        )
    return row, ["", "`benches/memory_bench.py`:", "", "```", output, "```"]


if __name__ == "__main__":
    main()
