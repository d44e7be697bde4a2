"""Finding things in compiled code and live objects: code objects by qualified name, the live
function behind decorators and descriptors, compiler flags, and lines counted like the compiler."""

from __future__ import annotations
import __future__

import functools
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from typing_extensions import TypeGuard

MISSING = object()
#: Dicts larger than this (caches, data) are not searched for registered functions.
_DICT_SEARCH_LIMIT = 1_000
#: How deep to look through decorators for the function a definition compiled to.
_UNWRAP_DEPTH = 6


def future_flags(namespace: dict[str, Any]) -> int:
    """Compiler flags for the ``from __future__`` imports a module made."""
    flags = 0
    # Only the names `from __future__ import x` binds (a module may hold thousands of names).
    for name in __future__.all_feature_names:
        value = namespace.get(name)
        if isinstance(value, __future__._Feature):
            flags |= value.compiler_flag
    return flags


def code_qualname(code: types.CodeType) -> str:
    """``co_qualname`` (Python 3.11+), else ``co_name``."""
    return getattr(code, "co_qualname", code.co_name)


def function_qualname(fn: types.FunctionType) -> str:
    """The qualified name a function was compiled under (its code's, on 3.11+: a function's own
    ``__qualname__`` can be reassigned)."""
    code = fn.__code__
    return code.co_qualname if hasattr(code, "co_qualname") else fn.__qualname__


def _qualname_matches(code: types.CodeType, qualname: str) -> bool:
    if hasattr(code, "co_qualname"):
        return code.co_qualname == qualname
    return code.co_name == qualname.rsplit(".", 1)[-1]


def find_code(
    code: types.CodeType, qualname: str, firstlineno: Optional[int] = None
) -> Optional[types.CodeType]:
    """The code object for ``qualname`` (first line ``firstlineno``) among ``code``'s constants."""
    stack = [code]
    while stack:
        current = stack.pop()
        for const in current.co_consts:
            if isinstance(const, types.CodeType):
                if _qualname_matches(const, qualname) and (
                    firstlineno is None or const.co_firstlineno == firstlineno
                ):
                    return const
                stack.append(const)
    return None


def metaclass_intercepts(cls: type, name: str) -> bool:
    """Whether ``type.__setattr__(cls, name, ...)`` would call a Python data descriptor found on
    the metaclass instead of setting the class attribute."""
    metaclasses: tuple[type, ...] = type.__dict__["__mro__"].__get__(type(cls))
    for klass in metaclasses:
        if klass is type:
            return False
        descriptor = klass.__dict__.get(name)
        if descriptor is not None:
            return hasattr(type(descriptor), "__set__")
    return False


def is_definition_like(obj: Any) -> bool:
    """Whether a value is a definition's kind of object: a function, class, method wrapper or
    other callable (not data such as a number or a list). Rebinding a name that holds one to a
    new object is a replacement old references do not see."""
    return isinstance(obj, (type, classmethod, staticmethod, property)) or callable(obj)


def shift_lines(code: types.CodeType, delta: int) -> types.CodeType:
    """``code`` moved ``delta`` lines down (up when negative), nested code objects included. The
    line table is relative to ``co_firstlineno`` (3.9-3.13), so that is all that changes."""
    if has_nested_code(code):
        consts = tuple(
            shift_lines(c, delta) if type(c) is types.CodeType else c for c in code.co_consts
        )
        return code.replace(co_firstlineno=code.co_firstlineno + delta, co_consts=consts)
    return code.replace(co_firstlineno=code.co_firstlineno + delta)


def has_nested_code(code: types.CodeType) -> bool:
    """Whether ``code`` holds code objects (functions, lambdas, classes, comprehensions before
    3.12): most functions hold none, and need no walk of their constants."""
    # `in` over `map(type, ...)` runs in C: a generator would cost a frame step per constant.
    return types.CodeType in map(type, code.co_consts)


