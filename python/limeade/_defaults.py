"""Defaults that read a rebound name. ``def connect(timeout=TIMEOUT)`` evaluated ``TIMEOUT`` once,
when the ``def`` ran: after a refresh rebinds ``TIMEOUT`` (in the module itself or as an
importer's copy), a fresh start would give ``connect`` the new value. Which functions' defaults
read which names, and the expressions' text, are data from the registry's parsed trees; here the
expressions are evaluated with the old and the new namespace, and a default still equal to what
the old namespace gives is replaced by what the new one gives. Nothing live is mutated here:
the result is more mutations for the same commit."""

from __future__ import annotations

import functools
import sys
import types
from typing import Any, Optional

from . import _tracking
from ._errors import ApplyError
from ._lookup import find_class, find_function, future_flags
from ._mutations import DELETED, Mutations
from ._outcomes import UPDATED
from ._report import Change
from ._stack import on_large_stack

_MISSING = object()
#: Mutations after which a function's defaults are not ours to re-evaluate.
_OWN_ATTRS = ("__defaults__", "__kwdefaults__")

#: ``(param, index in __defaults__ or None for keyword-only, text, line, names read)``.
DefaultData = tuple[str, Optional[int], str, int, list[str]]


def changed_names(module: types.ModuleType, mutations: Mutations) -> list[str]:
    """Module-level names whose value the mutations change."""
    before = module.__dict__
    changes = mutations.item_changes(before)
    return sorted(
        k
        for k, v in changes.items()
        if isinstance(k, str) and before.get(k, _MISSING) is not (_MISSING if v is DELETED else v)
    )


def mutated_modules(mutations: Mutations) -> list[types.ModuleType]:
    """Tracked modules whose namespace the mutations change, in first-mutation order."""
    out: list[types.ModuleType] = []
    for target in mutations.changed_dicts():
        if type(target) is not dict:
            continue
        module = sys.modules.get(target.get("__name__", ""))
        if (
            module is not None
            and module.__dict__ is target
            and module.__name__ in _tracking.REGISTRY
        ):
            out.append(module)
    return out


def _holder(namespace: dict[str, Any], qualname: str) -> tuple[Any, Optional[type]]:
    """The object a module-level function or a method is stored in, and its class if any."""
    scope, _, name = qualname.rpartition(".")
    if not scope:
        return namespace.get(name, _MISSING), None
    cls = find_class(namespace, scope)
    if cls is None:
        return _MISSING, None
    return cls.__dict__.get(name, _MISSING), cls


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _signature(code: types.CodeType) -> tuple[Any, ...]:
    count = code.co_argcount + code.co_kwonlyargcount
    return code.co_posonlyargcount, code.co_argcount, code.co_varnames[:count]


def _signature_changes(fn: types.FunctionType, mutations: Mutations) -> bool:
    """Whether the commit gives ``fn`` its own defaults or a code object with other parameters
    (positions in ``__defaults__`` would no longer match the source this data came from)."""
    changes = mutations.attribute_changes(fn)
    if set(_OWN_ATTRS) & set(changes):
        return True
    code = changes.get("__code__")
    return isinstance(code, types.CodeType) and _signature(code) != _signature(fn.__code__)


def refresh_defaults(mutations: Mutations) -> list[Change]:
    """Add to ``mutations`` the re-evaluated defaults of unchanged functions whose default
    expressions read a module-level name the mutations rebind or remove, where the function still
    holds what the expression gave with the old value. Raises :class:`ApplyError` when an
    expression fails with the new values (a fresh start would fail the same way)."""
    changes: list[Change] = []
    for module in mutated_modules(mutations):
        names = changed_names(module, mutations)
        if not names:
            continue
        name = module.__name__
        path = _tracking.REGISTRY.path(name) or ""
        after = mutations.post_commit(module.__dict__) or module.__dict__
        for qualname, first_line, defaults in _tracking.REGISTRY.default_readers(name, names):
            # Looked up in the namespace the commit leaves: a function this refresh removes
            # (moved to another module) has no default to refresh.
            root, cls = _holder(after, qualname)
            fn = find_function(root, qualname, first_line, path) if root is not _MISSING else None
            if fn is None or _signature_changes(fn, mutations):
                continue
            updated = _reevaluate(module, after, fn, cls, path, qualname, defaults)
            if updated:
                new_defaults, new_kwdefaults, params = updated
                if new_defaults is not None:
                    mutations.setattr(fn, "__defaults__", new_defaults)
                if new_kwdefaults is not None:
                    mutations.setattr(fn, "__kwdefaults__", new_kwdefaults)
                changes.append(
                    Change(name, qualname, f"default re-evaluated: {', '.join(params)}", UPDATED)
                )
    return changes


