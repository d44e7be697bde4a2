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

    def apply(self, edited: list) -> None:
        self._limeade.refresh()

    def idle(self) -> None:
        report = self._limeade.refresh()
        if report:
            raise RuntimeError(f"an idle refresh changed something:\n{report}")
