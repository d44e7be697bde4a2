"""The original pure-Python Limeade (``limeade==0.1.1`` from the package index, in a venv of its
own). It finds changed modules by comparing a source file's mtime with its ``.pyc``'s, so it runs
with bytecode writing on (the driver sets ``sys.dont_write_bytecode = False``; xtask unsets
``PYTHONDONTWRITEBYTECODE``)."""

from __future__ import annotations

LABEL = "limeade 0.1.1"


class Adapter:
    writes_bytecode = True
    updates_old_objects = True

    def start(self, root: str, startup: bool = False) -> None:
        # limeade 0.1.1 uses importlib.machinery without importing it (a program usually has).
        import importlib.machinery  # noqa: F401

        import limeade

        if getattr(limeade, "__version__", None) != "0.1.1":
            raise RuntimeError(f"expected limeade 0.1.1, found {limeade.__file__}")
        self._limeade = limeade

    def tracked(self, modules: list, startup: bool = False) -> None:
        pass

    def apply(self, edited: list) -> None:
        # Scans every module of sys.modules and re-imports the stale ones.
        self._limeade.refresh()

    def idle(self) -> None:
        self._limeade.refresh()