def _reevaluate(
    module: types.ModuleType,
    after: dict[str, Any],
    fn: types.FunctionType,
    cls: Optional[type],
    path: str,
    qualname: str,
    defaults: list[DefaultData],
) -> Optional[tuple[Optional[tuple[Any, ...]], Optional[dict[str, Any]], list[str]]]:
    positional = list(fn.__defaults__ or ())
    keyword = dict(fn.__kwdefaults__ or {})
    params = []
    # A method's default is evaluated in its class body: class attributes come first.
    scope = dict(cls.__dict__) if cls is not None else None
    for default in defaults:
        param, index, _text, line, _reads = default
        held = _held_default(module, fn, scope, path, default)
        if held is None:
            continue
        current, code = held
        try:
            new = eval(code, dict(after), scope)
        except Exception as e:
            raise ApplyError(
                f"{path}:{line}: the default of {param!r} in {qualname} reads a rebound name and "
                f"raised {e!r} with the new values",
                module.__name__,
                qualname,
            ) from e
        if new is current:
            continue
        if index is None:
            keyword[param] = new
        else:
            positional[index] = new
        params.append(param)
    if not params:
        return None
    kwonly = {d[0] for d in defaults if d[1] is None and d[0] in params}
    new_defaults = tuple(positional) if len(kwonly) < len(params) else None
    new_kwdefaults = keyword if kwonly else None
    return new_defaults, new_kwdefaults, params


def _held_default(
    module: types.ModuleType,
    fn: types.FunctionType,
    scope: Optional[dict[str, Any]],
    path: str,
    default: DefaultData,
) -> Optional[tuple[Any, types.CodeType]]:
    """The default the function holds for one parameter and its compiled expression, when it
    still holds what the expression gives with the old values (None: set by hand, or not
    reproducible: nothing says the default came from the expression)."""
    param, index, text, line, _reads = default
    if index is None:
        current = (fn.__kwdefaults__ or {}).get(param, _MISSING)
    else:
        positional = fn.__defaults__ or ()
        current = positional[index] if index < len(positional) else _MISSING
    if current is _MISSING:
        return None
    source = "\n" * (line - 1) + "(" + text + "\n)"
    flags = future_flags(module.__dict__)
    code = on_large_stack(functools.partial(compile, source, path, "eval", flags, True))
    try:
        old = eval(code, dict(module.__dict__), scope)
    except Exception:
        return None
    return (current, code) if _same(current, old) else None


def predict_defaults(module_name: str, names: set[str], own_defaults: set[str]) -> list[Change]:
    """The defaults :func:`refresh_defaults` would re-evaluate in ``module_name`` when ``names``
    are rebound (it also checks that the function still holds the old result, which a plan does
    not evaluate). ``own_defaults`` are qualnames whose defaults the refresh sets itself.
    Only defaults the function still holds as their expressions gave them with the old values
    are predicted, as the refresh checks (the new values are only known once it ran)."""
    module = sys.modules.get(module_name)
    if module is None or not names:
        return []
    path = _tracking.REGISTRY.path(module_name) or ""
    out = []
    for qualname, first_line, defaults in _tracking.REGISTRY.default_readers(
        module_name, sorted(names)
    ):
        if qualname in own_defaults:
            continue
        root, cls = _holder(module.__dict__, qualname)
        fn = find_function(root, qualname, first_line, path) if root is not _MISSING else None
        if fn is None:
            continue
        scope = dict(cls.__dict__) if cls is not None else None
        held = [
            d[0]
            for d in defaults
            # A name the class body binds is what a method's default reads, not the module's.
            if not (scope is not None and all(r in scope for r in d[4] if r in names))
            and _held_default(module, fn, scope, path, d) is not None
        ]
        if held:
            params = ", ".join(held)
            out.append(Change(module_name, qualname, f"default re-evaluated: {params}", UPDATED))
    return out
