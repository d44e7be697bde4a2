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

import functools
import gc
import linecache
import logging
import os
import sys
import threading
import time
import types
from collections.abc import Iterable
from typing import Any, Callable, Literal, Optional, Union

from . import _containers, _hooks, _integrations, _native, _tracking, _watch
from ._closures import ClosureSwap, update_closures
from ._defaults import predict_defaults, refresh_defaults
from ._errors import ApplyError, ConflictError, PlanError, RefreshError, TrackError
from ._hooks import on_error, on_refresh, remove_hook
from ._importers import predict_copies, rebind_copies
from ._outcomes import (
    CACHE_CLEARED,
    DECIDED_WHEN_RUN,
    NOT_UPDATED,
    Outcome,
    OutcomeLog,
    migration_change,
)
from ._predict import EVERY_INSTANCE
from ._prepare import in_place, predict_module, prepare_module, split_lines, strategy_name
from ._registries import cached_readers, registry_entries, stale_caches, unregister_removed
from ._report import Change, ModuleReport, Plan, RefreshReport, changes_of_module
from ._signals import install_signal_handler, uninstall_signal_handler
from ._stack import on_large_stack
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

logger = logging.getLogger("limeade")

ModuleRef = Union[str, types.ModuleType]


def _names(modules: Optional[Iterable[ModuleRef]]) -> Optional[list[str]]:
    if modules is None:
        return None
    if isinstance(modules, (str, types.ModuleType)):
        modules = [modules]
    return [m if isinstance(m, str) else m.__name__ for m in modules]


def _scan(modules: Optional[Iterable[ModuleRef]]) -> tuple[list[str], list[tuple[str, str]]]:
    """Changed tracked modules that are still imported, and the ones skipped with why."""
    names = _names(modules)
    changed: list[str] = []
    _tracking.discover()
    skipped = _tracking.offer_loader_sources(names)
    for name, why in skipped:
        logger.warning("limeade: %s skipped: %s", name, why)
    unreadable = {name for name, _ in skipped}
    for name, status, detail in _tracking.REGISTRY.scan(names):
        if name in unreadable:
            continue
        if status == "changed":
            if sys.modules.get(name) is None:
                _tracking.REGISTRY.untrack(name)
                continue
            changed.append(name)
        elif status == "deleted":
            skipped.append((name, "file deleted"))
            logger.warning("limeade: %s skipped: its file was deleted", name)
        else:
            skipped.append((name, detail))
            logger.warning("limeade: %s skipped: %s", name, detail)
    return changed, skipped


def _native_plan(changed: list[str]) -> Any:
    try:
        return _tracking.REGISTRY.plan(changed)
    except _native.PlanFailure as e:
        message, path, line, col = e.args
        line, col, message = _interpreter_location(changed, path, line, col, message)
        raise PlanError(message, path, line, col) from None


def _interpreter_location(
    changed: list[str], path: str, line: Optional[int], col: Optional[int], message: str
) -> tuple[Optional[int], Optional[int], str]:
    """The interpreter is the judge of syntax: where it rejects the file too, report its line,
    column and message (the parser's own position can lag, e.g. at end of file)."""
    if "syntax error" not in message:
        return line, col, message
    for name in changed:
        if _tracking.REGISTRY.path(name) != path:
            continue
        source = _tracking.REGISTRY.pending_source(name)
        if source is None:
            break
        try:
            on_large_stack(functools.partial(compile, source, path, "exec", dont_inherit=True))
        except SyntaxError as e:
            if e.lineno is not None:
                col = e.offset if e.offset is not None else col
                return e.lineno, col, f"{path}:{e.lineno}:{col}: syntax error: {e.msg}"
        except (ValueError, OverflowError, RecursionError, MemoryError):
            break
        break
    return line, col, message


_OWN_DEFAULTS_ASPECTS = {
    "defaults",
    "kw_defaults",
    "annotations",
    "signature",
    "decorators",
    "async",
}


