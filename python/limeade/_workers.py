"""Worker processes of a program run with ``python -m limeade run``: each one refreshes on a save,
with its own watcher, as the program does.

- ``fork``: the child has a copy of the program's limeade; its watcher is re-created after the
  fork (``_tracking._after_fork_in_child``).
- ``spawn`` and ``forkserver``: the child is a fresh interpreter that never imported limeade.
  ``multiprocessing`` sends each child a dictionary of preparation data before it imports the
  program's main module; limeade adds one entry whose unpickling starts the same watcher in the
  child (``exec`` of a few lines that import limeade, and do nothing if it cannot be imported).
  The main module the child runs again as ``__mp_main__`` is tracked from the source it was
  compiled from.

Functions of the main module the child re-ran keep the namespace ``runpy`` made for them (the
module ``__mp_main__`` holds a copy): an edited body runs, a global the edit adds is not seen by
them in the worker."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any, Callable

from . import _tracking

#: The key of limeade's entry in multiprocessing's preparation data.
_KEY = "limeade_watch"

#: Run in the child while its preparation data is unpickled (before the main module is run).
_CHILD_CODE = """
try:
    from limeade._workers import start_in_child
except ImportError:
    import sys
    sys.path.append(package_root)
    try:
        from limeade._workers import start_in_child
    except ImportError:
        start_in_child = None
    finally:
        sys.path.remove(package_root)
if start_in_child is not None:
    start_in_child(settings)
"""


class _StartInChild:
    """Pickled as ``exec(_CHILD_CODE, {...})``: ``exec`` is a builtin every child can find."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        package_root = str(Path(__file__).resolve().parent.parent)
        names = {"settings": self.settings, "package_root": package_root}
        return (exec, (_CHILD_CODE, names))


def propagate(settings: dict[str, Any]) -> None:
    """Make every process ``multiprocessing`` spawns from now on start a watcher with
    ``settings`` (those of ``python -m limeade run``)."""
    import multiprocessing.spawn as spawn

    original = spawn.get_preparation_data
    if getattr(original, "limeade_settings", None) is not None:
        original = original.__wrapped__  # type: ignore[attr-defined]

    def get_preparation_data(name: str) -> dict[str, Any]:
        data = original(name)
        data[_KEY] = _StartInChild(settings)
        return data

    get_preparation_data.__wrapped__ = original  # type: ignore[attr-defined]
    get_preparation_data.limeade_settings = settings  # type: ignore[attr-defined]
    spawn.get_preparation_data = get_preparation_data


def start_in_child(settings: dict[str, Any]) -> None:
    """In a spawned worker, before its main module runs: start the watcher (unless one runs
    already, as in a child forked from a process that had one), track the main module the
    worker runs as ``__mp_main__``, and pass the same to the worker's own workers."""
    from . import _cli, _watch

    if not _watch._ACTIVE:
        _cli.start_watcher(settings)
    _track_main_module()
    propagate(settings)


def _track_main_module() -> None:
    """Record the main module the worker runs again as ``__mp_main__`` from the bytes read
    just before it runs (a save in between is then seen as a change, never missed)."""
    import multiprocessing.spawn as spawn

    from_path = spawn._fixup_main_from_path  # type: ignore[attr-defined]
    from_name = spawn._fixup_main_from_name  # type: ignore[attr-defined]

    def fixup_main_from_path(main_path: str) -> None:
        source = _read(main_path)
        from_path(main_path)
        _record_main(main_path, source)

    def fixup_main_from_name(mod_name: str) -> None:
        spec = importlib.util.find_spec(mod_name)
        origin = getattr(spec, "origin", None)
        path = origin if isinstance(origin, str) and origin.endswith(".py") else None
        source = _read(path) if path else None
        from_name(mod_name)
        if path:
            _record_main(path, source)

    spawn._fixup_main_from_path = fixup_main_from_path  # type: ignore[attr-defined]
    spawn._fixup_main_from_name = fixup_main_from_name  # type: ignore[attr-defined]


def _read(path: str) -> Any:
    try:
        stamp = _tracking._stamp(path)
        with open(path, "rb") as f:
            return f.read(), stamp
    except OSError:
        return None


def _record_main(path: str, source: Any) -> None:
    module = sys.modules.get("__mp_main__")
    if source is None or module is None or getattr(module, "__file__", None) is None:
        return
    if not _tracking.is_default_tracked(path):
        return
    data, stamp = source
    _tracking.record("__mp_main__", os.path.abspath(path), False, data, stamp)
