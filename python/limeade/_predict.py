"""What a refresh of one module would do to its live objects, decided without doing it.

:func:`limeade.plan` asks the same deciding code :func:`limeade.refresh` acts on (which classes
are kept, replaced or grafted; which functions get their new code in place; which cannot) and
records the outcomes it predicts. Nothing here runs program code or changes a live object: new
``def`` statements are compiled (not run), new bases written as names are looked up (in dicts),
and what only running code can tell (what a changed decorator returns, what a base expression
such as ``make_base(x)`` gives) is predicted from the live object or left "decided when the
new code runs".
"""

from __future__ import annotations

import types
from typing import Any, Optional

from ._closures import CLOSURE_REFUSED, nested_codes
from ._decide import Action, ClassDecisions, ModuleRoute, Step, inside, route_module
from ._errors import ApplyError
from ._functions import FunctionUpdates, rename_target
from ._in_progress import running_module_lines
from ._lookup import (
    MISSING,
    function_qualname,
    is_definition_like,
    metaclass_intercepts,
    namespace_of,
)
from ._outcomes import (
    ADDED,
    CLOSURE_UPDATED,
    DECIDED_WHEN_RUN,
    GRAFTED,
    METACLASS_OWNS_NAME,
    NEW_OBJECT,
    NOT_UPDATED,
    RAN,
    REMOVED,
    RENAMED,
    REPLACED,
    UPDATED,
    Outcome,
    OutcomeLog,
    kept_outcome,
)
from ._plan_data import Definition, Statement
from ._report import definition_name, statement_key
from ._state import ModuleState

#: What the prediction of a closure update says (the report counts them).
EVERY_LIVE_CLOSURE = "every live closure made from it"
#: What a prediction of ``__limeade_migrate__`` says (the refresh counts them).
EVERY_INSTANCE = "every live instance"
#: What only running changed decorators tells.
DECORATED = (
    "updated in place if the decorators return this function (or the live object), else replaced"
)
#: What only running a method whose live version is a closure tells.
SAME_CLOSURE = "updated in place if its new version closes over the same cells, else replaced"
#: What only running the statement of a base class added in the same edit tells.
DEFERRED_BASES = "kept with new bases if CPython accepts them once they exist, else replaced"
#: What only evaluating new base expressions (a call, a subscript) tells: a plan runs no code.
UNEVALUATED_BASES = (
    "kept with new bases if CPython accepts them once evaluated, else replaced; a plan runs no "
    "program code to evaluate them"
)
#: Why a statement that binds a name holding a function or class now is decided when it runs.
REBINDS_DEFINITION = (
    "replaced if it binds a new object where a function or class is bound now, else ran"
)


