"""Undo what code run during a refresh did to containers and classes that already existed.

A refresh runs user code before its commits (changed statements, class bodies, decorators,
defaults, base class expressions, ``__init_subclass__`` and ``__set_name__`` hooks) and after them
(``__limeade_migrate__``). That code can add to an existing registry (``ROUTES[path] = cls``,
``REGISTRY.append(x)``, ``Plugin.registry[name] = cls``) before a later step fails. The native
undo log knows only the mutations limeade made itself, so before any user code runs the refresh
takes shallow copies of the mutable containers tracked modules hold directly (in their globals
and in the ``__dict__`` of the classes they define) and of those classes' attributes; a rollback
puts back the contents of every one that changed, keeping its identity.

Containers with more than :data:`MAX_ITEMS` items are not copied (a 1,000,000-entry dict would
cost ~60 ms at every refresh): their changes are not undone.
"""

from __future__ import annotations

import collections
import logging
import operator
import types
from collections.abc import Iterable
from itertools import compress
from typing import Any, Callable, Optional

from ._lookup import find_class
from ._plan_data import ModulePlan

logger = logging.getLogger("limeade")

#: Containers larger than this are not copied for rollback (copying is linear in their size).
MAX_ITEMS = 10_000

_CONTAINERS = (dict, list, set, bytearray, collections.deque)
_MISSING = object()


def _same_items(current: Iterable[Any], saved: Iterable[Any]) -> bool:
    """Whether two sequences of equal length hold the very same objects, in order."""
    return all(map(operator.is_, current, saved))


# Per kind: copy, changed-since-copy, restore. Each uses the built-in type's own methods, so a
# subclass's overridden ``__setitem__`` / ``update`` (``Counter`` adds counts) is not run.


def _copy_dict(d: Any) -> Any:
    return dict.copy(d)


def _dict_changed(d: Any, saved: dict[Any, Any]) -> bool:
    return (
        dict.__len__(d) != len(saved)
        or not _same_items(dict.keys(d), saved)
        or not _same_items(dict.values(d), saved.values())
    )


def _restore_dict(d: Any, saved: dict[Any, Any]) -> None:
    for key in [k for k in dict.keys(d) if k not in saved]:
        dict.__delitem__(d, key)
    dict.update(d, saved)
    if not _same_items(dict.keys(d), saved):
        # A key deleted and inserted again: only rebuilding restores the order.
        dict.clear(d)
        dict.update(d, saved)


def _copy_ordered(d: Any) -> Any:
    # An OrderedDict keeps its own order beside the dict's: copy and restore through it.
    return list(collections.OrderedDict.items(d))


def _ordered_changed(d: Any, saved: list[tuple[Any, Any]]) -> bool:
    current = list(collections.OrderedDict.items(d))
    return len(current) != len(saved) or not all(
        a is c and b is e for (a, b), (c, e) in zip(current, saved)
    )


def _restore_ordered(d: Any, saved: list[tuple[Any, Any]]) -> None:
    collections.OrderedDict.clear(d)
    for key, value in saved:
        collections.OrderedDict.__setitem__(d, key, value)


def _copy_list(lst: Any) -> Any:
    return list.copy(lst)


def _list_changed(lst: Any, saved: list[Any]) -> bool:
    return list.__len__(lst) != len(saved) or not _same_items(list.__iter__(lst), saved)


def _restore_list(lst: Any, saved: list[Any]) -> None:
    list.__setitem__(lst, slice(None), saved)


def _copy_set(s: Any) -> Any:
    return set.copy(s)


def _set_changed(s: Any, saved: set[Any]) -> bool:
    return set.__len__(s) != len(saved) or not set.issubset(s, saved)


def _restore_set(s: Any, saved: set[Any]) -> None:
    # One call: the set goes from its current content to the saved one without passing through
    # an empty state another thread could see.
    set.symmetric_difference_update(s, set.symmetric_difference(s, saved))


def _copy_bytearray(b: Any) -> Any:
    return bytes(b)


