"""FastAPI: re-wire the routes whose endpoint (or one of its dependencies) changed signature.

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
from typing import Any, Optional

from .. import _tracking
from .._mutations import Mutations
from .._outcomes import UPDATED
from .._report import Change
from . import Rewiring, WiringError

#: Attributes read from a route to build its fresh copy: every keyword of the route class's
#: ``__init__`` held under the same name, except these (given positionally, or rebuilt).
_POSITIONAL = ("self", "path", "endpoint")


def find(changed: set[tuple[str, str]]) -> Optional[Rewiring]:
    """The routes reachable from tracked modules whose wiring depends on a changed definition."""
    routing = sys.modules.get("fastapi.routing")
    if routing is None:
        return None
    routes: list[Any] = []
    routers: list[Any] = []
    apps: list[Any] = []
    _collect(_roots(), routing.APIRoute, routes, routers, apps)
    affected = [r for r in routes if _depends_on(r.dependant, changed, set())]
    if not affected:
        return None
    return RouteRewiring([(r, _derived(r)) for r in affected], routers, apps)


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
    def __init__(self, routes: list[tuple[Any, Derived]], routers: list[Any], apps: list[Any]):
        self.routes = routes
        self.routers = routers
        self.apps = apps

    def apply(self) -> tuple[Mutations, list[Change]]:
        mutations = Mutations()
        changes: list[Change] = []
        for route, derived in self.routes:
            fresh = _fresh(route, derived)
            held = vars(route)
            for name, value in vars(fresh).items():
                if name not in held or held[name] is not value:
                    mutations.setattr(route, name, value)
            module, qualname = _key(route.endpoint)
            methods = ",".join(sorted(getattr(route, "methods", None) or ()))
            changes.append(
                Change(module, f"{methods} {route.path}", f"route re-wired ({qualname})", UPDATED)
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


def _fresh(route: Any, derived: Derived) -> Any:
    arguments = _arguments(route)
    if derived.response_model:
        arguments["response_model"] = _default(route, "response_model")
    if derived.description:
        arguments["description"] = None
    try:
        return _build(route, arguments)
    except Exception as e:
        endpoint = route.endpoint
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
