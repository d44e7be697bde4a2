"""The refresh transaction and the plan behind :func:`limeade.refresh` and :func:`limeade.plan`.

``run_refresh`` plans every changed tracked module, then, module by module in apply order,
prepares the mutations (running only new code, in scratch namespaces), adds what other modules
need (importers' copies, defaults, registries, caches) and commits them natively; closures,
migrations and framework wiring follow as further commits. Any failure rolls back every commit,
newest first, and restores what the program's own code changed in tracked containers. The
report is built from what was decided and committed. ``make_plan`` asks the same deciding code
for its prediction, without the doing.
"""

from __future__ import annotations

import functools
import gc
import importlib.machinery
import linecache
import logging
import os
import sys
import types
from collections.abc import Collection, Iterable
from typing import Any, Optional, Union

from . import _containers, _integrations, _memory, _native, _tracking
from ._closures import ClosureSwap, update_closures
from ._decide import decide_classes, live_conflicts
from ._defaults import predict_defaults, refresh_defaults
from ._errors import ApplyError, ConflictError, PlanError
from ._importers import names_bound_anew, predict_copies, rebind_copies
from ._live_counts import closure_count, count_closures, instance_count, instances_of
from ._mutations import Mutation, Mutations
from ._outcomes import (
    CACHE_CLEARED,
    CLOSURE_UPDATED,
    DECIDED_WHEN_RUN,
    KEPT_WITH_NEW_BASES,
    KEPT_WITH_NEW_SLOTS,
    NEW_OBJECT,
    NOT_UPDATED,
    Outcome,
    OutcomeLog,
)
from ._plan_data import ModulePlan
from ._predict import EVERY_INSTANCE
from ._prepare import predict_module, prepare_module, split_lines, strategy_name
from ._registries import cached_readers, registry_entries, stale_caches, unregister_removed
from ._report import (
    Change,
    ModuleReport,
    Plan,
    RefreshReport,
    changes_of_module,
    migration_change,
)
from ._stack import on_large_stack
from ._state import ModuleState

logger = logging.getLogger("limeade")

#: A module, or its name.
ModuleRef = Union[str, types.ModuleType]


def _names(modules: Optional[Iterable[ModuleRef]]) -> Optional[list[str]]:
    if modules is None:
        return None
    if isinstance(modules, (str, types.ModuleType)):
        modules = [modules]
    return [m if isinstance(m, str) else m.__name__ for m in modules]


def _scan(
    modules: Optional[Iterable[ModuleRef]], log: bool = True
) -> tuple[list[str], list[tuple[str, str]]]:
    """Changed tracked modules that are still imported, and the ones skipped with why (logged
    as warnings by a refresh; a plan, a dry run, lists them and logs nothing)."""
    names = _names(modules)
    changed: list[str] = []
    _tracking.discover()
    skipped = _tracking.offer_loader_sources(names)
    unreadable = {name for name, _ in skipped}
    scanned = _tracking.REGISTRY.scan(names)
    _tracking.log_watch_warning()
    if _DELETION_TOLD:
        _forget_restored_deletions()
    deleted: list[str] = []
    for name, status, detail in scanned:
        if name in unreadable:
            continue
        if status == "changed":
            if sys.modules.get(name) is None:
                _tracking.REGISTRY.untrack(name)
                continue
            changed.append(name)
        elif status == "deleted":
            if name not in _DELETION_TOLD:
                skipped.append((name, _deleted_reason(name)))
                deleted.append(name)
        else:
            skipped.append((name, detail))
    for name, why in skipped if log else ():
        logger.warning("limeade: %s skipped: %s", name, why)
    if log:
        _DELETION_TOLD.update(deleted)
    return changed, skipped


#: Modules whose deleted file a refresh reported: later refreshes and plans do not list them
#: again (a module renamed by `mv` would be reported at every save until a restart) until the
#: file is back.
_DELETION_TOLD: set[str] = set()


def _deleted_reason(name: str) -> str:
    """Why a module whose file is gone is skipped: its file deleted, or the module now found
    elsewhere (``util.py`` turned into ``util/__init__.py``), which only a restart imports."""
    parent, _, leaf = name.rpartition(".")
    search = getattr(sys.modules.get(parent), "__path__", None) if parent else sys.path
    try:
        spec = importlib.machinery.PathFinder.find_spec(leaf, search)
    except (ImportError, ValueError, OSError):
        spec = None
    origin = getattr(spec, "origin", None)
    if isinstance(origin, str) and origin != _tracking.REGISTRY.path(name):
        return f"file deleted; {name} is now {origin}: restart to import it"
    return "file deleted"


