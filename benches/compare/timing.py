"""What every workload shares: saving a file so that every system can see the change, the timed
edit loop with its check through objects made before the edit, and the protocol lines xtask
reads (``@@bench {json}`` on stdout; anything else a tool prints is ignored)."""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Callable, Optional

# Untimed edits before the timed ones: caches every system builds on its first change.
WARMUP = 1
# Seconds an edit loop may take before it stops early (after one timed edit at least), so a
# slow system gets fewer samples instead of stretching the run; set by the driver.
BUDGET = 30.0

# A check returns None when the edit took effect, else what it saw.
Check = Callable[[int], Optional[str]]


def emit(message: dict) -> None:
    """One protocol line for xtask."""
    sys.stdout.write("@@bench " + json.dumps(message) + "\n")
    sys.stdout.flush()


def timed_next() -> None:
    """Tell xtask a timed operation starts: its time cap counts from here."""
    emit({"timed": True})


def save(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that every way of noticing a change notices it: the mtime
    is moved past the file's previous one and past its ``.pyc`` (file times are coarse, and the
    original Limeade compares the source's mtime with the ``.pyc``'s)."""
    floor = 0
    for stamp_of in (path, Path(importlib.util.cache_from_source(str(path)))):
        try:
            floor = max(floor, stamp_of.stat().st_mtime_ns)
        except OSError:
            pass
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns <= floor:
        later = floor + 10_000_000
        os.utime(path, ns=(later, later))


def failure_text(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {Path(last[0].filename).name}:{last[0].lineno}" if last else ""
    return f"raised {type(exc).__name__}: {str(exc)[:200]}{where}"


def edit_loop(
    adapter,
    runs: int,
    write: Callable[[int], None],
    edited: list,
    check_old: Check,
    check_attribute: Optional[Check] = None,
    warmup_version: Optional[int] = None,
) -> dict:
    """Save version 1, 0, 1, ... (``write(version)``), time ``adapter.apply(edited)`` after each
    save and check the edit took effect through objects made before it (``check_old``). A system
    that does not update old objects (``importlib.reload``) fails that check once; then it is
    timed with ``check_attribute`` (the module's attributes), and the result says so.

    The untimed warm-up edits save ``warmup_version`` when given (a plain edit, so a costly
    first edit of the timed kind is timed too), else the alternating versions. Their times are
    reported in ``extra``."""
    samples: list[float] = []
    result: dict = {"check": "old-object"}
    check = check_old
    version = 0
    warmups: list[float] = []
    result["warmup_seconds"] = warmups
    # As a running program would be when its first edit is saved: background work after the
    # imports (limeade's parse of the running sources) is over.
    settle = getattr(adapter, "settle", None)
    if settle is not None:
        settle()
    loop_start = time.perf_counter()
    for run in range(WARMUP + runs):
        if samples and time.perf_counter() - loop_start > BUDGET:
            result["budget_stop"] = True
            break
        if run < WARMUP and warmup_version is not None:
            version = warmup_version
        else:
            version = 1 if version != 1 else 0
        write(version)
        gc.collect()
        timed_next()
        start = time.perf_counter()
        try:
            adapter.apply(edited)
        except Exception as exc:
            return {"failure": f"edit {run + 1}: {failure_text(exc)}"}
        elapsed = time.perf_counter() - start
        problem = check(version)
        if problem and check is check_old and check_attribute and not adapter.updates_old_objects:
            result["old_object_failure"] = problem
            result["check"] = "module-attribute"
            check = check_attribute
            problem = check(version)
        if problem:
            return {"failure": f"edit {run + 1} did not take effect: {problem}"}
        (samples if run >= WARMUP else warmups).append(elapsed)
    result["samples"] = samples
    return result


def expect(got: object, wanted: object, what: str) -> Optional[str]:
    """None when ``got == wanted``, else a short account."""
    if got == wanted:
        return None
    return f"{what} gave {got!r}, expected {wanted!r}"


def call(function: Callable[[], object]) -> object:
    """The result of ``function()``, or the exception it raised, as text."""
    try:
        return function()
    except Exception as exc:
        return f"<{type(exc).__name__}: {exc}>"
