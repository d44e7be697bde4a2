"""Which class changes can be applied to the live class instead of replacing it: new bases
CPython accepts for the layout, literal ``__slots__`` changes, classes whose generated parts can
be grafted (dataclasses, enums), and classes that generate code from their fields."""

from __future__ import annotations

import enum
import types
from typing import Any, Optional

from . import _native


def assignable_bases(
    module: types.ModuleType, qualname: str, conflicts: list[dict[str, Any]]
) -> Optional[tuple[type, ...]]:
    """The new bases of a class whose only conflict is a change of bases, when CPython accepts
    assigning them to the live class (same instance layout); else None."""
    conflict = next(
        (
            c
            for c in conflicts
            if c["qualname"] == qualname and c["kind"]["type"] == "bases_changed"
        ),
        None,
    )
    if conflict is None:
        return None
    live: Any = module.__dict__.get(qualname.split(".")[0])
    for part in qualname.split(".")[1:]:
        live = live.__dict__.get(part) if isinstance(live, type) else None
    if not isinstance(live, type):
        return None
    texts = conflict["kind"]["new"]
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


def resolvable_in_place(
    module: types.ModuleType, qualname: str, conflicts: list[dict[str, Any]]
) -> bool:
    """Whether every conflict of a class can be applied to the live class: new bases CPython
    accepts for its layout, or a change of literal ``__slots__`` on a class that had them."""
    mine = [c for c in conflicts if c["qualname"] == qualname]
    for conflict in mine:
        kind = conflict["kind"]["type"]
        if kind == "bases_changed":
            if assignable_bases(module, qualname, [conflict]) is None:
                return False
        elif kind == "slots_changed":
            live: Any = module.__dict__.get(qualname.split(".")[0])
            for part in qualname.split(".")[1:]:
                live = live.__dict__.get(part) if isinstance(live, type) else None
            if not isinstance(live, type) or "__slots__" not in live.__dict__:
                return False
        else:
            return False
    return bool(mine)


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