def _predicted_rebinds(
    module_plan: dict[str, Any], outcomes: Optional[OutcomeLog] = None
) -> list[Change]:
    """What a refresh of this module would change in other modules' namespaces (copies rebound,
    star-imported names added or removed) and the defaults it would re-evaluate."""
    prediction = predict_copies(module_plan, outcomes)
    # Definitions whose defaults the module's own refresh sets (see _prepare), and removed
    # ones (no default left to refresh).
    own_defaults = {
        d["qualname"]
        for d in module_plan["definitions"]
        if d["status"] in ("added", "removed") or _OWN_DEFAULTS_ASPECTS & set(d["aspects"])
    }
    changes = list(prediction.changes)
    changes += [e[3] for e in registry_entries(module_plan["module"], module_plan["unbound_names"])]
    for name in dict.fromkeys([module_plan["module"], *prediction.rebound]):
        names = prediction.rebound.get(name, set()) | prediction.unbound.get(name, set())
        exclude = own_defaults if name == module_plan["module"] else set()
        changes += predict_defaults(name, names, exclude)
        module = sys.modules.get(name)
        if module is not None:
            # Cleared only if the names get other objects: known once the statements ran.
            changes += [
                c._replace(outcome=DECIDED_WHEN_RUN, why=f"{CACHE_CLEARED} if the values change")
                for _, c in cached_readers(module, names)
            ]
    return changes


def _rebind_copies(name: str, mutations: list[Any]) -> list[Change]:
    """Add to ``mutations`` what other modules need after this module's mutations: the copies
    they hold of replaced values rebound, names a star import gives added or removed (see
    :mod:`limeade._importers`), then the defaults that read a changed name re-evaluated (see
    :mod:`limeade._defaults`)."""
    return rebind_copies(name, mutations) + refresh_defaults(mutations)


def plan(modules: Optional[Iterable[ModuleRef]] = None) -> Plan:
    """What :func:`refresh` would do right now, for every changed tracked module (or the given
    ones), without changing anything. Raises :class:`PlanError` on a syntax or decoding error."""
    changed, skipped = _scan(modules)
    if not changed:
        return Plan(None, skipped)
    result = Plan(_native_plan(changed), skipped)
    for module_plan in result._data["modules"]:
        name = module_plan["module"]
        module = sys.modules.get(name)
        new_text = _tracking.REGISTRY.pending_source(name)
        migrations: list[Change] = []
        if module is not None and new_text is not None:
            result.outcomes[name], migrated = predict_module(module, module_plan, new_text)
            migrations = [migration_change(c, EVERY_INSTANCE) for c in migrated]
        result.rebinds[name] = _predicted_rebinds(module_plan, result.outcomes.get(name))
        result.rebinds[name] += migrations
    return result


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
    started = time.perf_counter()
    # One refresh at a time; the thread is recorded so the watcher's signal handler never
    # starts a refresh inside one (it retries once this one is over).
    with _REFRESH_LOCK:
        me = threading.get_ident()
        _REFRESHING.add(me)
        # A refresh allocates a little; a garbage collection it triggered would walk the whole
        # heap (seconds for millions of objects) for nothing: collect later instead.
        collecting = gc.isenabled()
        gc.disable()
        try:
            report = _refresh(modules, conflicts)
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


_REFRESH_LOCK = threading.RLock()
#: Threads inside :func:`refresh` right now.
_REFRESHING: set[int] = set()


