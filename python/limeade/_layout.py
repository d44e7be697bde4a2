"""Which class changes can be applied to the live class instead of replacing it: new bases
CPython accepts for the layout, literal ``__slots__`` changes, classes whose generated parts can
be grafted (dataclasses, enums), and classes that generate code from their fields."""

from __future__ import annotations

import enum
import types
from typing import Any, NamedTuple, Optional

from . import _native
from ._lookup import find_class


class InPlace(NamedTuple):
    """How a class's conflicts are applied to the live class instead of replacing it."""

    #: Bases to assign, when the bases changed.
    new_bases: Optional[tuple[type, ...]]
    #: Slot names ``(added, removed)``, when literal ``__slots__`` changed.
    slots: Optional[tuple[list[str], list[str]]]


def in_place(
    module: types.ModuleType, qualname: str, conflicts: list[dict[str, Any]]
) -> Optional[InPlace]:
    """How every conflict of a class can be applied to the live class (new bases CPython accepts
    for its layout, a change of literal ``__slots__`` on a class that had them), or None when
    some conflict needs the class replaced."""
    mine = [c for c in conflicts if c["qualname"] == qualname]
    live = find_class(module.__dict__, qualname)
    if not mine or live is None:
        return None
    new_bases: Optional[tuple[type, ...]] = None
    slots: Optional[tuple[list[str], list[str]]] = None
    for conflict in mine:
        kind = conflict["kind"]
        if kind["type"] == "bases_changed":
            new_bases = _assignable_bases(module, live, kind["new"])
            if new_bases is None:
                return None
        elif kind["type"] == "slots_changed" and "__slots__" in live.__dict__:
            slots = (kind["added"], kind["removed"])
        else:
            return None
    return InPlace(new_bases, slots)


def _assignable_bases(
    module: types.ModuleType, live: type, texts: list[str]
) -> Optional[tuple[type, ...]]:
    """The new bases (source texts evaluated in the module), when CPython accepts assigning
    them to the live class (same instance layout); else None."""
    try:
        new_bases = eval("(" + "".join(t + ", " for t in texts) + ")", dict(module.__dict__))
    except Exception:
        return None
    if not new_bases or not all(isinstance(b, type) for b in new_bases):
        return None
    if any("mro" in klass.__dict__ for klass in type(live).__mro__ if klass is not type):
        return None  # assigning __bases__ would run the metaclass's own mro() (Python code)
    if not _native.bases_assignable(live, new_bases):
        return None
    return new_bases


def graftable(cls: type) -> bool:
    """Classes whose regenerated parts can be moved onto the live class: dataclasses without
    ``__slots__`` (their layout stays) and enums (members added; changed ones are conflicts)."""
    if isinstance(cls, enum.EnumMeta):
        return True
    return "__dataclass_fields__" in cls.__dict__ and "__slots__" not in cls.__dict__


def generates_code_from_fields(cls: type) -> bool:
    """Whether a class's methods were generated from its fields (dataclass, NamedTuple, attrs)."""
    return (
        "__dataclass_fields__" in cls.__dict__
        or (issubclass(cls, tuple) and "_fields" in cls.__dict__)
        or "__attrs_attrs__" in cls.__dict__
    )