def _forget_restored_deletions() -> None:
    """Forget the reported deletions of files that exist again (a later deletion is news)."""
    for name in list(_DELETION_TOLD):
        path = _tracking.REGISTRY.path(name)
        if path is None or os.path.exists(path):
            _DELETION_TOLD.discard(name)


def _native_plan(changed: list[str]) -> Any:
    try:
        return _tracking.REGISTRY.plan(changed)
    except _native.PlanFailure as e:
        message, path, line, col, kind = e.args
        if kind == "syntax":
            line, col, message = _interpreter_location(changed, path, line, col, message)
        raise PlanError(message, path, line, col, kind) from None


def _interpreter_location(
    changed: list[str], path: str, line: Optional[int], col: Optional[int], message: str
) -> tuple[Optional[int], Optional[int], str]:
    """The interpreter is the judge of syntax: where it rejects the file too, report its line,
    column and message (the parser's own position can lag, e.g. at end of file)."""
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
    module_plan: ModulePlan,
    outcomes: Optional[OutcomeLog],
    rebinding_itself: dict[str, frozenset[str]],
) -> list[Change]:
    """What a refresh of this module would change in other modules' namespaces (copies rebound,
    star-imported names added or removed) and the defaults it would re-evaluate."""
    prediction = predict_copies(module_plan, outcomes, rebinding_itself)
    # Definitions whose defaults the module's own refresh sets (see _prepare), and removed
    # ones (no default left to refresh).
    own_defaults = {
        d["qualname"]
        for d in module_plan["definitions"]
        if d["status"] in ("added", "removed") or _OWN_DEFAULTS_ASPECTS & set(d["aspects"])
    }
    changes = list(prediction.changes)
    module = sys.modules.get(module_plan["module"])
    # A renamed function keeps its object, under the new name: it stays registered.
    renamed = [
        module.__dict__.get(d["renamed_from"])
        for d in module_plan["definitions"]
        if module is not None and d["action"] == "rename" and "renamed_from" in d
    ]
    changes += [
        e[3] for e in registry_entries(module_plan["module"], module_plan["unbound_names"], renamed)
    ]
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


def _rebinding_itself(plan_data: Plan) -> dict[str, frozenset[str]]:
    """Per module of the plan, the module-level names its own refresh unbinds or binds anew:
    names its new source no longer binds, names of changed or added statements and of added
    definitions (a function moved into a module that imported it is bound by its own ``def``).
    Modules with none are left out (an empty set each was a tenth of a large refresh's plan
    data)."""
    found = {}
    for m in plan_data._data["modules"]:
        names = names_bound_anew(m)
        names.update(m["unbound_names"])
        if names:
            found[m["module"]] = frozenset(names)
    return found


def _rebind_copies(
    name: str, mutations: Mutations, rebinding_itself: dict[str, frozenset[str]]
) -> list[Change]:
    """Add to ``mutations`` what other modules need after this module's mutations: the copies
    they hold of replaced values rebound, names a star import gives added or removed (see
    :mod:`limeade._importers`), then the defaults that read a changed name re-evaluated (see
    :mod:`limeade._defaults`)."""
    return rebind_copies(name, mutations, rebinding_itself) + refresh_defaults(mutations)


def _module_report(
    module_plan: ModulePlan, outcomes: OutcomeLog, rebinds: list[Change]
) -> ModuleReport:
    """What the refresh did to one module: what the preparation decided and the commits did,
    per change."""
    return ModuleReport(
        module_plan["module"],
        module_plan["path"],
        strategy_name(module_plan["execution"]),
        changes_of_module(module_plan, outcomes) + rebinds,
        [
            (c["qualname"], c["reason"])
            for c in module_plan["conflicts"]
            # a conflict applied to the live class is not one any more
            if (outcomes.get(c["qualname"]) or Outcome("")).outcome
            not in (KEPT_WITH_NEW_BASES, KEPT_WITH_NEW_SLOTS)
        ],
        outcomes=outcomes,
    )


