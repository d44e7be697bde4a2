"""This project's limeade (release build): ``limeade.refresh()`` finds and applies every change."""

from __future__ import annotations

LABEL = "limeade"


class Adapter:
    writes_bytecode = False
    updates_old_objects = True

    def start(self, root: str, startup: bool = False) -> None:
        # The import hook records each module's source as it is imported.
        import limeade

        self._limeade = limeade

    def tracked(self, modules: list, startup: bool = False) -> None:
        missing = [m.__name__ for m in modules if m.__name__ not in self._limeade.tracked()]
        if missing:
            raise RuntimeError(f"limeade does not track {len(missing)} modules: {missing[:3]}")

    def settle(self) -> None:
        """Before the first edit: the running sources are parsed in the background once imports
        went quiet (about a second after start-up, long before a person saves an edit)."""
        import time

        from limeade import _tracking

        deadline = time.monotonic() + 60
        while _tracking.REGISTRY.warm_queue() and time.monotonic() < deadline:
            time.sleep(0.02)

    def apply(self, edited: list) -> None:
        self._limeade.refresh()

    def idle(self) -> None:
        report = self._limeade.refresh()
        if report:
            raise RuntimeError(f"an idle refresh changed something:\n{report}")