#: Attributes a decorator or descriptor keeps the function it wraps in.
_CHILD_ATTRIBUTES = ("__func__", "fget", "fset", "fdel", "__wrapped__", "func")


def _children(obj: Any) -> list[Any]:
    """Objects a decorator or descriptor may hold the original function in."""
    out: list[Any] = []
    kind = type(obj)
    if kind is property:
        # Exactly a property: its three functions are all it can hold (no `__dict__`); the
        # general path below would raise and catch four AttributeErrors to find that out.
        return [f for f in (obj.fget, obj.fset, obj.fdel) if f is not None]
    if kind is classmethod or kind is staticmethod:
        out.append(obj.__func__)
        # 3.10+: what the wrapper copied from the function, and anything set on it.
        attributes = getattr(obj, "__dict__", None)
        if type(attributes) is dict and len(attributes) <= _DICT_SEARCH_LIMIT:
            out.extend(
                v
                for v in attributes.values()
                if isinstance(v, (types.FunctionType, list, tuple, dict))
            )
        return out
    if kind is types.FunctionType:
        # A plain function has none of these as type attributes: only its `__dict__` can hold
        # them. Reading it directly avoids six raised AttributeErrors per function.
        own = obj.__dict__
        out.extend(v for v in map(own.get, _CHILD_ATTRIBUTES) if v is not None)
        return out + _function_children(obj)
    for attr in _CHILD_ATTRIBUTES:
        try:
            value = obj.__wrapped__ if attr == "__wrapped__" else object.__getattribute__(obj, attr)
        except Exception:
            continue
        if value is not None:
            out.append(value)
    if isinstance(obj, functools.singledispatchmethod):
        # Implementations registered as `@meth.register def _` live only in its dispatcher.
        out.extend(obj.dispatcher.registry.values())
    if type(obj) is dict and len(obj) <= _DICT_SEARCH_LIMIT:
        # Registries keyed by name or event (`HANDLERS["x"] = fn`) hold decorated functions.
        out.extend(v for v in obj.values() if isinstance(v, types.FunctionType))
    elif type(obj) in (list, tuple) and len(obj) <= _DICT_SEARCH_LIMIT:
        # Registries that append (`@hooks.add` keeping functions in a list).
        out.extend(v for v in obj if isinstance(v, types.FunctionType))
    elif not isinstance(obj, (type, types.FunctionType, types.ModuleType)):
        # A registry object a decorator returned (`@activities.add` returning `self`): its
        # attributes (looked up without running any descriptor or __getattr__).
        try:
            attributes = object.__getattribute__(obj, "__dict__")
        except Exception:
            attributes = None
        if type(attributes) is dict and len(attributes) <= _DICT_SEARCH_LIMIT:
            out.extend(
                v
                for v in attributes.values()
                if isinstance(v, (types.FunctionType, list, tuple, dict))
            )
    if isinstance(obj, types.FunctionType):
        out.extend(_function_children(obj))
    return out


def _function_children(obj: types.FunctionType) -> list[Any]:
    """Functions a decorator's wrapper holds in its closure, and singledispatch
    implementations."""
    out: list[Any] = []
    if obj.__closure__:
        for cell in obj.__closure__:
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, types.FunctionType):
                out.append(value)
    # functools.singledispatch keeps its implementations in `registry`.
    registry = obj.__dict__.get("registry")
    if isinstance(registry, Mapping):
        out.extend(registry.values())
    return out


def compiled_from(
    obj: Any, qualname: str, firstlineno: int, filename: str
) -> TypeGuard[types.FunctionType]:
    """Whether ``obj`` is a function compiled from the definition ``qualname`` starting at
    ``firstlineno`` in ``filename`` (what :func:`find_function` looks for at each level)."""
    if type(obj) is not types.FunctionType:
        return False
    code = obj.__code__
    return (
        code.co_firstlineno == firstlineno
        and code.co_filename == filename
        and _qualname_matches(code, qualname)
    )


