"""What a refresh touches on the heap, counted: live closures whose nested code it replaces and
instances its ``__limeade_migrate__`` hooks run for. The refresh counts them as it updates them;
``plan(count=True)`` counts them without changing anything, in one walk of the heap for every
module of the plan (a plain ``plan()`` never walks the heap). The words are shared, so the plan
and the report say the same."""

from __future__ import annotations

import types
from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from . import _native

__all__ = [
    "closure_count",
    "count_closures",
    "functions_running",
    "instance_count",
    "instances_of",
]

#: A nested function updated where no closure made from it is alive: only new ones, made by the
#: enclosing function's new code, run it.
NO_LIVE_CLOSURE = "no live closure yet: new ones run the new code"

Key = TypeVar("Key", bound=Hashable)


def closure_count(count: int) -> str:
    """Why-words of "closure updated": how many live closures get the new code."""
    if count == 0:
        return NO_LIVE_CLOSURE
    return f"{count} live closure{'' if count == 1 else 's'}"


def instance_count(count: int) -> str:
    """Why-words of "migrated": how many instances the hook runs for."""
    return f"{count} instance{'' if count == 1 else 's'}"


def functions_running(
    objects: list[Any], codes: Mapping[int, types.CodeType]
) -> Iterator[types.FunctionType]:
    """The plain functions among ``objects`` (``gc.get_objects()``) whose code object is one of
    ``codes`` (by ``id``), found in one native pass."""
    if not codes:
        return
    for function in _native.functions_with_code(objects, types.FunctionType, list(codes)):
        if codes.get(id(function.__code__)) is function.__code__:
            yield function


def count_closures(objects: list[Any], codes: dict[Key, types.CodeType]) -> dict[Key, int]:
    """Per key, how many plain functions among ``objects`` (``gc.get_objects()``) run its code
    object now."""
    counts = dict.fromkeys(codes, 0)
    keys = {id(code): key for key, code in codes.items()}
    by_id = {id(code): code for code in codes.values()}
    for function in functions_running(objects, by_id):
        counts[keys[id(function.__code__)]] += 1
    return counts


def instances_of(objects: Iterable[Any], classes: Iterable[type]) -> Iterator[tuple[type, Any]]:
    """Every instance among ``objects`` of one of ``classes`` (or of a subclass), with the first
    of ``classes`` in its MRO (classes themselves are not instances here)."""
    wanted = tuple(dict.fromkeys(classes))
    if not wanted:
        return
    owners = set(wanted)
    for obj in objects:
        if isinstance(obj, wanted) and not isinstance(obj, type):
            yield next(c for c in type(obj).__mro__ if c in owners), obj
