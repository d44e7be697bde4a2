"""The IPython / Jupyter extension: ``%load_ext limeade``.

Before each cell, changed tracked modules are refreshed in place (objects made by earlier cells
run the new code). Nothing is printed when nothing changed, one summary line when something did,
and one ``file:line: message`` line when the refresh failed: the cell then runs on the old code.
Functions and classes defined in cells are not in any file and are left alone.

``%limeade`` shows the plan, ``%limeade on`` / ``%limeade off`` turn the refresh before each
cell on and off, ``%limeade refresh`` refreshes now. This module is imported only by IPython
(``import limeade`` never imports IPython)."""

from __future__ import annotations

import re
import sys
import time
from typing import Any, Optional

import limeade

from . import _disable
from ._summary import error_line, summary_line

USAGE = "usage: %limeade [plan | on | off | refresh]"
_MAGIC_CELL = re.compile(r"\s*%limeade(\s|$)")


class LimeadeExtension:
    """The state of the extension in one shell: whether cells refresh, and the hooks it holds."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.enabled = True

    def register(self) -> None:
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.shell.register_magic_function(self.magic, magic_kind="line", magic_name="limeade")

    def unregister(self) -> None:
        try:
            self.shell.events.unregister("pre_run_cell", self.pre_run_cell)
        except ValueError:
            pass
        self.shell.magics_manager.magics["line"].pop("limeade", None)

    def pre_run_cell(self, info: Any = None) -> None:
        """IPython's ``pre_run_cell`` event (not sent for silent cells). A ``%limeade`` cell is
        left to the magic: ``%limeade`` must show the plan before it is applied."""
        cell = getattr(info, "raw_cell", None) or ""
        if self.enabled and not _MAGIC_CELL.match(cell):
            self.refresh(quiet=True)

    def refresh(self, *, quiet: bool) -> Optional[limeade.RefreshReport]:
        """Refresh now and print the outcome in one line; never raises (the cell must run)."""
        started = time.perf_counter()
        try:
            report = limeade.refresh()
        except Exception as e:
            print(f"limeade: {error_line(e)}", file=sys.stderr)
            return None
        if report:
            print(summary_line(report, time.perf_counter() - started))
        elif not quiet:
            print("limeade: nothing to refresh")
        return report

    def magic(self, line: str) -> None:
        """%limeade [plan | on | off | refresh]"""
        command = line.strip()
        if command in ("", "plan"):
            try:
                print(limeade.plan(), end="")
            except limeade.RefreshError as e:
                print(f"limeade: {error_line(e)}", file=sys.stderr)
        elif command in ("on", "off"):
            self.enabled = command == "on"
            print(f"limeade: refresh before each cell {command}")
        elif command == "refresh":
            self.refresh(quiet=False)
        else:
            print(USAGE, file=sys.stderr)


#: The extension of the shell it was loaded into (IPython has one shell per process).
_EXTENSION: Optional[LimeadeExtension] = None


def load_ipython_extension(shell: Any) -> None:
    """Called by ``%load_ext limeade``. With ``LIMEADE_DISABLE`` set, does nothing: no refresh
    before cells, no ``%limeade``."""
    global _EXTENSION
    if _disable.disabled():
        return
    if _EXTENSION is not None:
        _EXTENSION.unregister()
    _EXTENSION = LimeadeExtension(shell)
    _EXTENSION.register()


def unload_ipython_extension(shell: Any) -> None:
    """Called by ``%unload_ext limeade``: no refresh before cells, no ``%limeade``."""
    global _EXTENSION
    if _EXTENSION is not None:
        _EXTENSION.unregister()
        _EXTENSION = None
