"""Which class changes can be applied to the live class instead of replacing it: new bases
CPython accepts for the layout, literal ``__slots__`` changes, classes whose generated parts can
be grafted (dataclasses, enums), and classes that generate code from their fields (replaced)."""

from __future__ import annotations

import builtins
import enum
import re
import types
from collections.abc import Mapping
from typing import Any, Callable, NamedTuple, Optional

from . import _native
from ._lookup import find_class
from ._plan_data import Conflict, ModulePlan


class InPlace(NamedTuple):
    """How a class's conflicts are applied to the live class instead of replacing it."""

    #: Bases to assign, when the bases changed.
    new_bases: Optional[tuple[type, ...]]
    #: Slot names ``(added, removed)``, when literal ``__slots__`` changed.
    slots: Optional[tuple[list[str], list[str]]]
    #: The new bases name something the new source binds that the live module does not have
    #: yet (a base class added in the same edit): evaluated once the module's statements ran.
    deferred_bases: Optional[list[str]] = None
    #: A plan's decision only: the new bases are expressions only running code evaluates (a
    #: call, a subscript), which a plan does not do; the refresh evaluates them.
    unevaluated: bool = False


class NotEvaluated(Exception):
    """Base expressions a plan does not evaluate: finding their value would run code."""


class BasesRaised(Exception):
    """Evaluating new base expressions raised (the cause is chained): the class statement would
    raise it too."""


def in_place(
    module: types.ModuleType,
    qualname: str,
    conflicts: list[Conflict],
    pending: frozenset[str] = frozenset(),
    run_code: bool = True,
) -> Optional[InPlace]:
    """How every conflict of a class can be applied to the live class (new bases CPython accepts
    for its layout, a change of literal ``__slots__`` on a class that had them), or None when
    some conflict needs the class replaced. Without ``run_code`` (a plan) only bases written as
    dotted names are looked up (in dicts, running nothing); others are left ``unevaluated``."""
    mine = [c for c in conflicts if c["qualname"] == qualname]
    live = find_class(module.__dict__, qualname)
    if not mine or live is None:
        return None
    new_bases: Optional[tuple[type, ...]] = None
    deferred: Optional[list[str]] = None
    slots: Optional[tuple[list[str], list[str]]] = None
    unevaluated = False
    for conflict in mine:
        kind = conflict["kind"]
        if kind["type"] == "bases_changed":
            try:
                new_bases = assignable_bases(module.__dict__, live, kind["new"], run_code)
            except NameError as e:
                if _missing_name(e) not in pending:
                    return None
                deferred = kind["new"]
                continue
            except NotEvaluated:
                unevaluated = True
                continue
            if new_bases is None:
                return None
        elif kind["type"] == "slots_changed" and "__slots__" in live.__dict__:
            slots = (kind["added"], kind["removed"])
        else:
            return None
    return InPlace(new_bases, slots, deferred, unevaluated)


def _missing_name(error: NameError) -> Optional[str]:
    """The name a ``NameError`` is about (``.name`` is 3.10+)."""
    name = getattr(error, "name", None)
    if name is None and error.args:
        match = re.search(r"name '([^']+)' is not defined", str(error.args[0]))
        name = match.group(1) if match else None
    return name


def assignable_bases(
    namespace: Mapping[str, Any], live: type, texts: list[str], run_code: bool = True
) -> Optional[tuple[type, ...]]:
    """The new bases (source texts evaluated in ``namespace``), when CPython accepts assigning
    them to the live class (same instance layout); else None. A ``NameError`` propagates: the
    name may be one the refresh is about to bind; any other exception comes as
    :class:`BasesRaised`. Without ``run_code``, bases that are not dotted names raise
    :class:`NotEvaluated`."""
    if not run_code:
        new_bases: Any = _looked_up(namespace, texts)
    else:
        try:
            new_bases = eval("(" + "".join(t + ", " for t in texts) + ")", dict(namespace))
        except NameError:
            raise
        except Exception as e:
            raise BasesRaised(", ".join(texts)) from e
    if not new_bases or not all(isinstance(b, type) for b in new_bases):
        return None
    metaclasses: tuple[type, ...] = type.__dict__["__mro__"].__get__(type(live))
    if any("mro" in klass.__dict__ for klass in metaclasses if klass is not type):
        return None  # assigning __bases__ would run the metaclass's own mro() (Python code)
    if not _native.bases_assignable(live, new_bases):
        return None
    return new_bases