def _bytearray_changed(b: Any, saved: bytes) -> bool:
    return bytes(b) != saved


def _restore_bytearray(b: Any, saved: bytes) -> None:
    bytearray.__setitem__(b, slice(None), saved)


def _copy_deque(d: Any) -> Any:
    return list(collections.deque.__iter__(d))


def _deque_changed(d: Any, saved: list[Any]) -> bool:
    return collections.deque.__len__(d) != len(saved) or not _same_items(
        collections.deque.__iter__(d), saved
    )


def _restore_deque(d: Any, saved: list[Any]) -> None:
    collections.deque.clear(d)
    collections.deque.extend(d, saved)


#: copy, changed since the copy, restore the copy.
_Kind = tuple[Callable[[Any], Any], Callable[[Any, Any], bool], Callable[[Any, Any], None]]

_KINDS: dict[type, _Kind] = {
    collections.OrderedDict: (_copy_ordered, _ordered_changed, _restore_ordered),
    dict: (_copy_dict, _dict_changed, _restore_dict),
    list: (_copy_list, _list_changed, _restore_list),
    set: (_copy_set, _set_changed, _restore_set),
    bytearray: (_copy_bytearray, _bytearray_changed, _restore_bytearray),
    collections.deque: (_copy_deque, _deque_changed, _restore_deque),
}


def _base_of(obj: Any) -> type:
    """The built-in container type whose own methods handle ``obj`` (``OrderedDict`` before
    ``dict``: it keeps its own order beside the dict's)."""
    for base in type(obj).__mro__:
        if base in _KINDS:
            return base
    raise TypeError(f"not a container: {type(obj).__name__}")  # pragma: no cover


def _class_changed(cls: type, saved: dict[str, Any]) -> bool:
    # Order does not count: the native rollback may put an attribute back at the end.
    current = vars(cls)
    return len(current) != len(saved) or any(
        current.get(name, _MISSING) is not value for name, value in saved.items()
    )


def _restore_class(cls: type, saved: dict[str, Any]) -> None:
    """Attributes set or deleted on the class go back, through ``type``'s own slots (a
    metaclass ``__setattr__`` is not run)."""
    current = dict(vars(cls))
    for name in [n for n in current if n not in saved]:
        type.__delattr__(cls, name)
    for name, value in saved.items():
        if current.get(name, _MISSING) is not value:
            type.__setattr__(cls, name, value)


_CLASS_KIND: _Kind = (lambda cls: dict(vars(cls)), _class_changed, _restore_class)


_WALKED = (*_CONTAINERS, type)
_SECOND = operator.itemgetter(1)


class _WalkedTypes(dict):  # type: ignore[type-arg]
    """type -> whether values of that type are walked (containers and classes), filled on first
    lookup so that most lookups are a C-level dict hit. One per snapshot: it must not keep the
    program's classes alive after the refresh."""

    def __missing__(self, kind: type) -> bool:
        walked = issubclass(kind, _WALKED)
        self[kind] = walked
        return walked


