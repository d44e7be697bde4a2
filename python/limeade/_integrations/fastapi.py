"""FastAPI: re-wire the routes whose endpoint (or one of its dependencies) changed signature,
or that are wired with a class the refresh replaced (a pydantic model whose fields changed: the
route would validate and serialise with the old model; the endpoint's annotations are pointed
at the new class too, as a fresh start would have them).

``APIRoute.__init__`` reads the endpoint's signature once: query, path and body parameters,
dependencies, the response model of the return annotation, the description of the docstring.
A refreshed endpoint runs its new body through the old wiring, so a new query parameter would
never be filled. For each affected route a fresh route of the same class is built with the
arguments the live one was made with (read back from its attributes), and its derived
attributes are copied onto the live route, which stays the object the app's router holds.

Which arguments were derived from the old endpoint (the response model of its return
annotation, the description of its docstring) is found before the commit by building a probe
route without them: a derived value is derived again from the new endpoint, a value given to
the decorator is kept. Routes are found in the globals of tracked modules: apps, routers and
what they mount or include."""

from __future__ import annotations

import inspect
import os
import sys
import types
import typing
from typing import Any, NamedTuple, Optional

from .. import _tracking
from .._mutations import Mutations
from .._outcomes import UPDATED
from .._report import Change
from . import ChangedClass, Rewiring, WiringError

#: Attributes read from a route to build its fresh copy: every keyword of the route class's
#: ``__init__`` held under the same name, except these (given positionally, or rebuilt).
_POSITIONAL = ("self", "path", "endpoint")


def find(
    changed: set[tuple[str, str]], classes: Optional[dict[int, ChangedClass]] = None
) -> Optional[Rewiring]:
    """The routes reachable from tracked modules whose wiring depends on a changed definition,
    or names a class the refresh may replace (a body, parameter or response model)."""
    routing = sys.modules.get("fastapi.routing")
    if routing is None:
        return None
    routes: list[Any] = []
    routers: list[Any] = []
    apps: list[Any] = []
    _collect(_roots(), routing.APIRoute, routes, routers, apps)
    classes = classes or {}
    affected = []
    for route in routes:
        by_signature = _depends_on(route.dependant, changed, set())
        models = _models_of(route, classes) if classes else []
        if by_signature or models:
            affected.append(Affected(route, _derived(route), by_signature, models))
    if not affected:
        return None
    return RouteRewiring(affected, routers, apps)


class Affected(NamedTuple):
    """A route to re-wire: after a change of a definition it depends on (``by_signature``), or
    if one of the classes it is wired with (``models``) is replaced."""

    route: Any
    derived: Derived
    by_signature: bool
    models: list[ChangedClass]


def _models_of(route: Any, classes: dict[int, ChangedClass]) -> list[ChangedClass]:
    """The classes of ``classes`` the route is wired with: named by its endpoint's
    annotations, its parameters and body, or its response model."""
    seen: dict[int, ChangedClass] = {}
    wired: list[Any] = [route.response_model]
    wired.extend(getattr(route.endpoint, "__annotations__", {}).values())
    dependant = route.dependant
    for kind in ("path_params", "query_params", "header_params", "cookie_params", "body_params"):
        for field in getattr(dependant, kind, ()):
            wired.append(getattr(getattr(field, "field_info", None), "annotation", None))
    for value in wired:
        for found in _named_classes(value, 0):
            hit = classes.get(id(found))
            if hit is not None and hit.old is found:
                seen[id(found)] = hit
    return list(seen.values())


#: How deep type arguments are followed (``Optional[list[Model]]`` is 2).
_TYPE_DEPTH = 6


def _named_classes(value: Any, depth: int) -> list[Any]:
    """The classes a type expression names: itself, or its arguments' (``list[M]``)."""
    if isinstance(value, type) and not typing.get_args(value):
        return [value]
    if depth >= _TYPE_DEPTH:
        return []
    found = []
    for argument in typing.get_args(value):
        found.extend(_named_classes(argument, depth + 1))
    return found


