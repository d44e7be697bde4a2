"""limeade: live code refresh for running Python programs.

Edit a source file of a running program and call :func:`refresh`: every changed module is brought
up to date and the functions and classes that already exist are changed *in place*, so old
instances, stored callbacks, bound methods and ``from m import f`` references run the new code and
``is`` keeps working. :func:`plan` shows what a refresh would do without doing it. A refresh that
fails changes nothing.

``import limeade`` starts tracking: modules already imported are read now, modules imported later
are recorded from the exact source they are compiled from.
"""

from __future__ import annotations

import _thread
import gc
import time

from . import _disable, _preload, _tracking
from ._errors import ApplyError, ConflictError, PlanError, RefreshError, TrackError

#: `typing` is not imported at run time: `import limeade` stays lean (see _tracking).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Callable, Literal, Optional

    from ._hooks import on_error, on_refresh, remove_hook
    from ._report import Change, ModuleReport, Plan, RefreshReport
    from ._signals import install_signal_handler, uninstall_signal_handler
    from ._transaction import ModuleRef
    from ._watch import DEFAULT_EXCLUDES, Watcher, safe_point

__all__ = [
    "DEFAULT_EXCLUDES",
    "ApplyError",
    "Change",
    "ConflictError",
    "ModuleReport",
    "Plan",
    "PlanError",
    "RefreshError",
    "RefreshReport",
    "TrackError",
    "Watcher",
    "install_signal_handler",
    "load_ipython_extension",
    "on_error",
    "on_refresh",
    "plan",
    "refresh",
    "remove_hook",
    "safe_point",
    "track",
    "tracked",
    "uninstall_signal_handler",
    "unload_ipython_extension",
    "untrack",
    "watch",
]

