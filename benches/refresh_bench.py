"""Benchmarks of ``limeade.refresh()`` in a live interpreter, run by ``cargo xtask bench refresh``
(which builds the package in release mode into ``.venv`` first).

(1) Idle: ``refresh()`` with 1,000 tracked modules and nothing changed. Goal: under 1 ms.
(2) One-function edit in a 10,000-line module: ``refresh()`` against ``importlib.reload()`` after
    the same kind of edit, every edit checked to have taken effect. Goal: limeade 10x faster.
(3) Heap size: a one-function edit with 1,000,000 unrelated live objects against an empty heap.
    Goal: at most 1.1x when no nested function changed (no heap search happens then); the cost
    when a nested function changed (one search for existing closures) is printed too.
(4) Rollback copies: a one-statement edit (program code runs, so containers are copied) in a
    module holding a 1,000,000-entry dict and list (above the copy limit: not copied) and
    holding containers at the limit, against the same module holding empty ones; and the time
    to copy the containers of every tracked module (and of the 1,000 modules of (1)).

Everything is generated in a temporary directory; no file of the project is written.
"""

from __future__ import annotations

import sys

# The reload baseline must compile from source every time, like limeade does: no bytecode caches
# (two versions of the same size saved within one second would share a cached .pyc).
sys.dont_write_bytecode = True

import gc  # noqa: E402
import importlib  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

import limeade  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent / "compare"))
import codegen  # noqa: E402

IDLE_MODULES = 1_000
IDLE_RUNS = 300
EDIT_FUNCTIONS = 1_000
EDIT_RUNS = 25
IDLE_GOAL_MS = 1.0
SPEEDUP_GOAL = 10.0

# The edited function, its two versions (same size), and what each returns for [3] with factor 1.
EDIT_TARGET = "function_505"
VERSION_LINES = (
    "        result.append(item * factor + 505)\n",
    "        result.append(item * factor - 505)\n",
)
VERSION_RESULTS = ([508], [-502])


def small_module(i: int) -> str:
    """One of the idle benchmark's small modules."""
    return (
        f'"""Generated module {i}."""\n\n'
        f"VALUE = {i}\n\n\n"
        f"def get(offset=0):\n    return VALUE + offset\n\n\n"
        f"class Item{i}:\n    def double(self):\n        return 2 * VALUE\n"
    )


def big_module(functions: int) -> str:
    """About ``functions`` functions and methods, ~10 lines each: the comparison's generator
    (``benches/compare/codegen.py``), the same shape as ``cargo xtask bench plan``'s module."""
    return codegen.big_module(functions)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def bench_idle(root: Path) -> tuple[float, float]:
    """Median time of ``refresh()`` with ``IDLE_MODULES`` tracked modules and no change, and of
    copying their containers and classes for rollback."""
    package = root / "idle"
    package.mkdir()
    # Files older than two seconds: limeade trusts their stamps instead of reading them again
    # (a file modified within two seconds is always re-read, as git does with "racy" entries).
    old = time.time() - 60
    names = []
    for i in range(IDLE_MODULES):
        path = package / f"idle_{i:04d}.py"
        path.write_text(small_module(i), encoding="utf-8")
        os.utime(path, (old, old))
        names.append(path.stem)
    sys.path.insert(0, str(package))
    try:
        modules = [importlib.import_module(name) for name in names]
    finally:
        sys.path.remove(str(package))
    tracked = set(limeade.tracked())
    missing = [name for name in names if name not in tracked]
    if missing:
        raise SystemExit(f"limeade does not track {len(missing)} generated modules: {missing[:3]}")
    if sum(m.get() for m in modules) != sum(range(IDLE_MODULES)):
        raise SystemExit("the generated modules do not work")
    report = limeade.refresh()
    if report:
        raise SystemExit(f"refresh() changed something although nothing was edited:\n{report}")
    samples = []
    gc.collect()
    for _ in range(IDLE_RUNS):
        start = time.perf_counter()
        report = limeade.refresh()
        samples.append(time.perf_counter() - start)
        if report:
            raise SystemExit(f"refresh() changed something although nothing was edited:\n{report}")
    # The figure only counts if an idle refresh still notices an edit to any of the modules.
    k = IDLE_MODULES // 2
    edited = package / f"{names[k]}.py"
    edited.write_text(small_module(k).replace("2 * VALUE", "3 * VALUE"), encoding="utf-8")
    report = limeade.refresh()
    changed = [c.qualname for c in report.changes]
    if changed != [f"Item{k}.double"]:
        raise SystemExit(f"refresh() after editing {edited.name} reported {changed}:\n{report}")
    if getattr(modules[k], f"Item{k}")().double() != 3 * k:
        raise SystemExit(f"refresh() reported the edit of {edited.name} but it did not take effect")
    copies = time_copies(modules)
    limeade.untrack(*names)
    for name in names:
        del sys.modules[name]
    return median_ms(samples), median_ms(copies)