def find_function(
    root: Any, qualname: str, firstlineno: int, filename: str
) -> Optional[types.FunctionType]:
    """The live function compiled from the definition ``qualname`` starting at ``firstlineno``,
    looking through staticmethod, classmethod, property, ``functools.wraps`` chains, partials,
    singledispatch(method) registries and closures of decorator wrappers. Only an exact match
    counts: a definition that no live object holds (shadowed by a later one, an ``@overload``
    stub) has no function to update. Only functions compiled from ``filename`` count (another
    module's function can have the same name and first line). ``root`` may be a list of roots."""
    seen: set[int] = set()
    level = list(root) if isinstance(root, list) else [root]
    for _ in range(_UNWRAP_DEPTH):
        next_level = []
        for obj in level:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if compiled_from(obj, qualname, firstlineno, filename):
                return obj
            next_level.extend(_children(obj))
        level = next_level
        if not level:
            break
    return None


#: Characters ``str.splitlines`` breaks at that the compiler does not count as line ends.
_OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\r"


def split_lines(text: str) -> list[str]:
    """Lines as the compiler and tracebacks count them: split at ``\\n`` only (``splitlines``
    also splits at form feeds and Unicode line separators, which CPython does not)."""
    # One substring search per character is several times faster than a regex character class.
    if not any(c in text for c in _OTHER_LINE_BREAKS):
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        return lines
    lines = [line + "\n" for line in text.split("\n")]
    if lines and lines[-1] == "\n":
        lines.pop()
    return lines


def is_plain_function(obj: Any) -> TypeGuard[types.FunctionType]:
    return type(obj) is types.FunctionType


def rehome(fn: types.FunctionType, new: type, live: type) -> types.FunctionType:
    """``fn`` with closure cells that hold the throwaway class ``new`` holding ``live`` instead
    (``__class__`` for ``super()``, the class a frozen dataclass's ``__setattr__`` checks)."""
    if not fn.__closure__:
        return fn
    cells = []
    changed = False
    for cell in fn.__closure__:
        try:
            holds_new = cell.cell_contents is new
        except ValueError:
            holds_new = False
        cells.append(types.CellType(live) if holds_new else cell)
        changed = changed or holds_new
    if not changed:
        return fn
    clone = types.FunctionType(
        fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, tuple(cells)
    )
    clone.__kwdefaults__ = fn.__kwdefaults__
    clone.__qualname__ = fn.__qualname__
    clone.__doc__ = fn.__doc__
    annotate = getattr(fn, "__annotate__", MISSING)
    if annotate is not MISSING:
        # Python 3.14+ (PEP 649): annotations are computed when asked for; do not ask here.
        setattr(clone, "__annotate__", annotate)  # noqa: B010 (not in 3.9-3.13 stubs)
    else:
        clone.__annotations__ = fn.__annotations__
    clone.__dict__.update(fn.__dict__)
    return clone


def describe(entry: Mapping[str, Any]) -> str:
    """How an error or a report names a plan entry: qualname or statement, with its line."""
    span = entry.get("new_span") or entry.get("old_span") or {}
    line = span.get("start_line", "?")
    if "qualname" in entry:
        return f"{entry['qualname']} (line {line})"
    return f"{entry['label']} {entry['name']} (line {line})"


def find_class(namespace: Mapping[str, Any], qualname: str) -> Optional[type]:
    """The live class ``qualname`` (``A.B`` for a nested class) in a module namespace."""
    obj: Any = namespace.get(qualname.split(".")[0], MISSING)
    for part in qualname.split(".")[1:]:
        if not isinstance(obj, type):
            return None
        obj = obj.__dict__.get(part, MISSING)
    return obj if isinstance(obj, type) else None


def namespace_of(scope: Any) -> Mapping[str, Any]:
    """What a scope binds: a class's own ``__dict__``, or the module dict itself."""
    return scope.__dict__ if isinstance(scope, type) else scope
