"""Memory benchmark, run by ``cargo xtask bench memory`` (after a release build into ``.venv``):
what limeade keeps per tracked module, against the goal of at most 3x the modules' source size.

``MODULES`` generated modules (the comparison's generator, ``benches/compare/codegen.py``: about
3.2 MB of source in all) are imported in a fresh interpreter without limeade and in one with
limeade tracking them; in the second every module is then edited (one function body each) and
refreshed, twice (the second refresh shows whether old plans or trees stay alive). Each
interpreter reports its resident set size (``VmRSS``; tracemalloc does not see Rust's
allocations) at each point, and the limeade one what it keeps, by kind (the registry's own
accounting of its Rust data, and the lines it handed to ``linecache``).

limeade's memory is the growth of the limeade interpreter from its baseline, minus the growth of
the plain interpreter for the same imports. The baseline is taken after ``import limeade`` and a
refresh of one small module of its own (``WARMUP``): what the first refresh of a process
imports (the refresh machinery, and the stdlib modules it uses) and starts (limeade's parser
thread) is paid once per process, not per module, and is left out. After the imports, the
benchmark waits for limeade's background parse of the running sources (it starts once imports
have been quiet for a second) before the edits, as a program idle between start-up and the
first edit would: the trees it keeps are in the figures from then on.

The limeade interpreter imports limeade from a copy in the temporary directory, with its
bytecode caches written there, as an installed package (pip compiles it at install) would be
imported: compiling limeade's own modules from source instead leaves their compiler's
temporaries behind as free heap, which the later figures would use (about 1.5 MB less growth
measured, depending only on whether the project's tree happened to hold caches).

Everything is generated in a temporary directory; no file of the project is written.
"""

from __future__ import annotations

import sys

# Both interpreters compile from source (no bytecode caches written or read).
sys.dont_write_bytecode = True

import compileall  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import linecache  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent / "compare"))
import codegen  # noqa: E402

MODULES = 500
# Where in the temporary directory the limeade interpreter imports limeade from.
INSTALLED = "installed"
# Refreshed once before the baseline (see the docstring); never imported by the plain side.
WARMUP = "mem_warmup"
# ~6.4 KB of source per module: 500 modules make about 3.2 MB.
FUNCTIONS = 26
GOAL = 3.0
MB = 1e6

# The edit of every module: one function body, the two versions alternate.
EDIT_VERSIONS = (
    "        result.append(item * factor + 4)\n",
    "        result.append(item * factor - 4)\n",
)
# What ``function_4([3], 1)`` returns in each version.
EDIT_RESULTS = ([7], [-1])


def module_name(i: int) -> str:
    return f"mem_{i:04d}"


def module_text(version: int) -> str:
    base = codegen.big_module(FUNCTIONS)
    if base.count(EDIT_VERSIONS[0]) != 1:
        raise SystemExit("the generated module lacks its edit target")
    return base.replace(EDIT_VERSIONS[0], EDIT_VERSIONS[version])


def rss() -> int:
    """Resident set size in bytes, now."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise SystemExit("no VmRSS in /proc/self/status (the memory benchmark needs Linux)")


def settled_rss() -> int:
    gc.collect()
    return rss()


def linecache_bytes(paths: set[str]) -> int:
    """What the ``linecache`` entries of ``paths`` hold: the list and its line strings."""
    total = 0
    for path in paths:
        entry = linecache.cache.get(path)
        if entry is not None and len(entry) == 4 and entry[2] is not None:
            total += sys.getsizeof(entry[2]) + sum(map(sys.getsizeof, entry[2]))
    return total


def child(kind: str, folder: Path) -> dict[str, Any]:
    """Runs in its own interpreter: the measurements of one side."""
    out: dict[str, Any] = {"start": settled_rss()}
    sys.path.insert(0, str(folder))
    if kind == "limeade":
        sys.path.insert(0, str(folder / INSTALLED))
        import limeade

        if not limeade.__file__.startswith(str(folder / INSTALLED)):
            raise SystemExit(f"limeade imported from {limeade.__file__}, not from its copy")

        warm_up(limeade, folder)
        out["library"] = settled_rss()
    modules = [importlib.import_module(module_name(i)) for i in range(MODULES)]
    out["imported"] = settled_rss()
    if kind == "plain":
        return out
    wait_for_background_parse(limeade)
    out["parsed"] = settled_rss()
    if len(set(limeade.tracked()) & {m.__name__ for m in modules}) != MODULES:
        raise SystemExit("limeade does not track every generated module")
    paths = {m.__file__ for m in modules if m.__file__}
    for round_ in (1, 2):
        version = round_ % 2
        for i in range(MODULES):
            (folder / f"{module_name(i)}.py").write_text(module_text(version), encoding="utf-8")
        report = limeade.refresh()
        if len(report.modules) != MODULES or not all(m.changes for m in report.modules):
            raise SystemExit(f"refresh {round_} did not change every module:\n{report}")
        if any(m.function_4([3], 1) != EDIT_RESULTS[version] for m in modules):
            raise SystemExit(f"refresh {round_} did not take effect in every module")
        del report
        out[f"refresh{round_}"] = settled_rss()
        out[f"kept{round_}"] = {
            **dict(limeade._tracking.REGISTRY.memory_use()),
            "linecache": linecache_bytes(paths),
        }
    out["trimmed"] = trimmed_rss()
    return out


def warm_up(limeade: Any, folder: Path) -> None:
    """A refresh of the ``WARMUP`` module: the one-time imports and threads of a process's
    first refresh, before the baseline."""
    path = folder / f"{WARMUP}.py"
    path.write_text("def f():\n    return 1\n", encoding="utf-8")
    module = importlib.import_module(WARMUP)
    path.write_text("def f():\n    return 2\n", encoding="utf-8")
    limeade.refresh()
    if module.f() != 2:
        raise SystemExit("the warm-up refresh did not take effect")


def wait_for_background_parse(limeade: Any) -> None:
    """Until limeade's background parser has parsed every running source."""
    import time

    deadline = time.monotonic() + 120
    while limeade._tracking.REGISTRY.warm_queue() > 0:
        if time.monotonic() > deadline:
            raise SystemExit("the background parse did not finish within 120 s")
        time.sleep(0.05)


