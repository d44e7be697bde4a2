"""jurigged, driven as its watcher drives it: the registry records each module's source when it
is imported (``registry.auto_register``), and a changed file's ``CodeFile.refresh()`` re-reads it
and patches what changed. Its watchdog thread would call that refresh on a file event; here the
driver calls it for the edited files itself (no watcher thread, so no refresh runs twice), except
at start-up, where ``jurigged.watch()`` runs as a user starts it."""

from __future__ import annotations

LABEL = "jurigged"


class Adapter:
    writes_bytecode = False
    updates_old_objects = True
    # How the idle workload is run, since jurigged has no check of its own.
    idle_note = "refresh() of every CodeFile: jurigged has no check (watchdog events)"

    def start(self, root: str, startup: bool = False) -> None:
        import jurigged

        def ours(filename: str) -> bool:
            return filename.startswith(root)

        self._registry = jurigged.registry
        if startup:
            self._watcher = jurigged.watch(pattern=ours, logger=lambda *a, **k: None)
        else:
            self._registry.auto_register(filter=ours)

    def tracked(self, modules: list, startup: bool = False) -> None:
        if startup:
            return
        # The CodeFile of a module is built at its first change; build them now (untimed).
        for module in modules:
            if self._registry.get(module.__file__) is None:
                raise RuntimeError(f"jurigged did not register {module.__name__}")

    def apply(self, edited: list) -> None:
        for module in edited:
            self._registry.get(module.__file__).refresh()

    def idle(self) -> None:
        # No check exists (watchdog events say which file changed): the nearest equivalent is
        # asking every CodeFile to compare its file with what it holds.
        for codefile in list(self._registry.cache.values()):
            codefile.refresh()