def timed_edits(
    path: Path, base: str, apply: Callable[[], object], check: Callable[[], list[int]]
) -> list[float]:
    """Save alternating versions of ``path`` (always the other one than on disk) and time
    ``apply()`` after each save, checking with ``check()`` that the saved version runs. Two
    untimed rounds first (warm-up)."""
    samples = []
    for run in range(EDIT_RUNS + 2):
        version = 0 if VERSION_LINES[1] in path.read_text(encoding="utf-8") else 1
        path.write_text(base.replace(VERSION_LINES[0], VERSION_LINES[version]), encoding="utf-8")
        gc.collect()
        start = time.perf_counter()
        apply()
        elapsed = time.perf_counter() - start
        got = check()
        if got != VERSION_RESULTS[version]:
            raise SystemExit(
                f"edit {run + 1} of {path.name} did not take effect: "
                f"{EDIT_TARGET}([3], 1) returned {got}, expected {VERSION_RESULTS[version]}"
            )
        if run >= 2:
            samples.append(elapsed)
    return samples


def bench_edit(root: Path) -> tuple[int, float, float, float]:
    """Lines of the module and median times (ms) of ``refresh()``, ``plan()`` (the dry run) and
    ``importlib.reload()`` after a one-function edit."""
    base = big_module(EDIT_FUNCTIONS)
    if base.count(VERSION_LINES[0]) != 1:
        raise SystemExit("the generated module lacks its edit target")
    folder = root / "edit"
    folder.mkdir()
    lim_path = folder / "big_limeade.py"
    reload_path = folder / "big_reload.py"
    lim_path.write_text(base, encoding="utf-8")
    reload_path.write_text(base, encoding="utf-8")
    # On sys.path until the end: importlib.reload() looks the module up again.
    sys.path.insert(0, str(folder))
    try:
        return measure_edits(base, lim_path, reload_path)
    finally:
        sys.path.remove(str(folder))


def measure_edits(base: str, lim_path: Path, reload_path: Path) -> tuple[int, float, float, float]:
    lim_module = importlib.import_module("big_limeade")
    # The baseline is a plain module: limeade's import hook stays out of its reloads.
    limeade.untrack("big_reload")
    reload_module = importlib.import_module("big_reload")
    if "big_limeade" not in limeade.tracked() or "big_reload" in limeade.tracked():
        raise SystemExit(f"unexpected tracked modules: {limeade.tracked()}")

    # An old reference: limeade must change the very function object, so it sees the edit too.
    held = lim_module.function_505

    def refresh() -> None:
        report = limeade.refresh()
        if not report:
            raise SystemExit(f"refresh() found nothing to do after an edit:\n{report}")

    limeade_samples = timed_edits(lim_path, base, refresh, lambda: held([3], 1))

    def refresh_then_call() -> list[int]:
        refresh()
        return held([3], 1)

    dry_run_samples = timed_edits(lim_path, base, limeade.plan, refresh_then_call)
    if held is not lim_module.function_505:
        raise SystemExit("refresh() replaced the function object instead of changing it")
    reload_samples = timed_edits(
        reload_path,
        base,
        lambda: importlib.reload(reload_module),
        lambda: reload_module.function_505([3], 1),
    )
    return (
        base.count("\n"),
        median_ms(limeade_samples),
        median_ms(dry_run_samples),
        median_ms(reload_samples),
    )


HEAP_OBJECTS = 1_000_000
HEAP_RUNS = 15
HEAP_GOAL = 1.1

HEAP_MODULE = """
def make(n):
    def inner(x):
        return x + n + {k}
    return inner

def plain(x):
    return x + {k}
"""


class _Ballast:
    def __init__(self) -> None:
        self.value = 0


def bench_heap(root: Path) -> tuple[float, float, float, float]:
    """Median refresh time of a plain-function edit and of a nested-function edit, with an empty
    heap and with HEAP_OBJECTS extra live objects."""
    path = root / "heap_mod.py"
    path.write_text(HEAP_MODULE.format(k=0))
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("heap_mod")
        closure = module.make(1)
        counter = [0]

        def edit(which: str) -> Callable[[], None]:
            def run() -> None:
                counter[0] += 1
                k = counter[0] % 2 + 1
                text = HEAP_MODULE.format(k=0)
                if which == "plain":
                    text = text.replace("return x + 0\n", f"return x + {k}\n")
                else:
                    text = text.replace("return x + n + 0", f"return x + n + {k}")
                path.write_text(text)

            return run

        def measure(which: str) -> float:
            samples = []
            for _ in range(HEAP_RUNS):
                edit(which)()
                start = time.perf_counter()
                limeade.refresh()
                samples.append(time.perf_counter() - start)
            if which == "nested":
                assert closure(0) in (2, 3), "existing closure did not get the new code"
            else:
                assert module.plain(0) in (1, 2)
            return median_ms(samples)

        empty_plain, empty_nested = measure("plain"), measure("nested")
        # Instances of a class with a __dict__: tracked by the garbage collector, so a heap
        # search would have to walk them.
        ballast = [_Ballast() for _ in range(HEAP_OBJECTS)]
        full_plain, full_nested = measure("plain"), measure("nested")
        del ballast
        return empty_plain, full_plain, empty_nested, full_nested
    finally:
        sys.path.remove(str(root))
        limeade.untrack("heap_mod")
        sys.modules.pop("heap_mod", None)