def trimmed_rss() -> int | None:
    """RSS after glibc's ``malloc_trim(0)`` gave the pages of freed memory back to the system
    (``None`` elsewhere): what is left of the growth is held, not merely freed and kept by the
    allocator for later."""
    if platform.libc_ver()[0] != "glibc":
        return None
    import ctypes

    ctypes.CDLL(None).malloc_trim(0)
    return settled_rss()


def install_copy(folder: Path) -> None:
    """limeade's package copied under ``folder`` (:data:`INSTALLED`), bytecode caches included."""
    spec = importlib.util.find_spec("limeade")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("limeade is not installed (build it first)")
    target = folder / INSTALLED / "limeade"
    shutil.copytree(
        spec.submodule_search_locations[0],
        target,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    if not compileall.compile_dir(str(target), quiet=1):
        raise SystemExit("limeade's copy did not compile")


def run_child(kind: str, folder: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the {kind} interpreter failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def mb(n: float) -> str:
    return f"{n / MB:.1f} MB"


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="limeade-memory-bench-"))
    try:
        text = module_text(0)
        for i in range(MODULES):
            (root / f"{module_name(i)}.py").write_text(text, encoding="utf-8")
        source = len(text.encode("utf-8")) * MODULES
        install_copy(root)
        plain = run_child("plain", root)
        lim = run_child("limeade", root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    plain_growth = plain["imported"] - plain["start"]

    def extra(point: str) -> int:
        return lim[point] - lim["library"] - plain_growth

    after = extra("refresh1")
    ratio = after / source
    print(f"limeade memory benchmark (Python {platform.python_version()}, RSS from VmRSS)")
    print(
        f"(5) {MODULES} tracked modules, {mb(source)} of source; each edited (one function) "
        "and refreshed, twice:"
    )
    print(f"    import without limeade: +{mb(plain_growth)}")
    print(
        "    (baseline after import limeade and a warm-up refresh of one module of its own: "
        "the first refresh's one-time imports and threads are not counted)"
    )
    print(
        f"    limeade's extra: after import {mb(extra('imported'))} "
        f"({extra('imported') / source:.1f}x source), "
        f"once the background parse is done {mb(extra('parsed'))} "
        f"({extra('parsed') / source:.1f}x source)"
    )
    print(
        f"    after the first refresh {mb(after)} ({ratio:.1f}x source)"
        f"  [goal <= {GOAL:g}x: {'met' if ratio <= GOAL else 'NOT MET'}]"
    )
    print(
        f"    after the second refresh {mb(extra('refresh2'))} "
        f"({extra('refresh2') / source:.1f}x source)"
    )
    kept = lim["kept1"]
    parts = ", ".join(f"{name.replace('_', ' ')} {mb(n)}" for name, n in kept.items())
    print(f"    kept after the first refresh: {parts}")
    if lim["trimmed"] is not None:
        print(
            f"    after malloc_trim(0): {mb(extra('trimmed'))} "
            f"({extra('trimmed') / source:.1f}x source); the rest of the growth is memory freed "
            "after the refresh's peak (both versions' trees and the plan) that the allocator keeps"
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], Path(sys.argv[3]))))
    else:
        main()