def swap_classes(value: Any, mapping: dict[int, type], depth: int = 0) -> Any:
    """``value`` with the classes of ``mapping`` (by ``id``) replaced, in type arguments too
    (``list[Old]`` -> ``list[New]``, ``Optional[Old]``, ``Annotated[Old, ...]``); ``value``
    itself when nothing in it is replaced or it cannot be rebuilt."""
    if isinstance(value, type) and not typing.get_args(value):
        return mapping.get(id(value), value)
    arguments = typing.get_args(value)
    if not arguments or depth >= _TYPE_DEPTH:
        return value
    swapped = tuple(swap_classes(a, mapping, depth + 1) for a in arguments)
    if all(a is b for a, b in zip(arguments, swapped)):
        return value
    origin = typing.get_origin(value)
    try:
        if origin is typing.Annotated:
            return typing.Annotated[(swapped[0], *value.__metadata__)]
        if origin is typing.Union or type(value).__name__ == "UnionType":
            return typing.Union[swapped]
        if isinstance(value, types.GenericAlias):
            return types.GenericAlias(origin, swapped)
        return value.copy_with(swapped)
    except Exception:  # a type this cannot rebuild keeps its old classes
        return value


def _roots() -> list[Any]:
    """Every global of every tracked module that is an app or a router."""
    starlette_routing = sys.modules.get("starlette.routing")
    if starlette_routing is None:
        return []
    router_type = starlette_routing.Router
    roots = []
    for name in _tracking.REGISTRY.names():
        module = sys.modules.get(name)
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for value in list(namespace.values()):
            if isinstance(value, router_type) or isinstance(_router_of(value), router_type):
                roots.append(value)
    return roots


def _router_of(value: Any) -> Any:
    """An app's router (``FastAPI``, ``Starlette``), without calling properties of other
    objects."""
    if isinstance(value, (type, types.ModuleType)):
        return None
    try:
        return vars(value).get("router")
    except TypeError:  # no __dict__
        return None


def _collect(
    roots: list[Any], route_type: type, routes: list[Any], routers: list[Any], apps: list[Any]
) -> None:
    """Walk apps, routers, mounts and included routers (each once) for routes of
    ``route_type``, noting the routers and apps seen."""
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        router = _router_of(node)
        if router is not None:
            apps.append(node)
            stack.append(router)
            continue
        node_routes = getattr(node, "routes", None)
        if not isinstance(node_routes, list):
            continue
        routers.append(node)
        for route in node_routes:
            if isinstance(route, route_type):
                if id(route) not in seen:
                    seen.add(id(route))
                    routes.append(route)
                continue
            # A mounted app or router; a router included by reference (FastAPI 0.165+).
            held = getattr(route, "__dict__", {})
            stack.extend(held.get(name) for name in ("_base_app", "app", "original_router"))


def _key(call: Any) -> tuple[str, str]:
    return (getattr(call, "__module__", None) or "", getattr(call, "__qualname__", None) or "")


def _depends_on(dependant: Any, changed: set[tuple[str, str]], seen: set[int]) -> bool:
    """Whether the dependant's call, or any of its sub-dependencies' calls, changed (a class
    dependency through its ``__init__``)."""
    if dependant is None or id(dependant) in seen:
        return False
    seen.add(id(dependant))
    call = getattr(dependant, "call", None)
    if call is not None:
        module, qualname = _key(call)
        if (module, qualname) in changed:
            return True
        if isinstance(call, type) and (module, f"{qualname}.__init__") in changed:
            return True
    return any(_depends_on(d, changed, seen) for d in getattr(dependant, "dependencies", ()))


def _arguments(route: Any) -> dict[str, Any]:
    """The keyword arguments the route class's ``__init__`` takes, read back from the route."""
    held = vars(route)
    out = {}
    for name, parameter in inspect.signature(type(route).__init__).parameters.items():
        if name in _POSITIONAL or parameter.kind not in (
            parameter.KEYWORD_ONLY,
            parameter.POSITIONAL_OR_KEYWORD,
        ):
            continue
        if name in held:
            out[name] = held[name]
    return out


def _default(route: Any, name: str) -> Any:
    return inspect.signature(type(route).__init__).parameters[name].default


def _build(route: Any, arguments: dict[str, Any]) -> Any:
    return type(route)(route.path, route.endpoint, **arguments)


class Derived:
    """Which of a route's arguments FastAPI derived from its (old) endpoint."""

    def __init__(self, response_model: bool, description: bool) -> None:
        self.response_model = response_model
        self.description = description