# The edit changes a statement: program code runs, so the rollback copies are taken.
CONTAINER_MODULE = """
TABLE = {{}}
ITEMS = []
VERSION = {k}
"""
CONTAINER_RUNS = 25


def time_copies(modules: list[object]) -> list[float]:
    """Times of taking the rollback copies of ``modules``, with the garbage collector paused
    as ``refresh()`` does."""
    from limeade import _containers

    samples = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(CONTAINER_RUNS):
            start = time.perf_counter()
            _containers.take(modules)  # type: ignore[arg-type]
            samples.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return samples


def bench_containers(root: Path) -> tuple[float, float, float, int, float, int]:
    """Median refresh time of a one-statement edit in a module whose global dict and list are
    empty, hold 1,000,000 items, or hold exactly ``MAX_ITEMS`` (the largest copied), and that
    limit; then the time to copy the containers of every tracked module, and how many modules
    those are."""
    from limeade import _containers

    path = root / "container_mod.py"
    path.write_text(CONTAINER_MODULE.format(k=0))
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("container_mod")
        counter = [0]

        def measure() -> float:
            samples = []
            for _ in range(CONTAINER_RUNS):
                counter[0] += 1
                k = counter[0] % 2 + 1
                path.write_text(CONTAINER_MODULE.format(k=k))
                start = time.perf_counter()
                limeade.refresh()
                samples.append(time.perf_counter() - start)
                assert module.VERSION == k, "the edit did not take effect"
            return median_ms(samples)

        empty = measure()
        module.TABLE.update((i, str(i)) for i in range(HEAP_OBJECTS))
        module.ITEMS.extend(range(HEAP_OBJECTS))
        big = measure()
        limit = _containers.MAX_ITEMS
        module.TABLE.clear()
        module.TABLE.update((i, str(i)) for i in range(limit))
        del module.ITEMS[limit:]
        at_limit = measure()
        modules = [sys.modules[n] for n in limeade.tracked() if n in sys.modules]
        return empty, big, at_limit, limit, median_ms(time_copies(modules)), len(modules)
    finally:
        sys.path.remove(str(root))
        limeade.untrack("container_mod")
        sys.modules.pop("container_mod", None)


def main() -> None:
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="limeade-refresh-bench-"))
    try:
        idle, idle_copies = bench_idle(root)
        lines, lim, dry_run, reload = bench_edit(root)
        empty_plain, full_plain, empty_nested, full_nested = bench_heap(root)
        no_data, big_data, at_limit, limit, take, take_modules = bench_containers(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    speedup = reload / lim
    print(
        f"limeade.refresh() benchmarks (Python {platform.python_version()}, "
        f"median of runs, {time.perf_counter() - started:.0f} s in all)"
    )
    print(
        f"(1) idle refresh(), {IDLE_MODULES:,} tracked modules, nothing changed: {idle:.3f} ms"
        f"  [goal < {IDLE_GOAL_MS:g} ms: {verdict(idle < IDLE_GOAL_MS)}]"
    )
    print(
        f"    ({IDLE_RUNS} calls; an edit to one of the modules afterwards was picked up and ran)"
    )
    print(
        f"(2) one-function edit in a {lines:,}-line module ({EDIT_FUNCTIONS:,} functions/methods, "
        f"{EDIT_FUNCTIONS // 10} classes), {EDIT_RUNS} edits each, every edit checked by "
        "calling the function:"
    )
    print(f"    limeade.refresh():         {lim:8.2f} ms")
    print(f"    importlib.reload(module):  {reload:8.2f} ms")
    print(f"    (limeade.plan() alone, the dry run of the same edit: {dry_run:.2f} ms)")
    print(
        f"    -> limeade is {speedup:.1f}x faster than reload"
        f"  [goal >= {SPEEDUP_GOAL:g}x: {verdict(speedup >= SPEEDUP_GOAL)}]"
    )
    ratio = full_plain / empty_plain
    print(f"(3) refresh of a one-function edit, empty heap vs {HEAP_OBJECTS:,} extra live objects:")
    print(
        f"    no nested function changed:  {empty_plain:6.2f} ms vs {full_plain:6.2f} ms"
        f" = {ratio:.2f}x  [goal <= {HEAP_GOAL:g}x: {verdict(ratio <= HEAP_GOAL)}]"
    )
    print(
        f"    a nested function changed:   {empty_nested:6.2f} ms vs {full_nested:6.2f} ms"
        " (one heap search for the closures made before the edit)"
    )
    print("(4) refresh of a one-statement edit in a module whose global dict and list hold:")
    print(
        f"    nothing: {no_data:.2f} ms; {HEAP_OBJECTS:,} items each (not copied): "
        f"{big_data:.2f} ms; the copy limit, {limit:,} items each: {at_limit:.2f} ms"
    )
    print(
        f"    copying the containers of all {take_modules} tracked modules "
        f"(the 10,000-line module included) for rollback: {take:.3f} ms; "
        f"of the {IDLE_MODULES:,} modules of (1): {idle_copies:.2f} ms"
    )


if __name__ == "__main__":
    main()
