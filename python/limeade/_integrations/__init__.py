"""Framework integrations: frameworks that wire a handler from its signature when it is registered
(FastAPI builds each route's parameters, dependencies and body from its endpoint's signature)
keep the wiring of the old signature after a refresh changed it. An integration re-wires them
inside the refresh transaction, so a framework that rejects the new signature rolls the whole
refresh back.

Integrations cost nothing for programs that do not use the framework: one is imported only when
its framework is in ``sys.modules`` at refresh time (``import limeade`` never imports one), and
only when the plan changed a definition's signature, defaults, annotations, decorators,
docstring or ``async``, or changed a class (a model handlers are wired with may be replaced)."""

from __future__ import annotations

import importlib
import sys
from typing import NamedTuple, Optional

from .._errors import ApplyError
from .._lookup import find_class
from .._mutations import Mutations
from .._plan_data import ModulePlan
from .._report import Change

#: Changes of a definition that may change how a framework wires it.
WIRING_ASPECTS = frozenset(
    {"signature", "defaults", "kw_defaults", "annotations", "async", "decorators", "docstring"}
)

#: (framework module, integration module): the integration runs when the framework is imported.
FRAMEWORKS = (("fastapi", "limeade._integrations.fastapi"),)


class ChangedClass(NamedTuple):
    """A live class the refresh may replace, and where the new version will be."""

    old: type
    module: str
    qualname: str

    def replacement(self) -> Optional[type]:
        """After the commit: the class now bound in its place, if it is another one."""
        module = sys.modules.get(self.module)
        namespace = getattr(module, "__dict__", None)
        new = find_class(namespace, self.qualname) if isinstance(namespace, dict) else None
        return new if new is not None and new is not self.old else None


class WiringError(ApplyError):
    """A framework refused to wire a handler with its new signature: the refresh is rolled back.
    ``path`` and ``line`` say where the handler is defined."""

    def __init__(
        self, message: str, module: str, statement: str, path: Optional[str], line: Optional[int]
    ) -> None:
        super().__init__(message, module, statement)
        self.path = path
        self.line = line


class Rewiring:
    """What one integration found before the commit, to re-wire after it."""

    def apply(self) -> tuple[Mutations, list[Change]]:
        """Build the new wiring (raising :class:`WiringError` if the framework refuses it) and
        return the mutations that install it, with the changes to report."""
        raise NotImplementedError


def rewired_definitions(module_plans: list[ModulePlan]) -> set[tuple[str, str]]:
    """``(module, qualname)`` of the changed definitions whose wiring may have changed."""
    return {
        (m["module"], d["qualname"])
        for m in module_plans
        for d in m["definitions"]
        if d["status"] == "changed" and WIRING_ASPECTS.intersection(d["aspects"])
    }


def changed_classes(module_plans: list[ModulePlan]) -> dict[int, ChangedClass]:
    """By ``id``, the live classes of the module-level classes the plan changes or removes:
    the ones the refresh may replace (a pydantic model whose fields changed), which handlers
    wired with them (a FastAPI body or response model) would keep."""
    found: dict[int, ChangedClass] = {}
    for m in module_plans:
        module = sys.modules.get(m["module"])
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        # Classes whose statement changed, and classes whose body has a changed member.
        names = {
            d["qualname"]
            for d in m["definitions"]
            if d["kind"] == "class" and d["status"] != "unchanged" and not d.get("in_function")
        }
        names.update(d["scope"] for d in m["definitions"] if d["status"] != "unchanged")
        names.update(st["scope"] for st in m["statements"] if st["status"] != "unchanged")
        for qualname in names:
            live = find_class(namespace, qualname) if qualname else None
            if live is not None:
                found[id(live)] = ChangedClass(live, m["module"], qualname)
    return found


def before_commit(module_plans: list[ModulePlan]) -> list[Rewiring]:
    """Before the refresh mutates anything: each imported framework's handlers that depend on a
    definition whose wiring may change, or are wired with a class the refresh may replace, with
    what the framework derived from the old ones."""
    frameworks = [integration for name, integration in FRAMEWORKS if name in sys.modules]
    if not frameworks:
        return []
    changed = rewired_definitions(module_plans)
    classes = changed_classes(module_plans)
    if not changed and not classes:
        return []
    found = []
    for name in frameworks:
        rewiring = importlib.import_module(name).find(changed, classes)
        if rewiring is not None:
            found.append(rewiring)
    return found
