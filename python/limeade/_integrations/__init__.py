"""Framework integrations: frameworks that wire a handler from its signature when it is registered
(FastAPI builds each route's parameters, dependencies and body from its endpoint's signature)
keep the wiring of the old signature after a refresh changed it. An integration re-wires them
inside the refresh transaction, so a framework that rejects the new signature rolls the whole
refresh back.

Integrations cost nothing for programs that do not use the framework: one is imported only when
its framework is in ``sys.modules`` at refresh time (``import limeade`` never imports one), and
only when the plan changed a definition's signature, defaults, annotations, decorators,
docstring or ``async``."""

from __future__ import annotations

import importlib
import sys
from typing import Optional

from .._errors import ApplyError
from .._mutations import Mutations
from .._plan_data import ModulePlan
from .._report import Change

#: Changes of a definition that may change how a framework wires it.
WIRING_ASPECTS = frozenset(
    {"signature", "defaults", "kw_defaults", "annotations", "async", "decorators", "docstring"}
)

#: (framework module, integration module): the integration runs when the framework is imported.
FRAMEWORKS = (("fastapi", "limeade._integrations.fastapi"),)


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


def before_commit(module_plans: list[ModulePlan]) -> list[Rewiring]:
    """Before the refresh mutates anything: each imported framework's handlers that depend on a
    definition whose wiring may change, with what the framework derived from the old one."""
    frameworks = [integration for name, integration in FRAMEWORKS if name in sys.modules]
    if not frameworks:
        return []
    changed = rewired_definitions(module_plans)
    if not changed:
        return []
    found = []
    for name in frameworks:
        rewiring = importlib.import_module(name).find(changed)
        if rewiring is not None:
            found.append(rewiring)
    return found