#: Public names defined by the modules that plan, refresh and watch: imported when first used,
#: so ``import limeade`` (at the top of a program, before its own imports) loads only the import
#: hook. Those modules import ``inspect``, ``dataclasses``, ``logging``... which a program that
#: never refreshes should not pay for at start-up.
_LAZY = {
    "Change": "_report",
    "ModuleReport": "_report",
    "Plan": "_report",
    "RefreshReport": "_report",
    "on_error": "_hooks",
    "on_refresh": "_hooks",
    "remove_hook": "_hooks",
    "install_signal_handler": "_signals",
    "uninstall_signal_handler": "_signals",
    "DEFAULT_EXCLUDES": "_watch",
    "Watcher": "_watch",
    "safe_point": "_watch",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def plan(modules: Optional[Iterable[ModuleRef]] = None, *, count: bool = False) -> Plan:
    """What :func:`refresh` would do right now, for every changed tracked module (or the given
    ones), without changing anything. Raises :class:`PlanError` on a syntax or decoding error.

    ``count=True`` also counts what the refresh would touch on the heap: how many live closures
    would get new nested code and how many instances each ``__limeade_migrate__`` hook would
    run for, as the refresh reports them (one walk of ``gc.get_objects()``; without it the plan
    says "every live closure made from it" / "every live instance" and never walks the heap)."""
    _preload.import_machinery()
    from ._transaction import make_plan

    return make_plan(modules, count)


def refresh(
    modules: Optional[Iterable[ModuleRef]] = None,
    *,
    conflicts: Literal["replace", "error"] = "replace",
) -> RefreshReport:
    """Bring every changed tracked module (or the given ones) up to date, mutating existing
    functions and classes in place.

    ``conflicts`` decides what happens to a class that cannot be mutated in place (its
    metaclass, bases, class keywords or ``__slots__`` changed): ``"replace"`` binds the new class
    under the name (old instances keep the old class; a warning is logged), ``"error"`` refuses
    the whole refresh with :class:`ConflictError`.

    All or nothing: a :class:`PlanError` (syntax or decoding error anywhere) is raised before any
    code runs; an :class:`ApplyError` (the new code raised, or an object could not be changed)
    after every change made so far has been undone. Deleted or unreadable files are skipped
    without blocking the other modules.

    Afterwards the program's hooks run (:func:`on_refresh` callbacks and each changed module's
    ``__limeade_refreshed__(report)`` when something changed, :func:`on_error` callbacks when the
    refresh failed); a hook that raises is logged and does not undo the refresh."""
    if conflicts not in ("replace", "error"):
        raise ValueError(f"conflicts must be 'replace' or 'error', not {conflicts!r}")
    _preload.import_machinery()
    from . import _hooks
    from ._transaction import run_refresh

    started = time.perf_counter()
    # One refresh at a time; the thread is recorded so the watcher's signal handler never
    # starts a refresh inside one (it retries once this one is over).
    with _REFRESH_LOCK:
        me = _thread.get_ident()
        _REFRESHING.add(me)
        # A refresh allocates a little; a garbage collection it triggered would walk the whole
        # heap (seconds for millions of objects) for nothing: collect later instead.
        collecting = gc.isenabled()
        gc.disable()
        try:
            report = run_refresh(modules, conflicts)
        except Exception as e:
            failure: Optional[Exception] = e
        else:
            failure = None
        finally:
            _REFRESHING.discard(me)
            if collecting:
                gc.enable()
    # The program's hooks run after the transaction: one that raises is logged, never undoes it.
    if failure is not None:
        _hooks.failed(failure)
        raise failure
    report.elapsed_ms = (time.perf_counter() - started) * 1000
    _hooks.refreshed(report)
    return report


_REFRESH_LOCK = _thread.RLock()
#: Threads inside :func:`refresh` right now.
_REFRESHING: set[int] = set()


def track(*modules: ModuleRef) -> list[str]:
    """Track modules (objects or names) that the default policy leaves out, such as modules in
    ``site-packages``. Their current file, or for a custom loader the source it gives now, is
    taken as the running source. Raises :class:`TrackError` (a ``ValueError``) for a module
    with no Python source: built-in, frozen and extension modules, namespace packages, a
    custom loader that gives none."""
    return _tracking.track(*modules)


def untrack(*modules: ModuleRef) -> None:
    """Stop tracking modules; they are never refreshed and later imports are not tracked."""
    _tracking.untrack(*modules)


def tracked() -> list[str]:
    """Names of the tracked modules, sorted."""
    _tracking.discover()
    return _tracking.REGISTRY.names()


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext limeade``: refresh changed modules before each cell, and ``%limeade``.
    IPython is imported only here, never by ``import limeade``."""
    from .ipython import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext limeade``."""
    from .ipython import unload_ipython_extension as unload

    unload(ipython)


def watch(
    paths: Optional[Iterable[str]] = None,
    *,
    debounce_ms: int = 50,
    poll: Optional[bool] = None,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    on_refresh: Optional[Callable[[RefreshReport], None]] = None,
    on_error: Optional[Callable[[BaseException], None]] = None,
    commit: Literal["main", "safe_point"] = "main",
) -> Watcher:
    """Refresh the program whenever one of its files is saved, and return the running
    :class:`Watcher` (``stop()`` it, or use it as a context manager).

    Watches the folders of the tracked modules (modules imported later too), or every folder
    under ``paths``; a burst of events (an editor's save) makes one refresh once no event came
    for ``debounce_ms``. ``poll=True`` (or ``LIMEADE_POLL=1``) polls instead of using the
    system's notifications (Docker bind mounts, WSL, network file systems). ``include`` adds
    glob patterns of other files whose change triggers a refresh; ``exclude`` adds patterns to
    :data:`DEFAULT_EXCLUDES`.

    ``commit="main"`` (default; call from the main thread) refreshes on the main thread at the
    next safe moment: the main thread is woken with a signal (even from ``time.sleep`` or
    ``select``) and refreshes at once, or between two callbacks when an asyncio loop runs there.
    ``commit="safe_point"`` refreshes only when the program calls :func:`safe_point`.

    ``on_refresh(report)`` runs after each refresh that found edits, ``on_error(error)`` when
    one fails (the program keeps its code); both are logged by default, and never raise."""
    from ._watch import Watcher

    return Watcher(
        paths,
        debounce_ms=debounce_ms,
        poll=poll,
        include=include,
        exclude=exclude,
        on_refresh=on_refresh,
        on_error=on_error,
        commit=commit,
    ).start()


_tracking.install_hook()
_tracking.baseline()
if not _disable.disabled():
    _preload.start()
