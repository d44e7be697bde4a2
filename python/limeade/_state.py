"""What one module's refresh knows and has built so far: the facts its executors share (the live
module, its plan) and what they add to (the commit's mutations, each change's outcome, what to
reset after the commit). :class:`limeade._prepare.ModulePreparation` makes one per module and
hands it to each executor (:mod:`._functions`, :mod:`._moves`, :mod:`._grafting`,
:mod:`._closures`, :mod:`._previews`, :mod:`._predict`); the transaction reads the result
(mutations, outcomes, classes changed, closure swaps). Nothing here mutates a live object: the
mutations are applied by ``limeade._native.commit``."""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

from ._lookup import find_class, metaclass_intercepts
from ._mutations import Mutations
from ._outcomes import METACLASS_OWNS_NAME, OutcomeLog
from ._plan_data import Definition, ModulePlan

if TYPE_CHECKING:
    from ._closures import ClosureSwap

__all__ = ["ModuleState"]


@dataclass(eq=False)
class ModuleState:
    """One module's refresh in progress (see the module docstring)."""

    module: types.ModuleType
    plan: ModulePlan
    #: ``conflicts="error"``: a class that turns out not to be keepable refuses the refresh.
    refuse_conflicts: bool = False
    #: What the commit will do, in order.
    mutations: Mutations = field(default_factory=Mutations)
    #: What was decided for each change of the plan (the report is built from it).
    outcomes: OutcomeLog = field(default_factory=OutcomeLog)
    #: Derived state to reset after the commit (``lru_cache`` results, ABC caches).
    after_commit: list[Callable[[], Any]] = field(default_factory=list)
    #: Classes kept and changed in place (for ``__abstractmethods__`` and migration hooks).
    changed_classes: list[type] = field(default_factory=list)
    #: (old code, new code, qualname) of every function updated in place, to find nested code.
    code_swaps: list[tuple[types.CodeType, types.CodeType, str]] = field(default_factory=list)
    #: id(old nested code) -> its new version, for the refresh's one heap search.
    closure_swaps: dict[int, ClosureSwap] = field(default_factory=dict)
    #: Names a statement could not bind, with why (a metaclass's data descriptor owns them).
    refused_names: dict[str, str] = field(default_factory=dict)
    #: Classes whose new bases are evaluated after the module's statements ran.
    deferred_bases: dict[str, list[str]] = field(default_factory=dict)
    #: Per scope, the names the new source binds there (see :meth:`names_bound_in`).
    _bound_names: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.plan["module"]

    @property
    def path(self) -> str:
        return self.plan["path"]

    @property
    def globals(self) -> dict[str, Any]:
        return self.module.__dict__

    @property
    def definitions(self) -> list[Definition]:
        return self.plan["definitions"]

    def live_class(self, class_qualname: str) -> Optional[type]:
        """The live class of that qualified name in the module (None: not there)."""
        return find_class(self.globals, class_qualname)

    def names_bound_in(self, scope_name: str) -> frozenset[str]:
        """Names the new source binds directly in a class body (or the module, ``""``)."""
        names = self._bound_names.get(scope_name)
        if names is None:
            names = self._bound_names[scope_name] = frozenset(
                self.plan["scope_names"].get(scope_name, ())
            )
        return names

    def set_name(self, scope: Any, name: str, value: Any) -> None:
        """Bind ``name`` in a live module namespace or class at the commit. A name a metaclass's
        data descriptor owns is left alone (setting it would run that Python code inside the
        commit) and recorded in :attr:`refused_names`."""
        if isinstance(scope, type):
            if metaclass_intercepts(scope, name):
                self.refused_names[f"{scope.__qualname__}.{name}"] = METACLASS_OWNS_NAME
                return
            self.mutations.setattr(scope, name, value)
        else:
            self.mutations.setitem(scope, name, value)