def run_refresh(modules: Optional[Iterable[ModuleRef]], conflicts: str) -> RefreshReport:
    """The transaction of :func:`limeade.refresh`: plan every changed module, then per module in
    apply order prepare and commit; on any failure roll back every commit, newest first."""
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
    rebinding_itself = _rebinding_itself(plan_data)
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
    # Per module committed, its report, made at once from its plan, what was decided per change
    # and the rebinds elsewhere; the plan itself (and the preparation, with its scratch
    # namespaces) is dropped after the commit: a refresh of hundreds of modules held every
    # module's plan data until its end, the peak the process keeps afterwards as memory its
    # allocator cannot give back. A module whose nested functions the closure update below may
    # give outcomes keeps those parts instead, and is reported after it.
    done: list[Union[ModuleReport, tuple[ModulePlan, OutcomeLog, list[Change]]]] = []
    name = ""
    replaced = 0  # bytes of new source applied
    module_plans = plan_data._data["modules"]
    try:
        _check_conflicts(plan_data, conflicts)
        # Framework handlers wired from a signature the refresh changes (FastAPI routes).
        rewirings = _integrations.before_commit(module_plans)
        # Taken out of the plan one at a time, in apply order (see `done`).
        remaining = module_plans[::-1]
        module_plans.clear()
        while remaining:
            module_plan = remaining.pop()
            name = module_plan["module"]
            module = sys.modules[name]
            new_source = _tracking.REGISTRY.pending_text(name)
            if new_source is None or module_plan["execution"] == "nothing":
                applied.append(name)
                report.modules.append(
                    ModuleReport(name, module_plan["path"], strategy_name("nothing"))
                )
                continue
            prepared = prepare_module(module, module_plan, new_source, conflicts == "error")
            replaced += len(new_source)
            rebinds = _rebind_copies(name, prepared.mutations, rebinding_itself)
            rebinds += unregister_removed(name, prepared.mutations, after_commit)
            rebinds += stale_caches(prepared.mutations, after_commit)
            logs.append(_commit(name, prepared.mutations))
            applied.append(name)
            after_commit.extend(prepared.after_commit)
            migrations.extend(
                c for c in prepared.changed_classes if hasattr(c, "__limeade_migrate__")
            )
            closure_swaps.update(prepared.closure_swaps)
            if prepared.closure_swaps:
                done.append((module_plan, prepared.outcomes, rebinds))
            else:
                done.append(_module_report(module_plan, prepared.outcomes, rebinds))
            del prepared, module_plan
        closure_outcomes = _update_closures(closure_swaps, logs)
        for entry in done:
            if isinstance(entry, ModuleReport):
                module_report = entry
            else:
                module_plan, outcomes, rebinds = entry
                for (module_name, qualname), outcome in closure_outcomes.items():
                    if module_name == module_plan["module"]:
                        outcomes.record(qualname, *outcome)
                module_report = _module_report(module_plan, outcomes, rebinds)
            report.modules.append(module_report)
            for qualname, why in module_report.replaced:
                # A name a statement or a new definition binds anew (an import now from
                # another module) is what the edit says: told, not warned about, unlike a
                # class or function that could not be kept.
                level = logging.INFO if why == NEW_OBJECT else logging.WARNING
                logger.log(
                    level, "limeade: %s.%s replaced: %s", module_report.module, qualname, why
                )
            for qualname, why in module_report.not_updated:
                logger.info("limeade: %s.%s not updated: %s", module_report.module, qualname, why)
        _add_to_owners(report, _run_migrations(migrations))
        _rewire(rewirings, report, logs)
        _add_to_owners(report, _stale_registry_entries(containers), fallback=True)
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
    del logs, done, plan_data, containers
    _memory.release_after_refresh(replaced)
    if logger.isEnabledFor(logging.INFO):  # the whole report as text: only when shown
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


def _add_to_owners(report: RefreshReport, changes: list[Change], fallback: bool = False) -> None:
    """Changes found after the modules' reports were made go to the report of their module
    (with ``fallback``, of the last module refreshed when their own was not: a registry held
    by a module the refresh did not change, a route wired with another module's definition)."""
    applied = [m for m in report.modules if m.strategy != "skipped"]
    for change in changes:
        owner = next((m for m in applied if m.module == change.module), None)
        if owner is None and fallback and applied:
            owner = applied[-1]
        if owner is not None:
            owner.changes.append(change)


#: Why a registry entry the refresh found another key for is left as it is.
STALE_KEY = (
    "kept: this refresh registered the same object again as {new!r}; a fresh start has this "
    "key only if something else adds it"
)


def _stale_registry_entries(containers: _containers.ContainerSnapshot) -> list[Change]:
    """Registry entries that a fresh start may not make: reported as not updated (and logged
    at INFO, as the other changes not updated: the one-line summary names them), not removed,
    as only the program knows whether something else put them there."""
    changes = []
    for where, key, new in _containers.stale_keys(containers):
        module, *attributes = where
        name = f"{'.'.join(attributes)}[{key!r}]"
        why = STALE_KEY.format(new=new)
        logger.info("limeade: %s.%s not updated: %s", module, name, why)
        changes.append(Change(module, name, "registry entry", NOT_UPDATED, why))
    return changes