def _looked_up(namespace: Mapping[str, Any], texts: list[str]) -> tuple[Any, ...]:
    """The objects dotted names (``Base``, ``models.Base``, ``Outer.Inner``) stand for, found in
    the namespace, the builtins and module and class dicts: no attribute hook, descriptor or
    module ``__getattr__`` runs. Anything else raises :class:`NotEvaluated`."""
    found = []
    for text in texts:
        first, *rest = text.split(".")
        if not all(part.isidentifier() for part in (first, *rest)):
            raise NotEvaluated(text)
        obj = namespace.get(first, _MISSING)
        if obj is _MISSING:
            obj = vars(builtins).get(first, _MISSING)
        if obj is _MISSING:
            raise NameError(f"name '{first}' is not defined")
        for part in rest:
            if isinstance(obj, types.ModuleType):
                obj = vars(obj).get(part, _MISSING)
            elif isinstance(obj, type):
                obj = next((vars(k)[part] for k in obj.__mro__ if part in vars(k)), _MISSING)
            else:
                obj = _MISSING
            if obj is _MISSING:
                raise NotEvaluated(text)
        found.append(obj)
    return tuple(found)


#: No such name.
_MISSING = object()


def graftable(cls: type) -> bool:
    """Classes whose regenerated parts can be moved onto the live class: dataclasses without
    ``__slots__`` (their layout stays) and enums (members added; changed ones are conflicts).
    Not pydantic dataclasses: their validator builds instances of the class it was made for."""
    if isinstance(cls, enum.EnumMeta):
        return True
    return (
        "__dataclass_fields__" in cls.__dict__
        and "__slots__" not in cls.__dict__
        and not _is_pydantic(cls)
    )


def replace_reason(cls: type) -> Optional[str]:
    """Why a class whose body changed is replaced instead of updated: its code was generated
    from its fields (NamedTuple, attrs, slotted dataclass) or, for pydantic, its validation and
    serialisation were built from its fields and validators. None for other classes."""
    if _is_pydantic(cls):
        return (
            "fields, config or validators changed in a pydantic model: pydantic builds its "
            "validator, serializer and model_fields when the class is created"
        )
    if "__attrs_attrs__" in cls.__dict__:
        kind = "an attrs class"
    elif issubclass(cls, tuple) and "_fields" in cls.__dict__:
        kind = "a NamedTuple"
    elif "__dataclass_fields__" in cls.__dict__:
        kind = "a dataclass with __slots__"
    else:
        return None
    return f"fields changed in {kind}, whose methods are generated from them"


def decorated_member_changes(
    plan: ModulePlan, live_class: Callable[[str], Optional[type]]
) -> list[dict[str, Any]]:
    """Pydantic models also build validation from decorated methods (``@field_validator``,
    ``@computed_field``, ...): a decorated method added or removed, or changed in more than its
    body, changes the class as a field change does. One entry (``scope``, ``status``) per such
    change, shaped like the plan's statements."""
    out = []
    for d in plan["definitions"]:
        span = d["new_span"] or d["old_span"]
        if d["status"] == "unchanged" or d.get("in_function") or span is None:
            continue
        decorated = d["def_line"] is not None and d["def_line"] > span["start_line"]
        code_only = d["status"] == "changed" and set(d["aspects"]) <= _CODE_ONLY_ASPECTS
        scope = d["scope"]
        if not decorated or code_only or not scope:
            continue
        live = live_class(scope)
        if live is not None and _is_pydantic(live):
            out.append({"scope": scope, "status": "changed"})
    return out


#: Changes of a method that reach the live function without running its decorators again.
_CODE_ONLY_ASPECTS = {"body", "docstring", "moved"}


def _is_pydantic(cls: type) -> bool:
    """A pydantic model or dataclass (v2), or a v1 model."""
    own = cls.__dict__
    return (
        "__pydantic_validator__" in own
        or "__pydantic_fields__" in own
        or "__pydantic_decorators__" in own
        or ("__fields__" in own and "__validators__" in own)
    )