def _derived(route: Any) -> Derived:
    """Build a probe route from the old endpoint without a response model or description: what
    it derives and the live route holds was not given to the decorator."""
    arguments = _arguments(route)
    try:
        probe = _build(
            route,
            {**arguments, "response_model": _default(route, "response_model"), "description": None},
        )
    except Exception:  # the route's arguments cannot be read back: keep them as they are
        return Derived(False, False)
    return Derived(
        _same(probe.response_model, route.response_model),
        _same(probe.description, route.description),
    )


def _same(a: Any, b: Any) -> bool:
    try:
        return a is b or bool(a == b)
    except Exception:
        return False


class RouteRewiring(Rewiring):
    def __init__(self, routes: list[Affected], routers: list[Any], apps: list[Any]):
        self.routes = routes
        self.routers = routers
        self.apps = apps

    def apply(self) -> tuple[Mutations, list[Change]]:
        mutations = Mutations()
        changes: list[Change] = []
        for route, derived, by_signature, models in self.routes:
            mapping: dict[int, type] = {}
            for model in models:
                new = model.replacement()
                if new is not None:
                    mapping[id(model.old)] = new
            if not by_signature and not mapping:
                continue  # its classes were kept (updated in place): the wiring holds them
            fresh = _fresh(route, derived, mapping, mutations)
            held = vars(route)
            for name, value in vars(fresh).items():
                if name not in held or held[name] is not value:
                    mutations.setattr(route, name, value)
            module, qualname = _key(route.endpoint)
            methods = ",".join(sorted(getattr(route, "methods", None) or ()))
            why = ", ".join(sorted(m.qualname for m in models if id(m.old) in mapping))
            changes.append(
                Change(
                    module,
                    f"{methods} {route.path}",
                    f"route re-wired ({qualname})",
                    UPDATED,
                    f"with the new {why}" if why else "",
                )
            )
        # FastAPI 0.165+ caches what included routers derive from their routes (by version).
        for router in self.routers:
            version = vars(router).get("_routes_version")
            if isinstance(version, int):
                mutations.setattr(router, "_routes_version", version + 1)
        # The OpenAPI schema is built once, on the first request for it.
        for app in self.apps:
            if vars(app).get("openapi_schema") is not None:
                mutations.setattr(app, "openapi_schema", None)
        return mutations, changes


def _fresh(route: Any, derived: Derived, mapping: dict[int, type], mutations: Mutations) -> Any:
    """A route built from the endpoint's new signature, with the replaced classes of
    ``mapping`` in place of the old ones (in the endpoint's annotations, which ``mutations``
    then sets for good, and in a response model given to the decorator)."""
    arguments = _arguments(route)
    if derived.response_model:
        arguments["response_model"] = _default(route, "response_model")
    elif mapping and "response_model" in arguments:
        arguments["response_model"] = swap_classes(arguments["response_model"], mapping)
    if derived.description:
        arguments["description"] = None
    endpoint = route.endpoint
    old_annotations = getattr(endpoint, "__annotations__", None)
    new_annotations = None
    if mapping and isinstance(old_annotations, dict):
        swapped = {k: swap_classes(v, mapping) for k, v in old_annotations.items()}
        if any(swapped[k] is not v for k, v in old_annotations.items()):
            new_annotations = swapped
    try:
        if new_annotations is None:
            return _build(route, arguments)
        # FastAPI reads the signature as it builds the route: the new annotations are set
        # for that, and put back until the commit sets them (a rollback then restores them).
        endpoint.__annotations__ = new_annotations
        try:
            fresh = _build(route, arguments)
        finally:
            endpoint.__annotations__ = old_annotations
        mutations.setattr(endpoint, "__annotations__", new_annotations)
        return fresh
    except Exception as e:
        module, qualname = _key(endpoint)
        code = getattr(endpoint, "__code__", None)
        path = code.co_filename if code is not None else _tracking.REGISTRY.path(module)
        line = code.co_firstlineno if code is not None else None
        where = f"{path}:{line}: " if path and line else ""
        raise WiringError(
            f"{where}FastAPI cannot wire {qualname} for {route.path} with its new signature: "
            f"{type(e).__name__}: {e}",
            module,
            qualname,
            os.fspath(path) if path else None,
            line,
        ) from e