class Predictions:
    """Predicts each change's outcome from the plan and the live objects."""

    def __init__(self, state: ModuleState, functions: FunctionUpdates) -> None:
        self.state = state
        self.functions = functions
        self.plan = state.plan
        self.path = state.path
        self.definitions = state.definitions
        self.globals = state.globals
        #: Per nested function predicted "closure updated", its old code object: what the live
        #: closures to update hold (counted only when asked, see ``plan(count=True)``).
        self.closure_codes: dict[str, types.CodeType] = {}
        #: How :meth:`predict` routed the changes (None: nothing to route, or the whole body
        #: runs again).
        self.route: Optional[ModuleRoute] = None

    def predict(self, decided: Optional[ClassDecisions]) -> OutcomeLog:
        """The outcome of every change of the plan, as a refresh would record it, given what
        :func:`._decide.decide_classes` decided (None when the whole body runs again). Each
        change is routed by :func:`._decide.route_module`, as the refresh routes it."""
        log = OutcomeLog()
        self.closure_codes.clear()
        execution = self.plan["execution"]
        if execution == "nothing":
            return log
        if execution == "full_body" or decided is None:
            return self._predict_full_body(log)
        for qualname, fix in decided.kept.items():
            if fix.unevaluated:
                log.record(qualname, DECIDED_WHEN_RUN, UNEVALUATED_BASES)
            elif fix.deferred_bases is None:
                log.record(qualname, kept_outcome(fix.new_bases is not None))
            else:
                log.record(qualname, DECIDED_WHEN_RUN, DEFERRED_BASES)
        route = self.route = route_module(self.plan, decided, running_module_lines(self.globals))
        for qualname in route.graft_order:
            log.record(qualname, GRAFTED)
        for action in route.inside_functions:
            log.record(action.key, action.outcome, action.why)
        in_place: dict[str, Any] = {}
        for work in route.scopes:
            if inside(work.scope, route.whole):
                continue  # comes and goes with its class
            scope = self._live_scope(work.scope)
            for action in work.actions:
                self._predict_action(log, action, scope, in_place)
            for d in work.moves:
                self._predict_update(log, d, scope, in_place)
        for name in self.plan["unbound_names"]:
            log.record(name, REMOVED)
        self._predict_closures(log, in_place)
        for qualname, fix in decided.kept.items():
            if fix.unevaluated or fix.deferred_bases is not None:
                _members_follow(log, qualname)
        return log

    def _predict_action(
        self, log: OutcomeLog, action: Action, scope: Any, in_place: dict[str, Any]
    ) -> None:
        """The outcome of one routed change of a scope that is kept (``scope``: its live
        namespace or class, None when it is gone)."""
        step, entry = action.step, action.entry
        if action.is_statement:
            if step is Step.LEFT_ALONE:
                log.record(action.key, NOT_UPDATED, action.why)
            elif step is Step.REMOVE:
                log.record(action.key, REMOVED)
            else:
                statement: Statement = entry  # type: ignore[assignment]
                log.record_outcome(action.key, self._predict_statement(statement))
            return
        d: Definition = entry  # type: ignore[assignment]
        if step is Step.REMOVE:
            log.record(definition_name(d), REMOVED)
        elif step is Step.REPLACE_CLASS:
            log.record(d["qualname"], REPLACED, action.why)
        elif step is Step.RENAME:
            assert action.renamed_from is not None
            log.record(d["qualname"], *self._predict_rename(d, action.renamed_from, scope))
        elif step is Step.RUN:
            log.record(definition_name(d), *self._predict_binding(scope, d))
        elif step is Step.CLASS_HEADER:
            if "docstring" in d["aspects"]:
                log.record(definition_name(d), UPDATED)
            elif "moved" in d["aspects"] and log.get(definition_name(d)) is None:
                log.record(definition_name(d), UPDATED)
        elif step is Step.UPDATE_FUNCTION:
            self._predict_update(log, d, scope, in_place)

    def _predict_update(
        self, log: OutcomeLog, d: Definition, scope: Any, in_place: dict[str, Any]
    ) -> None:
        """A matched definition whose new code goes into the live object (or only moved)."""
        if d["kind"] == "class":
            if "moved" in d["aspects"] and log.get(definition_name(d)) is None:
                log.record(definition_name(d), UPDATED)
            return
        if scope is None:
            return
        try:
            decision = self.functions.decide_function(d, scope, d["scope"])
        except ApplyError as e:
            log.record(definition_name(d), NOT_UPDATED, f"the refresh would fail: {e}")
            return
        log.record(definition_name(d), decision.outcome, decision.why)
        if decision.outcome == UPDATED and decision.code is not None:
            in_place[d["qualname"]] = decision

    def _predict_full_body(self, log: OutcomeLog) -> OutcomeLog:
        """A ``from __future__`` import changed: the whole new body runs again."""
        for s in self.plan["statements"]:
            if s["status"] != "unchanged":
                log.record_outcome(statement_key(s), self._predict_statement(s))
        for name in self.plan["unbound_names"]:
            log.record(name, REMOVED)
        for d in self.definitions:
            if d["status"] == "removed":
                log.record(definition_name(d), REMOVED)
            elif d["status"] != "unchanged" and not d["scope"]:
                log.record(definition_name(d), *self._predict_binding(self.globals, d))
        return log

    def predict_migrations(self) -> list[type]:
        """Classes kept and changed in place (the refresh's ``changed_classes``) that have a
        ``__limeade_migrate__`` hook, as :meth:`predict` routed the changes."""
        route = self.route
        if route is None:
            return []
        scopes = {work.scope for work in route.scopes} | set(route.graft_order)
        out = []
        for scope in sorted(scopes):
            live = (
                self.state.live_class(scope) if scope and not inside(scope, route.whole) else None
            )
            if live is not None and self._hooked_after_commit(live):
                out.append(live)
        return out

    def _hooked_after_commit(self, live: type) -> bool:
        """Whether ``live`` will have a ``__limeade_migrate__`` when the migrations run: its
        own or a base's, counting the hooks this edit adds to or removes from this module's
        classes."""
        hook = "__limeade_migrate__"
        edited = {
            d["scope"]: d["status"]
            for d in self.definitions
            if d["leaf"] == hook and d["status"] != "unchanged"
        }
        for klass in live.__mro__:
            status = edited.get(klass.__qualname__) if klass.__module__ == self.state.name else None
            if status in ("added", "changed"):
                return True
            if status != "removed" and hook in vars(klass):
                return True
        return False

    def _predict_statement(self, s: Statement) -> Outcome:
        """A changed statement runs; where it binds a name that holds a function or class now,
        only running it tells whether the name gets a new object (replaced: old references keep
        the old one) or the same (the refresh reports which)."""
        scope = self.globals if not s["scope"] else self.state.live_class(s["scope"])
        if isinstance(scope, type):
            for name in s["binds"]:
                if metaclass_intercepts(scope, name):
                    return Outcome(NOT_UPDATED, METACLASS_OWNS_NAME)
        if scope is not None:
            names = namespace_of(scope)
            if any(is_definition_like(names.get(n)) for n in s["binds"] if n != "*"):
                return Outcome(DECIDED_WHEN_RUN, REBINDS_DEFINITION)
        return Outcome(RAN)

    def _live_scope(self, scope_name: str) -> Any:
        """The live module namespace or class a definition belongs to (None: not there)."""
        return self.state.live_class(scope_name) if scope_name else self.globals

    def _predict_binding(self, scope: Any, d: Definition) -> Outcome:
        """A definition that runs in full: the live function of that name is updated in place
        when the new object is its new version (:meth:`._prepare.ModulePreparation.bind`), else the
        new object is bound.
        What decorators return is only known once they ran."""
        name = d["leaf"]
        old = namespace_of(scope).get(name, MISSING) if scope is not None else MISSING
        if old is MISSING:
            return Outcome(ADDED)
        span = d["new_span"]
        if d["def_line"] is not None and span is not None and d["def_line"] > span["start_line"]:
            return Outcome(DECIDED_WHEN_RUN, DECORATED)
        if (
            isinstance(old, types.FunctionType)
            and old.__code__.co_filename == self.path
            and function_qualname(old) == d["qualname"]
            and d["kind"] != "class"
        ):
            # Its new version takes the live object only with the same closure (`transfer`):
            # a module-level `def` closes over nothing, so a live closure of that name (a
            # `functools.wraps` wrapper, before 3.11 named like the function) is replaced.
            if not old.__code__.co_freevars:
                return Outcome(UPDATED)
            if not d["scope"]:
                return Outcome(REPLACED, NEW_OBJECT)
            return Outcome(DECIDED_WHEN_RUN, SAME_CLOSURE)
        return Outcome(REPLACED, NEW_OBJECT)

    def _predict_rename(self, d: Definition, old: Definition, scope: Any) -> Outcome:
        """A renamed function keeps its live object when it is there and the new name is free."""
        if rename_target(d, old, scope, self.path) is None:
            return Outcome(ADDED)
        return Outcome(RENAMED)

    def _predict_closures(self, log: OutcomeLog, in_place: dict[str, Any]) -> None:
        """Nested functions of functions updated in place: their live closures get the new
        code unless its free variables changed. The heap is not searched: the old nested code
        objects are kept in :attr:`closure_codes` for ``plan(count=True)`` to count."""
        for d in self.definitions:
            qualname = d["qualname"]
            if d["status"] != "changed" or not d.get("in_function") or d["kind"] == "class":
                continue  # a class a function makes is routed as such (`inside_functions`)
            # The outermost function: the one a refresh updates in place (CPython's qualname
            # marks each function body with `<locals>`).
            outer = qualname.split(".<locals>.", 1)[0]
            decision = in_place.get(outer)
            if decision is None:
                continue
            old = dict(nested_codes(decision.target.__code__, outer)).get((qualname, 0))
            new = dict(nested_codes(decision.code, outer)).get((qualname, 0))
            if old is None or new is None or old == new:
                continue
            if old.co_freevars != new.co_freevars:
                log.record(definition_name(d), NOT_UPDATED, CLOSURE_REFUSED)
            else:
                log.record(definition_name(d), CLOSURE_UPDATED, EVERY_LIVE_CLOSURE)
                self.closure_codes[definition_name(d)] = old


def _members_follow(log: OutcomeLog, qualname: str) -> None:
    """The members of a class whose fate only running the new code decides (new bases to
    evaluate) share it: what was predicted for each if the class is kept, else replaced with
    the class."""
    prefix = qualname + "."
    for key, outcome in list(log.by_name.items()):
        if key.startswith(prefix) and outcome.outcome != DECIDED_WHEN_RUN:
            kept = f"{outcome.outcome}, {outcome.why}" if outcome.why else outcome.outcome
            why = f"if {qualname} is kept: {kept}; else replaced with {qualname}"
            log.record(key, DECIDED_WHEN_RUN, why)
