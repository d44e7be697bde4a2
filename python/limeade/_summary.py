"""One-line accounts of a refresh for people watching a running program (the IPython extension,
the signal handler's log): ``limeade: app.models  3 changes  2.1 ms`` after a refresh, and
``file:line: message`` for a refresh that failed, instead of a traceback."""

from __future__ import annotations

import os
import re
import traceback
from typing import Optional

from . import _native, _tracking
from ._errors import ApplyError, PlanError
from ._in_progress import RUNNING_NOW, SUSPENDED_NOW
from ._outcomes import NOT_UPDATED
from ._report import RefreshReport

#: The kind of a change that only moved a definition, as the planner words it.
MOVED = dict(_native.labels()[0])["moved"]
#: Module names shown before the rest are counted (``a, b, c +2 more``).
MAX_NAMES = 3


def summary_line(report: RefreshReport, seconds: float, prefix: str = "limeade:") -> str:
    """``limeade: app.models, app.views  3 changes  2.1 ms`` (the modules that changed), and
    what the program still runs the old way:
    ``; not updated: <__main__ block> (never re-run: ...)``. A line that only counted changes
    would read as success for an edit nothing took."""
    # The modules that changed (or, when nothing did, e.g. a comment edited, those refreshed).
    names = [m.module for m in report.modules if m.changes] or [
        m.module for m in report.modules if m.strategy != "skipped"
    ]
    shown = ", ".join(names[:MAX_NAMES])
    if len(names) > MAX_NAMES:
        shown += f" +{len(names) - MAX_NAMES} more"
    # Definitions that only moved (an import added above them) are counted apart: "14 changes"
    # for one added line would read as 14 edits.
    moved = sum(1 for c in report.changes if c.kind == MOVED)
    count = len(report.changes) - moved
    counted = f"{count} change" if count == 1 else f"{count} changes"
    if moved:
        counted = f"{moved} moved" if not count else f"{counted} (+{moved} moved)"
    line = f"{prefix} {shown}  {counted}  {seconds * 1000:.1f} ms"
    # Named with its module unless the line names that module alone (an importer's copy).
    alone = names[0] if len(names) == 1 else ""
    left = [c for c in report.changes if c.outcome == NOT_UPDATED]
    if left:
        first = left[0]
        where = first.where(alone)
        line += f"; not updated: {where} ({first.why})" if first.why else f"; not updated: {where}"
        if len(left) > 1:
            line += f" +{len(left) - 1} more"
    # Updated, but a call running now (a thread's loop) or a suspended generator goes on with
    # the old code: an edit of a loop that seems to do nothing is explained here.
    running = [c for c in report.changes if c.why.startswith(RUNNING_NOW) or SUSPENDED_NOW in c.why]
    if running:
        line += f"; old code until its running call returns: {running[0].where(alone)}"
        if len(running) > 1:
            line += f" +{len(running) - 1} more"
    return line


def error_line(error: BaseException) -> str:
    """Where and why a refresh failed, in one line: ``file:line: message``. The location
    is the plan error's position, or the line of the changed module's new code that raised (else
    the innermost frame outside limeade)."""
    message = str(error) or type(error).__name__
    location = _location(error)
    if location is None:
        return message
    path, line, col = location
    # Messages often start with the path already ("/app/m.py: running ..." or "/app/m.py:3:9: ").
    message = re.sub(rf"^{re.escape(path)}(:\d+){{0,2}}:\s*", "", message) or message
    where = f"{_short(path)}:{line}" + (f":{col}" if col else "")
    return f"{where}: {message}"


def _location(error: BaseException) -> Optional[tuple[str, int, Optional[int]]]:
    if isinstance(error, PlanError):
        return (error.path, error.line, error.col) if error.path and error.line else None
    cause = error.__cause__ if isinstance(error, ApplyError) else error
    if cause is None or cause.__traceback__ is None:
        return None
    own = _tracking.REGISTRY.path(error.module) if isinstance(error, ApplyError) else None
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    fallback = None
    for frame in reversed(traceback.extract_tb(cause.__traceback__)):
        if frame.lineno is None or not frame.filename or frame.filename.startswith("<"):
            continue
        if own and frame.filename == own:
            return frame.filename, frame.lineno, None
        if fallback is None and not os.path.abspath(frame.filename).startswith(package):
            fallback = (frame.filename, frame.lineno, None)
    return fallback


def _short(path: str) -> str:
    """The path relative to the working directory when it is below it (shorter to read)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if relative.startswith(os.pardir) else relative
