"""Save and see: refresh when a file is saved.

The native file watcher (one per process, shared with the registry's change detection) sleeps
without the GIL until a burst of events is over. A thread of ours then decides whether the burst
concerns tracked modules (or files matching ``include``) and marks a refresh as pending. The
refresh itself never runs on that thread: by default (``commit="main"``) the main thread is
woken with a signal whose default action is to be ignored (``SIGURG``), and its Python handler
refreshes right there, or, when an asyncio event loop runs on the main thread, schedules the
refresh between two callbacks. With ``commit="safe_point"`` only :func:`safe_point` applies it.
A main thread busy in C code (no Python bytecode running) runs the handler when it returns."""

from __future__ import annotations

import fnmatch
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterable
from typing import Any, Callable, Optional

from . import _disable, _exposure, _preload, _tracking

logger = logging.getLogger("limeade")

#: Never watched, never a reason to refresh (each pattern is matched against every path part).
DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "__pycache__",
    "node_modules",
    "site-packages",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "*.swp",
    "*.swo",
    "*.swx",
    "*~",
    ".#*",
    "#*#",
    "4913",
)
#: The signal that wakes the main thread: ignored by default, so a stray one harms nothing.
WAKE_SIGNAL: Optional[int] = getattr(signal, "SIGURG", None)
#: How often a refresh the main thread had to put off (it was refreshing already) is retried.
RETRY_MS = 50
_IDLE_WAIT_MS = 3_600_000

#: Watchers started and not stopped.
_ACTIVE: list[Watcher] = []
_PREVIOUS_HANDLER: Any = None
_HANDLER_INSTALLED = False