def _rewire(
    rewirings: list[_integrations.Rewiring], report: RefreshReport, logs: list[Any]
) -> None:
    """Re-wire framework handlers from their new signatures (one more commit, rolled back with
    the rest if a framework refuses one); each re-wired handler is a change of its module."""
    for rewiring in rewirings:
        mutations, changes = rewiring.apply()
        if mutations:
            logs.append(_commit("framework wiring", mutations))
        # A route may depend on a changed definition of another module than its own.
        _add_to_owners(report, changes, fallback=True)


def _tracked_modules() -> list[types.ModuleType]:
    modules = (sys.modules.get(name) for name in _tracking.REGISTRY.names())
    return [m for m in modules if m is not None]


def _check_conflicts(plan_data: Plan, conflicts: str) -> None:
    """With ``conflicts="error"``, refuse the refresh before anything runs if a class surely
    cannot be kept. Runs no program code: new bases written as names are looked up; other base
    expressions are evaluated once, by the module's preparation, which refuses the refresh then
    if they cannot be assigned."""
    if conflicts != "error":
        return
    conflict_list = []
    for m in plan_data._data["modules"]:
        module = sys.modules.get(m["module"])
        kept: Collection[str] = ()
        if module is not None:
            # The preparation's own deciding, without running code.
            state = ModuleState(module, m)
            kept = decide_classes(
                module, m, state.live_class, state.names_bound_in, run_code=False
            ).kept.keys()
        conflict_list += [
            (m["module"], c["qualname"], c["reason"])
            for c in live_conflicts(m)
            if c["qualname"] not in kept
        ]
    if conflict_list:
        raise ConflictError.refusing(conflict_list)


def _run_migrations(classes: list[type]) -> list[Change]:
    """Call ``__limeade_migrate__`` on every live instance of the changed classes that define it
    (and of their subclasses), so old objects can get what the new ``__init__`` would set. Only
    classes defining the hook pay for the heap search; an exception rolls the refresh back.
    Returns one change per class, with how many instances it migrated."""
    if not classes:
        return []
    counts = dict.fromkeys(classes, 0)
    for owner, obj in instances_of(gc.get_objects(), counts):
        counts[owner] += 1
        try:
            obj.__limeade_migrate__()
        except Exception as e:
            cls = type(obj)
            raise ApplyError(
                f"{cls.__qualname__}.__limeade_migrate__ raised {e!r}",
                cls.__module__,
                "__limeade_migrate__",
            ) from e
    return [migration_change(cls, instance_count(n)) for cls, n in counts.items()]


def _commit(name: str, mutations: list[Mutation]) -> Any:
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


def make_plan(modules: Optional[Iterable[ModuleRef]], count: bool = False) -> Plan:
    """The plan of every changed tracked module (or the given ones), each change with its
    predicted outcome: see :func:`limeade.plan`."""
    changed, skipped = _scan(modules, log=False)
    if not changed:
        return Plan(None, skipped)
    result = Plan(_native_plan(changed), skipped)
    rebinding_itself = _rebinding_itself(result)
    closures: dict[tuple[str, str], types.CodeType] = {}
    migrating: dict[type, str] = {}
    for module_plan in result._data["modules"]:
        name = module_plan["module"]
        module = sys.modules.get(name)
        new_source = _tracking.REGISTRY.pending_text(name)
        if module is not None and new_source is not None:
            predicted = predict_module(module, module_plan, new_source)
            result.outcomes[name] = predicted.outcomes
            closures.update(((name, q), code) for q, code in predicted.closure_codes.items())
            migrating.update(dict.fromkeys(predicted.migrations, name))
        result.rebinds[name] = _predicted_rebinds(
            module_plan, result.outcomes.get(name), rebinding_itself
        )
    instances: dict[type, Optional[int]] = dict.fromkeys(migrating)
    if count and (closures or migrating):
        objects = gc.get_objects()
        for (name, qualname), n in count_closures(objects, closures).items():
            result.outcomes[name].record(qualname, CLOSURE_UPDATED, closure_count(n))
        instances.update(dict.fromkeys(migrating, 0))
        for owner, _ in instances_of(objects, migrating):
            instances[owner] = (instances[owner] or 0) + 1
        del objects
    for cls, counted in instances.items():
        why = EVERY_INSTANCE if counted is None else instance_count(counted)
        result.rebinds[migrating[cls]].append(migration_change(cls, why))
    return result
