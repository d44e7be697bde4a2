"""Running a class statement again to get a throwaway version of the class (for grafting)
without running the hooks its bases and metaclass have for new classes.

A base's ``__init_subclass__`` or a metaclass's ``__init__`` often records every new class (plugin
registries). The throwaway is only a source of generated methods and members for the class that
is kept, so those hooks must not see it: the statement runs with a private ``__build_class__``
that creates the target class through its metaclass's ``__new__`` alone, with a first base whose
``__init_subclass__`` does nothing. Decorators (``@dataclass``) and the metaclass's ``__new__``
(``EnumMeta`` building members) still run: they are what generates the parts being grafted."""

from __future__ import annotations

import builtins
import types
from typing import Any, Callable


class _NoHook:
    """First base of a throwaway class: ``type.__new__`` calls the ``__init_subclass__`` next
    in the new class's MRO, which is this one, so the real bases' hooks are not called. No
    ``__slots__``: its instances' layout (``__dict__``, ``__weakref__``) is that of a plain class,
    so new enum members can take the live class as their ``__class__``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        pass


def quiet_builtins(globals_: dict[str, Any], target: types.CodeType) -> dict[str, Any]:
    """A copy of the builtins ``globals_`` uses, whose ``__build_class__`` builds the class whose
    body is ``target`` without base or metaclass-``__init__`` hooks; other classes are built as
    usual. The class body itself runs with ``globals_`` (functions it makes get the real module
    globals and builtins)."""
    found = globals_.get("__builtins__", builtins)
    copy = dict(found.__dict__ if isinstance(found, types.ModuleType) else found)
    copy["__build_class__"] = _quiet_build_class(copy["__build_class__"], globals_, target)
    return copy


def _quiet_build_class(
    real: Callable[..., Any], globals_: dict[str, Any], target: types.CodeType
) -> Callable[..., Any]:
    def build_class(func: types.FunctionType, name: str, /, *bases: Any, **kwargs: Any) -> Any:
        if func.__code__ is not target:
            return real(func, name, *bases, **kwargs)
        resolved = types.resolve_bases(bases)
        meta, namespace, keywords = types.prepare_class(name, resolved, kwargs)
        # Class bodies at module level or in a class have no free variables.
        exec(func.__code__, globals_, namespace)
        if resolved is not bases:
            namespace["__orig_bases__"] = bases
        # Not `meta(...)`: that would also call the metaclass's `__init__`.
        return meta.__new__(meta, name, (_NoHook, *resolved), namespace, **keywords)

    return build_class