class ContainerSnapshot:
    """Shallow copies of the containers and classes tracked modules hold, taken before a
    refresh runs user code."""

    def __init__(self) -> None:
        #: (object, kind, copy, where: module name and attribute path).
        self.saved: list[tuple[Any, _Kind, Any, tuple[str, ...]]] = []
        self.skipped: list[tuple[str, ...]] = []
        self.seen: set[int] = set()
        self.walked_types: Optional[_WalkedTypes] = _WalkedTypes()

    def walked_items(self, namespace: Any) -> Iterable[tuple[str, Any]]:
        """The (name, value) pairs of a namespace whose values are containers or classes; the
        filtering runs in C (a refresh may walk thousands of modules' globals)."""
        assert self.walked_types is not None, "the snapshot is complete"
        items = list(namespace.items())
        return compress(items, map(self.walked_types.__getitem__, map(type, map(_SECOND, items))))

    def add_namespace(self, namespace: Any, module_name: str, where: tuple[str, ...]) -> None:
        for key, value in self.walked_items(namespace):
            if key == "__builtins__" or id(value) in self.seen:
                continue
            if isinstance(value, type):
                # Read from the class's own dict: no metaclass property runs.
                if vars(value).get("__module__") == module_name:
                    self.seen.add(id(value))
                    attributes = dict(vars(value))
                    self.saved.append((value, _CLASS_KIND, attributes, (*where, key)))
                    self.add_namespace(attributes, module_name, (*where, key))
                continue
            self.seen.add(id(value))
            base = _base_of(value)
            size = len(value)
            if size > MAX_ITEMS:
                self.skipped.append((*where, key))
                logger.debug(
                    "limeade: %s not saved for rollback: %d items (limit %d)",
                    ".".join((*where, key)),
                    size,
                    MAX_ITEMS,
                )
                continue
            kind = _KINDS[base]
            self.saved.append((value, kind, kind[0](value), (*where, key)))

    def restore(self) -> list[str]:
        """Put back the contents of every saved container (and the attributes of every saved
        class) that changed since the snapshot; returns where they are held. A restore that
        fails is logged and the others go on: the refresh's own error is what the caller
        raises."""
        changed = [entry for entry in self.saved if entry[1][1](entry[0], entry[2])]
        # What the undone code added stays alive until every restore is done: no finalizer
        # (Python code) runs between two restores.
        keep_alive = [entry[1][0](entry[0]) for entry in changed]
        restored = []
        for obj, kind, saved, where in reversed(changed):
            try:
                kind[2](obj, saved)
            except Exception:
                logger.exception("limeade: rollback could not restore %s", ".".join(where))
                continue
            restored.append(".".join(where))
        del keep_alive
        return restored


#: Values a registry keys: what a registering decorator or ``__init_subclass__`` stores.
_REGISTERED = (types.FunctionType, type)


def stale_keys(snapshot: ContainerSnapshot) -> list[tuple[tuple[str, ...], Any, Any]]:
    """After a refresh that ran the program's code: in each saved dict the code added a key to,
    the keys it held before whose function or class is the very object now registered under
    a new key too, as ``(where, old key, new key)``. A registration keyed by something that
    changed (``@command("hello")`` -> ``@command("greet")``) adds the new key and leaves the
    old one, which a fresh start would not make unless something else adds it."""
    found = []
    dict_kind = _KINDS[dict]
    for obj, kind, saved, where in snapshot.saved:
        if kind is not dict_kind or not _dict_changed(obj, saved):
            continue
        added = {
            id(v): k for k, v in dict.items(obj) if isinstance(v, _REGISTERED) and k not in saved
        }
        if not added:
            continue
        for key, value in saved.items():
            new_key = added.get(id(value))
            if new_key is not None and dict.get(obj, key, _MISSING) is value:
                found.append((where, key, new_key))
    return found


def may_run_user_code(module: Optional[types.ModuleType], plan: ModulePlan) -> bool:
    """Whether refreshing ``module`` by ``plan`` may run code of the program (statements,
    class bodies, decorators, defaults, annotations, base classes, hooks). Only then are copies
    worth taking: an edit of function bodies alone is applied by compiling, and costs nothing
    here. What the source tells is decided by the planner (``compiled_only``); what is left is
    whether a class holding a changed member runs a migration hook (or is gone)."""
    if plan["execution"] == "nothing":
        return False
    if module is None or not plan["compiled_only"]:
        return True
    for owner in plan["member_owners"]:
        live = find_class(module.__dict__, owner)
        if live is None or hasattr(live, "__limeade_migrate__"):
            # A changed class runs its migration hook on every live instance.
            return True
    return False


def take(modules: Iterable[types.ModuleType]) -> ContainerSnapshot:
    """Copies of the containers held by ``modules``' globals and by the classes defined there
    (nested classes included), and of those classes' attributes."""
    snapshot = ContainerSnapshot()
    for module in modules:
        snapshot.add_namespace(module.__dict__, module.__name__, (module.__name__,))
    snapshot.walked_types = None
    return snapshot