def _refresh(modules: Optional[Iterable[ModuleRef]], conflicts: str) -> RefreshReport:
    changed, skipped = _scan(modules)
    report = RefreshReport(
        [
            ModuleReport(name, _tracking.REGISTRY.path(name) or "", "skipped", skipped_reason=why)
            for name, why in skipped
        ]
    )
    if not changed:
        return report
    plan_data = Plan(_native_plan(changed))
    # User code (base class expressions, statements, decorators, hooks) may change existing
    # containers from here on; a rollback puts them back.
    containers = _containers.take(
        _tracked_modules()
        if any(
            _containers.may_run_user_code(sys.modules.get(m["module"]), m)
            for m in plan_data._data["modules"]
        )
        else []
    )
    logs: list[Any] = []
    applied: list[str] = []
    after_commit: list[Any] = []
    migrations: list[type] = []
    closure_swaps: dict[int, ClosureSwap] = {}
    done: list[tuple[dict[str, Any], Any, list[Change]]] = []
    name = ""
    try:
        _check_conflicts(plan_data, conflicts)
        # Framework handlers wired from a signature the refresh changes (FastAPI routes).
        rewirings = _integrations.before_commit(plan_data._data["modules"])
        for module_plan in plan_data._data["modules"]:
            name = module_plan["module"]
            module = sys.modules[name]
            new_text = _tracking.REGISTRY.pending_source(name)
            if new_text is None or module_plan["execution"] == "nothing":
                applied.append(name)
                report.modules.append(
                    ModuleReport(name, module_plan["path"], strategy_name("nothing"))
                )
                continue
            prepared = prepare_module(module, module_plan, new_text, conflicts == "error")
            rebinds = _rebind_copies(name, prepared.mutations)
            rebinds += unregister_removed(name, prepared.mutations, after_commit)
            rebinds += stale_caches(prepared.mutations, after_commit)
            logs.append(_commit(name, prepared.mutations))
            applied.append(name)
            after_commit.extend(prepared.after_commit)
            migrations.extend(
                c for c in prepared.changed_classes if hasattr(c, "__limeade_migrate__")
            )
            closure_swaps.update(prepared.closure_swaps)
            for qualname, why in prepared.replaced:
                logger.warning("limeade: %s.%s replaced: %s", name, qualname, why)
            for qualname, why in prepared.not_updated:
                logger.info("limeade: %s.%s not updated: %s", name, qualname, why)
            done.append((module_plan, prepared, rebinds))
        closure_outcomes = _update_closures(closure_swaps, logs)
        for module_plan, prepared, rebinds in done:
            # The report says what the preparation decided and the commits did, per change.
            outcomes = prepared.outcomes
            for (module_name, qualname), outcome in closure_outcomes.items():
                if module_name == module_plan["module"]:
                    outcomes.record(qualname, *outcome)
                    if outcome.outcome == NOT_UPDATED:
                        prepared.not_updated.append((qualname, outcome.why))
            report.modules.append(
                ModuleReport(
                    module_plan["module"],
                    module_plan["path"],
                    strategy_name(module_plan["execution"]),
                    changes_of_module(module_plan, outcomes) + rebinds,
                    [(c["qualname"], c["reason"]) for c in module_plan["conflicts"]],
                    prepared.replaced,
                    not_updated=prepared.not_updated,
                )
            )
        _add_to_owners(report, _run_migrations(migrations))
        _rewire(rewirings, report, logs)
    except BaseException as e:
        for log in reversed(logs):
            log.rollback()
        restored = containers.restore()
        if restored:
            logger.info(
                "limeade: rollback restored what the refresh's code changed in: %s",
                ", ".join(restored),
            )
        if isinstance(e, (Exception, KeyboardInterrupt)):
            raise
        raise _escaped(e, name) from e
    _tracking.REGISTRY.accept(applied)
    for clear in after_commit:
        # Derived state (lru_cache results, ABC caches) and registry entries of removed
        # definitions: nothing can fail after the commits, so nothing to undo.
        clear()
    for name in applied:
        _refresh_linecache(name)
    del logs
    logger.info("limeade: %s", str(report).replace("\n", "; "))
    return report


def _escaped(error: BaseException, name: str) -> ApplyError:
    """``SystemExit``, ``GeneratorExit`` or another ``BaseException`` raised by the new code
    where it is not already wrapped: the refresh failed, the program goes on (a
    ``KeyboardInterrupt`` still propagates, after the rollback, so Ctrl-C still stops it)."""
    where = f"refreshing {name}" if name else "a refresh"
    return ApplyError(f"{where} failed: the new code raised {error!r}", name, "new code")


def _update_closures(
    swaps: dict[int, ClosureSwap], logs: list[Any]
) -> dict[tuple[str, str], Outcome]:
    """Closures made before the refresh by any refreshed module's functions get the new nested
    code: one heap search for the whole refresh, one more commit (rolled back with the rest).
    Returns the outcome per ``(module, nested qualname)``."""
    mutations, outcomes = update_closures(swaps)
    if mutations:
        logs.append(_commit("closures", mutations))
    for (module, qualname), outcome in outcomes.items():
        if outcome.outcome == NOT_UPDATED:
            logger.info("limeade: %s.%s not updated: %s", module, qualname, outcome.why)
    return outcomes


def _add_to_owners(report: RefreshReport, changes: list[Change]) -> None:
    """Changes found after the modules' reports were made go to the report of their module."""
    for change in changes:
        owner = next((m for m in report.modules if m.module == change.module), None)
        if owner is not None:
            owner.changes.append(change)


def _rewire(
    rewirings: list[_integrations.Rewiring], report: RefreshReport, logs: list[Any]
) -> None:
    """Re-wire framework handlers from their new signatures (one more commit, rolled back with
    the rest if a framework refuses one); each re-wired handler is a change of its module."""
    for rewiring in rewirings:
        mutations, changes = rewiring.apply()
        if mutations:
            logs.append(_commit("framework wiring", mutations))
        applied = [m for m in report.modules if m.strategy != "skipped"]
        for change in changes:
            owner = next((m for m in applied if m.module == change.module), None)
            if owner is None and applied:
                owner = applied[-1]  # the route depends on a changed definition of another module
            if owner is not None:
                owner.changes.append(change)


