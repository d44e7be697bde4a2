"""What a fresh start would not have, left behind by a refresh in places nobody rebinds: a removed
class or function still held by a registry (``Plugin.registry`` filled by ``__init_subclass__``,
``ROUTES`` filled by a decorator), and results an unchanged ``functools.lru_cache`` function
computed from a module-level name the refresh changed."""

from __future__ import annotations

import functools
import gc
import sys
import types
from collections.abc import Iterable, Iterator
from typing import Any, Callable

from . import _tracking
from ._defaults import changed_names, mutated_modules
from ._mutations import DELETED, Mutations
from ._outcomes import CACHE_CLEARED, REMOVED
from ._report import Change

#: Registries larger than this are not searched (data, not a registry of definitions).
_SEARCH_LIMIT = 10_000


def _containers() -> Iterator[tuple[str, Any]]:
    """Dicts, lists and sets tracked modules hold directly, in their globals and in the
    ``__dict__`` of the classes they define, with where they are (``plugins.Plugin.registry``)."""
    for name in _tracking.REGISTRY.names():
        module = sys.modules.get(name)
        if module is None:
            continue
        for key, value in list(module.__dict__.items()):
            if isinstance(value, (dict, list, set)):
                yield f"{name}.{key}", value
            elif isinstance(value, type) and value.__module__ == name:
                for attr, inner in list(value.__dict__.items()):
                    if isinstance(inner, (dict, list, set)) and not attr.startswith("__"):
                        yield f"{name}.{key}.{attr}", inner


def _dispatchers(namespace: dict[str, Any]) -> Iterator[Any]:
    """``functools.singledispatch`` functions a module holds, in its globals and as
    ``singledispatchmethod`` attributes of its classes (one level)."""
    for value in list(namespace.values()):
        if isinstance(value, types.FunctionType) and "dispatch" in value.__dict__:
            yield value
        elif isinstance(value, type):
            for inner in list(vars(value).values()):
                if isinstance(inner, functools.singledispatchmethod):
                    yield inner.dispatcher


def unregister_dispatch(
    module: types.ModuleType,
    matches: Callable[[Any], bool],
    mutations: Mutations,
    after_commit: list[Callable[[], Any]],
) -> None:
    """Take the implementation ``matches`` picks (a removed definition's live function) out of
    the ``singledispatch`` registries of ``module``: a fresh start would not register it.
    The registry's dict is reached behind its read-only view; the dispatch cache is cleared
    after the commit."""
    for dispatcher in _dispatchers(module.__dict__):
        registry = dispatcher.__dict__.get("registry")
        if registry is None:
            continue
        keys = [key for key, impl in registry.items() if matches(impl)]
        if not keys:
            continue
        underlying = [r for r in gc.get_referents(registry) if type(r) is dict]
        if len(underlying) != 1:
            continue
        for key in keys:
            mutations.delitem(underlying[0], key)
        clear = getattr(dispatcher, "_clear_cache", None)
        if callable(clear):
            after_commit.append(clear)


def unregister_removed(
    name: str, mutations: Mutations, after_commit: list[Callable[[], Any]]
) -> list[Change]:
    """Classes and functions of module ``name`` that the mutations unbind are taken out of the
    registries that still hold them: dict entries by a mutation of this commit, list and set
    items after the commit (nothing can fail after it)."""
    module = sys.modules.get(name)
    if module is None:
        return []
    namespace_changes = mutations.item_changes(module.__dict__)
    unbound = [key for key, value in namespace_changes.items() if value is DELETED]
    if not unbound:
        return []
    after = mutations.post_commit(module.__dict__) or {}
    changes = []
    for container, key, value, change in registry_entries(name, unbound, after.values()):
        if isinstance(container, dict):
            mutations.delitem(container, key)
        else:
            after_commit.append(functools.partial(_discard, container, value))
        changes.append(change)
    return changes


def registry_entries(
    name: str, unbound: list[str], kept: Iterable[Any] = ()
) -> list[tuple[Any, Any, Any, Change]]:
    """Where the classes and functions of module ``name`` bound under the ``unbound`` names
    are still held by a registry: ``(container, key, value, change)`` per entry (the key of a
    dict entry; None for a list or set item). What :func:`unregister_removed` takes out, and
    what a plan predicts it will. An object the module still binds afterwards (``kept``: a
    renamed function keeps its object under the new name) stays registered, as a fresh import
    would register it again."""
    kept_ids = {id(value) for value in kept}
    module = sys.modules.get(name)
    if module is None:
        return []
    removed = {
        id(value): (key, value)
        for key in unbound
        for value in [module.__dict__.get(key)]
        if isinstance(value, (type, types.FunctionType))
        and getattr(value, "__module__", None) == name
        and id(value) not in kept_ids
    }
    if not removed:
        return []
    out: list[tuple[Any, Any, Any, Change]] = []
    for where, container in _containers():
        if len(container) > _SEARCH_LIMIT:
            continue
        if isinstance(container, dict):
            for key, value in list(dict.items(container)):
                if id(value) in removed:
                    change = Change(name, removed[id(value)][0], f"removed from {where}", REMOVED)
                    out.append((container, key, value, change))
        else:
            for value in [v for v in container if id(v) in removed]:
                change = Change(name, removed[id(value)][0], f"removed from {where}", REMOVED)
                out.append((container, None, value, change))
    return out


def _discard(container: Any, value: Any) -> None:
    if isinstance(container, list):
        list.__setitem__(container, slice(None), [v for v in container if v is not value])
    else:
        set.discard(container, value)


def _names_read(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_read(const)
    return names


def stale_caches(mutations: Mutations, after_commit: list[Callable[[], Any]]) -> list[Change]:
    """``functools.lru_cache`` functions of a module whose names the mutations change, and whose
    code reads one of those names (``def tax(x): return x * TAX_RATE`` after ``TAX_RATE`` was
    rebound), have their cache cleared after the commit: a fresh start has no such results."""
    changes = []
    for module in mutated_modules(mutations):
        for cached, change in cached_readers(module, set(changed_names(module, mutations))):
            after_commit.append(cached.cache_clear)
            changes.append(change)
    return changes


def cached_readers(module: types.ModuleType, names: set[str]) -> list[tuple[Any, Change]]:
    """The ``lru_cache`` functions of ``module`` holding results and reading one of ``names``,
    each with its change: what :func:`stale_caches` clears, and what a plan predicts it will."""
    out: list[tuple[Any, Change]] = []
    if not names:
        return out
    for key, value in list(module.__dict__.items()):
        if not isinstance(value, functools._lru_cache_wrapper):  # type: ignore[attr-defined]
            continue
        wrapped = getattr(value, "__wrapped__", None)
        code = getattr(wrapped, "__code__", None)
        if not (isinstance(code, types.CodeType) and _names_read(code) & names):
            continue
        held = value.cache_info().currsize
        if held:
            reads = ", ".join(sorted(_names_read(code) & names))
            why = f"{held} result{'' if held == 1 else 's'}"
            change = Change(
                module.__name__, key, f"cached results read {reads}", CACHE_CLEARED, why
            )
            out.append((value, change))
    return out