class Watcher:
    """Refreshes the program when its files are saved. Made by :func:`limeade.watch`; stop it
    with :meth:`stop` or use it as a context manager."""

    def __init__(
        self,
        paths: Optional[Iterable[str]],
        *,
        debounce_ms: int,
        poll: Optional[bool],
        include: Iterable[str],
        exclude: Iterable[str],
        on_refresh: Optional[Callable[[Any], None]],
        on_error: Optional[Callable[[BaseException], None]],
        commit: str,
    ) -> None:
        if commit not in ("main", "safe_point"):
            raise ValueError(f"commit must be 'main' or 'safe_point', not {commit!r}")
        if debounce_ms < 0:
            raise ValueError("debounce_ms must not be negative")
        self.paths = None if paths is None else [os.path.abspath(p) for p in paths]
        self.debounce_ms = int(debounce_ms)
        self.poll = _tracking.poll_from_env() if poll is None else bool(poll)
        self.include = tuple(include)
        self.exclude = DEFAULT_EXCLUDES + tuple(exclude)
        self.on_refresh = on_refresh
        self.on_error = on_error
        self.commit = commit
        self._pending = False
        self._deferred = False
        self._scheduled = False
        self._stopping = False
        self._thread: Optional[threading.Thread] = None
        self._native: Any = None
        self._subscription: Any = None
        self._dirs: list[str] = []
        self._disabled = False
        #: The last refresh failed: the next one is reported even when it changes nothing (a
        #: file saved back as the program runs it), so the user learns the program is fine.
        self._failed = False

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> Watcher:
        if _disable.disabled():
            # LIMEADE_DISABLE: a watcher that watches nothing; stop() and `with` still work.
            self._disabled = True
            return self
        _preload.import_machinery()
        if self.commit == "main":
            _install_handler()
        self._native = _registry_watcher(self.poll)
        self._subscription = self._native.subscribe()
        # Edits reach this watcher only through the folders' watches: tracked modules' folders
        # are watched now, and a module's as it is tracked (not at the next scan).
        _tracking.REGISTRY.set_watch_at_once(True)
        self._watch_paths()
        self._stopping = False
        _ACTIVE.append(self)
        _exposure.checking = True
        self._check_exposure()
        self._start_thread()
        return self

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run, name="limeade-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching: the thread ends, explicit paths are no longer watched. A refresh
        already pending is dropped. Safe to call twice."""
        self._stopping = True
        if self._subscription is not None:
            self._subscription.close()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._thread = None
        for d in self._dirs:
            self._native.unwatch_dir(d)
        self._dirs = []
        self._pending = False
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        _exposure.checking = bool(_ACTIVE)
        _tracking.REGISTRY.set_watch_at_once(bool(_ACTIVE))

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pending(self) -> bool:
        """Whether a save was noticed and not applied yet."""
        return self._pending

    @property
    def backend(self) -> str:
        """``"native"``, ``"polling"`` or ``"native+polling"``; ``"disabled"`` when
        ``LIMEADE_DISABLE`` made it a watcher of nothing."""
        if self._disabled:
            return "disabled"
        return str(self._native.backend) if self._native is not None else "stopped"

    def __repr__(self) -> str:
        state = "stopped" if self._stopping or self._thread is None else self.backend
        state = "disabled" if self._disabled else state
        return f"<limeade.Watcher {state} commit={self.commit!r}>"

    # -- what is watched ----------------------------------------------------------------------

    def _excluded(self, path: str) -> bool:
        parts = [p for p in path.split(os.sep) if p]
        by_part = any(
            fnmatch.fnmatchcase(part, pattern) for pattern in self.exclude for part in parts
        )
        return by_part or any(
            fnmatch.fnmatchcase(path, pattern) for pattern in self.exclude if os.sep in pattern
        )

    def _watch_tree(self, root: str) -> None:
        """Every folder under ``root``, never through a symbolic link (``os.walk`` does not
        descend into one; ``root`` is an explicit path, or a folder created inside one)."""
        added = []
        for dirpath, dirnames, _files in os.walk(root):
            dirnames[:] = [d for d in dirnames if not self._excluded(os.path.join(dirpath, d))]
            if not self._excluded(dirpath):
                self._native.watch_dir(dirpath)
                self._dirs.append(dirpath)
                added.append(dirpath)
        _exposure.check(added)

    def _check_exposure(self) -> None:
        """Warn about tracked files and watched folders other users can write."""
        names = _tracking.REGISTRY.names()
        _exposure.check_module_files([p for p in map(_tracking.REGISTRY.path, names) if p])
        _exposure.check(self._dirs)

    def _watch_paths(self) -> None:
        """Explicit paths: each directory under them (excluded ones pruned), or a file's
        directory. Without paths, the registry already watches every tracked module's folder,
        and modules imported later are watched as they are tracked."""
        for path in self.paths or ():
            if os.path.isdir(path):
                self._watch_tree(path)
            elif os.path.isdir(os.path.dirname(path)):
                self._native.watch_dir(os.path.dirname(path))
                self._dirs.append(os.path.dirname(path))
                _exposure.check([path])
            else:
                logger.warning("limeade: cannot watch %s: no such file or directory", path)
        _warn_fallback(self._native)

    def _inside_paths(self, path: str) -> bool:
        roots = self.paths or ()
        return any(path == p or path.startswith(p.rstrip(os.sep) + os.sep) for p in roots)

    def _relevant(self, paths: list[str]) -> bool:
        tracked = {_tracking.REGISTRY.path(n) for n in _tracking.REGISTRY.names()}
        for path in paths:
            if self._excluded(path):
                continue
            if path in tracked:
                return True
            name = os.path.basename(path)
            for pattern in self.include:
                if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(path, pattern):
                    if self._resolves_inside(path, tracked):
                        return True
        return False

    def _resolves_inside(self, path: str, tracked: set[Optional[str]]) -> bool:
        """Whether ``path`` (an event's, so directly in a watched folder) is, symbolic links
        resolved, in a watched tree: the trees under the explicit paths, or a tracked module's
        own folder. Watched folders are reached without following links, so only a path that
        is itself a link can lead elsewhere."""
        if not os.path.islink(path):
            return True
        real = os.path.realpath(path)
        explicit = [p if os.path.isdir(p) else os.path.dirname(p) for p in self.paths or ()]
        roots = [os.path.realpath(p) for p in explicit]
        roots += [os.path.realpath(os.path.dirname(p)) for p in tracked if p]
        if any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            return True
        logger.debug("limeade: ignoring %s: a link to %s, outside the watched trees", path, real)
        return False

    # -- the watcher thread -------------------------------------------------------------------

    def _run(self) -> None:
        subscription = self._subscription
        while not self._stopping:
            timeout = RETRY_MS if self._pending else _IDLE_WAIT_MS
            status, paths, created_dirs, everything, errors = subscription.wait(
                self.debounce_ms, timeout
            )
            if self._stopping:
                return
            if status == "closed":
                # Another watch() switched the backend (polling or back): follow it.
                native = _tracking.REGISTRY.watcher()
                if native is None:
                    return
                self._native = native
                subscription = self._subscription = native.subscribe()
                self._dirs = []
                self._watch_paths()
                continue
            if status == "timeout":
                if self._pending and self._deferred:
                    self._wake()
                continue
            for error in errors:
                logger.warning("limeade: file watcher: %s", error)
            for d in created_dirs:
                if (
                    self.paths is not None
                    and self._inside_paths(d)
                    and not self._excluded(d)
                    and not os.path.islink(d)  # a link to a folder: never followed
                ):
                    self._watch_tree(d)
            if everything or self._relevant(paths):
                self._pending = True
                self._wake()

    def _wake(self) -> None:
        if self.commit != "main":
            return
        self._deferred = False
        try:
            signal.pthread_kill(threading.main_thread().ident or 0, WAKE_SIGNAL or 0)
        except (OSError, ValueError) as e:  # the main thread is gone: the program is ending
            logger.debug("limeade: cannot wake the main thread: %s", e)

    # -- committing (main thread, or wherever safe_point() is called) -------------------------

    def _apply_soon(self) -> None:
        """In the signal handler: refresh now, or between two callbacks of a running asyncio
        loop (never in the middle of one)."""
        loop = _running_loop()
        if loop is None:
            self.apply_pending()
        elif not self._scheduled:
            self._scheduled = True
            # Thread-safe form: it also wakes a loop blocked in its selector.
            loop.call_soon_threadsafe(self._apply_from_loop)

    def _apply_from_loop(self) -> None:
        self._scheduled = False
        self.apply_pending()

    def apply_pending(self) -> Any:
        """Refresh now if a save is pending; the report, or None. Errors go to ``on_error``
        (logged by default) and never propagate, except ``KeyboardInterrupt``/``SystemExit``."""
        if not self._pending:
            return None
        from . import _REFRESHING, refresh

        if threading.get_ident() in _REFRESHING:
            # The handler interrupted a refresh on this thread: retry once it is over.
            self._deferred = True
            return None
        self._pending = False
        try:
            report = refresh()
        except Exception as e:
            self._failed = True
            _call(self.on_error or _log_error, e)
            return None
        if report.modules or self._failed:
            self._failed = False
            _call(self.on_refresh or _log_report, report)
        return report


def _call(callback: Callable[[Any], None], value: Any) -> None:
    try:
        callback(value)
    except Exception:
        logger.exception("limeade: a watch callback raised")


#: What the refresh after a failed one says when it finds nothing to change (the files are
#: back to the code the program runs).
NOTHING_TO_REFRESH = "nothing to refresh: the program runs the code on disk"


def _log_report(report: Any) -> None:
    if not report.modules:  # after a failed refresh (see `Watcher._failed`)
        logger.info("limeade: %s", NOTHING_TO_REFRESH)
        return
    logger.info("limeade: %s", str(report).replace("\n", "; "))


def _log_error(error: BaseException) -> None:
    logger.error("limeade: refresh failed, the program keeps its code: %s", error_location(error))


def error_location(error: BaseException) -> str:
    """``file:line: message`` for a failed refresh."""
    path = getattr(error, "path", None)
    line = getattr(error, "line", None)
    message = str(error)
    if path is not None:
        if message.startswith(f"{path}:"):
            return message
        return f"{path}:{line}: {message}" if line else f"{path}: {message}"
    module = getattr(error, "module", None)
    module_path = _tracking.REGISTRY.path(module) if isinstance(module, str) else None
    if module_path and message.startswith(f"{module_path}: "):
        message = message[len(module_path) + 2 :]
    cause = error.__cause__
    if module_path and cause is not None and cause.__traceback__ is not None:
        frames = [f for f in traceback.extract_tb(cause.__traceback__) if f.filename == module_path]
        if frames:
            return f"{module_path}:{frames[-1].lineno}: {message}"
    return f"{module_path}: {message}" if module_path else message


def _running_loop() -> Any:
    """The asyncio loop running on this thread, without importing asyncio."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    return asyncio.events._get_running_loop()


def _on_signal(signum: int, frame: Any) -> None:
    for watcher in list(_ACTIVE):
        if watcher.commit == "main" and watcher._pending:
            watcher._apply_soon()
    previous = _PREVIOUS_HANDLER
    if callable(previous):
        previous(signum, frame)


def _install_handler() -> None:
    """Install the wake-up handler once, keeping (and chaining to) a handler the program had."""
    global _PREVIOUS_HANDLER, _HANDLER_INSTALLED
    if _HANDLER_INSTALLED and signal.getsignal(WAKE_SIGNAL or 0) is _on_signal:
        return
    if WAKE_SIGNAL is None or not hasattr(signal, "pthread_kill"):
        raise RuntimeError(
            "this platform cannot wake the main thread with a signal: "
            "use limeade.watch(commit='safe_point') and call limeade.safe_point()"
        )
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError(
            "limeade.watch(commit='main') must be called from the main thread; from other "
            "threads use commit='safe_point' and call limeade.safe_point()"
        )
    _PREVIOUS_HANDLER = signal.signal(WAKE_SIGNAL, _on_signal)
    _HANDLER_INSTALLED = True


def _registry_watcher(poll: bool) -> Any:
    """The registry's watcher, switched to polling (or back) if asked."""
    native = _tracking.REGISTRY.watcher()
    if native is None or (native.backend == "polling") != poll:
        native = _tracking.REGISTRY.replace_watcher(poll)
    _warn_fallback(native)
    return native


def _warn_fallback(native: Any) -> None:
    warning = native.take_fallback_warning()
    if warning:
        logger.warning("limeade: %s", warning)


def safe_point() -> Any:
    """Apply a pending save right here (call it where the program is between two units of
    work: a game tick, a job, a request). Costs an attribute check when nothing is pending.
    Returns the refresh report, or None."""
    for watcher in _ACTIVE:
        if watcher._pending:
            return watcher.apply_pending()
    return None


def after_fork_in_child() -> None:
    """A forked child has none of its parent's threads, and the parent's watcher descriptor
    must not be read here (the two processes would split its events): start afresh. Called by
    :mod:`limeade._tracking`'s fork hook when this module is imported."""
    poll = any(w.poll for w in _ACTIVE) or _tracking.poll_from_env()
    native = _tracking.REGISTRY.reset_after_fork(poll)
    for watcher in list(_ACTIVE):
        if native is None:
            _ACTIVE.remove(watcher)
            continue
        watcher._native = native
        watcher._subscription = native.subscribe()
        watcher._dirs = []
        watcher._watch_paths()
        watcher._pending = watcher._scheduled = watcher._deferred = False
        watcher._start_thread()


def stop_all() -> None:
    """Stop every watcher (at interpreter exit, from :mod:`limeade._tracking`)."""
    for watcher in list(_ACTIVE):
        watcher.stop()
