"""Files and folders other users can write, while a watcher runs.

A watcher runs whatever code is saved into the files it watches, inside this process: anyone who
can write a tracked module's file, or a watched folder, can run code here. When a tracked file or
a watched folder is writable by other users (``o+w``) the runner and :func:`limeade.watch` warn,
once per path, naming it. Group-writable paths are not warned about: a group is chosen on
purpose. A folder with the sticky bit (``/tmp``) still gets the warning: others cannot replace a
file they do not own there, but they can add a new module, which an import or an ``include``
pattern would then pick up.

Checked when a watcher starts (every tracked file and its folder, every folder it watches) and
as modules are tracked and folders are added while one runs. Not on Windows, where permissions
are ACLs that the mode bits do not show."""

from __future__ import annotations

import _thread
import os
import stat

from ._log import logger

#: `typing` is imported for type checking only: `import limeade` must not pay for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Callable, Optional


#: Paths already warned about: never twice in a process.
_WARNED: set[str] = set()
_lock = _thread.allocate_lock()
#: Whether a watcher runs: only then are newly tracked modules checked.
checking = False
#: Also told each warning (the runner prints it on its terminal): ``listener(message)``.
LISTENERS: list[Callable[[str], None]] = []


def _mode(path: str) -> Optional[int]:
    """The mode of ``path``, links followed (the target's mode is what counts)."""
    if os.name == "nt":
        return None
    try:
        return os.stat(path).st_mode
    except OSError:
        return None


def writable_by_others(path: str) -> bool:
    """Whether ``path`` (links followed) has ``o+w``."""
    mode = _mode(path)
    return mode is not None and bool(mode & stat.S_IWOTH)


def check(paths: Iterable[str]) -> None:
    """Warn once for each of ``paths`` (files and folders) that other users can write."""
    for path in paths:
        if path in _WARNED:
            continue
        mode = _mode(path)
        if mode is None or not mode & stat.S_IWOTH:
            continue
        with _lock:
            if path in _WARNED:
                continue
            _WARNED.add(path)
        _warn(path, mode)


def check_module_files(paths: Iterable[str]) -> None:
    """Tracked files: each file and the folder it is in (the registry watches that folder)."""
    folders: set[str] = set()
    files = []
    for path in paths:
        files.append(path)
        folders.add(os.path.dirname(path))
    check(files)
    check(sorted(folders))


def tracked_while_watching(path: str) -> None:
    """A module was just tracked: check it if a watcher runs."""
    if checking:
        check_module_files([path])


def _warn(path: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        what = "folder"
        risk = "anyone on this machine can add modules to it"
        if not mode & stat.S_ISVTX:
            risk += " or replace the ones there"
    else:
        what, risk = "file", "anyone on this machine can change it"
    message = (
        f"{what} {path} is writable by other users: {risk}, and limeade would run that code "
        f"in this process (chmod o-w {path})"
    )
    logger.warning("limeade: %s", message)
    for listener in list(LISTENERS):
        try:
            listener(message)
        except Exception:
            logger.exception("limeade: a warning listener raised")
