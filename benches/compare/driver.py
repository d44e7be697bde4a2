"""Runs one workload with one system, inside that system's venv, and prints the result as a
``@@bench {json}`` line on stdout. ``cargo xtask bench compare`` starts one process per system
per workload per round and reads those lines; run it by hand to debug one cell:

    target/bench-venvs/jurigged/bin/python benches/compare/driver.py jurigged one-function --runs 3
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADAPTERS = HERE / "adapters"


def load_adapter(system: str):
    """The adapter module of ``system`` (loaded by path, under a name no package uses)."""
    path = ADAPTERS / f"{system}.py"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in ADAPTERS.glob("*.py")))
        raise SystemExit(f"unknown system {system!r} (known: {known})")
    spec = importlib.util.spec_from_file_location(f"bench_adapter_{system}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system")
    parser.add_argument("workload")
    parser.add_argument("--runs", type=int, default=5, help="timed edits after the warm-up")
    parser.add_argument("--added", type=int, default=200_000, help="functions added (workload 6)")
    parser.add_argument(
        "--budget", type=float, default=30.0, help="seconds after which an edit loop stops early"
    )
    args = parser.parse_args()

    adapter_module = load_adapter(args.system)
    adapter = adapter_module.Adapter()
    # Bytecode caches only for the system that needs them (set before any generated import).
    sys.dont_write_bytecode = not adapter.writes_bytecode

    import timing
    import workloads

    timing.BUDGET = args.budget

    workload = workloads.WORKLOADS.get(args.workload)
    if workload is None:
        raise SystemExit(
            f"unknown workload {args.workload!r} (known: {', '.join(workloads.WORKLOADS)})"
        )
    root = Path(tempfile.mkdtemp(prefix=f"limeade-compare-{args.system}-"))
    sys.path.insert(0, str(root))
    started = time.perf_counter()
    try:
        if args.workload != "startup":
            adapter.start(str(root))
        result = workload(adapter, root, args.runs, added=args.added)
    except Exception as exc:
        result = {"failure": f"setup {timing.failure_text(exc)}"}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result.update(
        system=args.system,
        label=adapter_module.LABEL,
        workload=args.workload,
        seconds=time.perf_counter() - started,
        python=sys.version.split()[0],
    )
    timing.emit({"result": result})


if __name__ == "__main__":
    main()
