"""Running a program as ``python script.py`` / ``python -m module`` would, with its ``__main__``
module tracked (so edits to the script itself are refreshed; its main guard never runs again):
same ``sys.argv``, ``sys.path[0]``, ``__main__`` module, exit status and exceptions."""

from __future__ import annotations

import builtins
import importlib.machinery
import os
import runpy
import sys
import types
from typing import Any

from . import _tracking


def run_script(path: str, args: list[str], *, track: bool = True) -> None:
    """Run the file at ``path`` as ``__main__``. Compiled from the very bytes recorded as the
    running source (when ``track``; not under ``LIMEADE_DISABLE``), like an imported module."""
    absolute = os.path.abspath(path)
    stamp = _tracking._stamp(absolute)
    with open(absolute, "rb") as f:
        source = f.read()
    main = types.ModuleType("__main__")
    main.__file__ = absolute
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", absolute)
    main.__spec__ = None
    main.__package__ = None
    main.__cached__ = None  # type: ignore[attr-defined]
    sys.modules["__main__"] = main
    sys.argv[:] = [path, *args]
    # `python script.py` puts the script's folder first on the path (symbolic links resolved).
    sys.path[0] = os.path.dirname(os.path.realpath(absolute))
    if track:
        _tracking.record("__main__", absolute, False, source, stamp)
    code = compile(source, absolute, "exec", dont_inherit=True)
    _run(code, main.__dict__)


def run_module(name: str, args: list[str]) -> None:
    """Run module ``name`` (a package's ``__main__``) as ``python -m`` would; the import hook
    records its source as the ``__main__`` module's."""
    _tracking.MAIN_ALIASES.update({name, f"{name}.__main__"})
    sys.argv[:] = [name, *args]
    try:
        _run_runpy(name)
    finally:
        _tracking.MAIN_ALIASES.clear()


def _run_runpy(name: str) -> None:
    try:
        runpy.run_module(name, run_name="__main__", alter_sys=True)
    except ImportError as e:
        if e.name is not None or not str(e).startswith(("No module named", "No code object")):
            raise
        # What `python -m missing` prints.
        print(f"{sys.executable}: {e}", file=sys.stderr)
        raise SystemExit(1) from None


def _run(code: types.CodeType, namespace: dict[str, Any]) -> None:
    exec(code, namespace)


def strip_own_frames(error: BaseException) -> BaseException:
    """The exception with the frames of limeade's launcher (and runpy) left out of its
    traceback, so it reads as it would under plain ``python``."""
    here = os.path.dirname(os.path.abspath(__file__))
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not (
            os.path.dirname(os.path.abspath(filename)) == here
            or filename in ("<frozen runpy>", runpy.__file__)
        ):
            break
        tb = tb.tb_next
    return error.with_traceback(tb)
