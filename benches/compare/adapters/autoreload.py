"""IPython's autoreload as ``%autoreload 2`` runs it before every cell: a ``ModuleReloader`` with
``enabled`` and ``check_all`` on, whose ``check()`` compares every module's mtime with the one it
recorded and reloads the newer ones (through its AST-diffing "deduperreload" when it applies,
else ``superreload``, which patches old functions and classes)."""

from __future__ import annotations

LABEL = "IPython autoreload"


class Adapter:
    writes_bytecode = False
    updates_old_objects = True

    def start(self, root: str, startup: bool = False) -> None:
        from IPython.extensions.autoreload import ModuleReloader

        self._reloader = ModuleReloader()
        self._reloader.enabled = True
        self._reloader.check_all = True

    def tracked(self, modules: list, startup: bool = False) -> None:
        # What the check before the next cell does: records the new modules' mtimes and sources.
        self._reloader.check()

    def apply(self, edited: list) -> None:
        self._reloader.check()

    def idle(self) -> None:
        self._reloader.check()
