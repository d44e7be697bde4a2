"""Plain ``importlib.reload``: the baseline. The user names the modules to reload; functions and
classes made before the reload keep their old code."""

from __future__ import annotations

import importlib

LABEL = "importlib.reload"


class Adapter:
    writes_bytecode = False
    updates_old_objects = False
    # Why the idle workload does not apply.
    no_idle_check = "no check: the user names the modules to reload"

    def start(self, root: str, startup: bool = False) -> None:
        pass

    def tracked(self, modules: list, startup: bool = False) -> None:
        pass

    def apply(self, edited: list) -> None:
        for module in edited:
            importlib.reload(module)

    def idle(self) -> None:
        raise NotImplementedError(self.no_idle_check)