def _tracked_modules() -> list[types.ModuleType]:
    modules = (sys.modules.get(name) for name in _tracking.REGISTRY.names())
    return [m for m in modules if m is not None]


def _check_conflicts(plan_data: Plan, conflicts: str) -> None:
    """With ``conflicts="error"``, refuse the refresh if a class cannot be kept. Checking
    whether new bases can be assigned evaluates them (user code)."""
    conflict_list = []
    for m in plan_data._data["modules"]:
        module = sys.modules.get(m["module"])
        # Each class is checked once, however many conflicts it has.
        kept = {
            q
            for q in {c["qualname"] for c in m["conflicts"]}
            if module is not None
            and in_place(module, q, m["conflicts"], frozenset(m["scope_names"].get("", ())))
            is not None
        }
        conflict_list += [
            (m["module"], c["qualname"], c["reason"])
            for c in m["conflicts"]
            if c["qualname"] not in kept
        ]
    if conflict_list and conflicts == "error":
        text = "; ".join(f"{m}.{q}: {r}" for m, q, r in conflict_list)
        raise ConflictError(
            f"refresh refused, classes cannot be mutated in place: {text}", conflict_list
        )


def _run_migrations(classes: list[type]) -> list[Change]:
    """Call ``__limeade_migrate__`` on every live instance of the changed classes that define it
    (and of their subclasses), so old objects can get what the new ``__init__`` would set. Only
    classes defining the hook pay for the heap search; an exception rolls the refresh back.
    Returns one change per class, with how many instances it migrated."""
    if not classes:
        return []
    wanted = tuple(dict.fromkeys(classes))
    counts = dict.fromkeys(wanted, 0)
    for obj in gc.get_objects():
        if isinstance(obj, wanted) and not isinstance(obj, type):
            owner = next(c for c in type(obj).__mro__ if c in counts)
            counts[owner] += 1
            try:
                obj.__limeade_migrate__()  # type: ignore[attr-defined]
            except Exception as e:
                cls = type(obj)
                raise ApplyError(
                    f"{cls.__qualname__}.__limeade_migrate__ raised {e!r}",
                    cls.__module__,
                    "__limeade_migrate__",
                ) from e
    return [
        migration_change(cls, f"{n} instance{'' if n == 1 else 's'}") for cls, n in counts.items()
    ]


def _commit(name: str, mutations: list[tuple[Any, ...]]) -> Any:
    try:
        return _native.commit(mutations)
    except Exception as e:
        raise ApplyError(
            f"refreshing {name} failed while mutating live objects: {e}", name, "commit"
        ) from e


def _refresh_linecache(name: str) -> None:
    """Tracebacks and ``inspect.getsource`` read the edited file from now on. While the file
    is the version that runs (same stamp), its stale entry is dropped and ``linecache`` reads
    the file when asked: no copy of every refreshed module's lines is kept. Only a file that
    changed again since it was read gets the running lines."""
    path = _tracking.REGISTRY.path(name)
    if not path:
        return
    if name in _tracking.LOADER_MODULES:
        _refresh_loader_linecache(path, _running_lines(name))
        return
    if _tracking.REGISTRY.file_is_running_version(name):
        linecache.cache.pop(path, None)
        return
    try:
        st = os.stat(path)
    except OSError:
        linecache.cache.pop(path, None)
        return
    lines = _running_lines(name)
    if lines is not None:
        # The same (size, mtime) linecache.checkcache() compares with the file on disk.
        linecache.cache[path] = (st.st_size, st.st_mtime, lines, path)


def _running_lines(name: str) -> Optional[list[str]]:
    """The lines of the source module ``name`` runs, as the compiler counts them."""
    source = _tracking.REGISTRY.source(name)
    return split_lines(source) if source is not None else None


def _refresh_loader_linecache(path: str, lines: Optional[list[str]]) -> None:
    """A custom loader's module: linecache holds the lines that run, with no mtime (so
    ``checkcache`` keeps them, as it does lines a loader gave lazily). A ``<...>`` name such
    as ``<string>`` may be shared by other code: left alone."""
    if path.startswith("<") and path.endswith(">"):
        return
    if lines is not None:
        linecache.cache[path] = (sum(map(len, lines)), None, lines, path)


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
    return _watch.Watcher(
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
