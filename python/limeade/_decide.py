"""What a refresh does with each change of one module, decided before anything runs.

Two pure steps, shared by :func:`limeade.refresh` (which then does it, :mod:`._prepare`) and
:func:`limeade.plan` (which predicts the outcomes, :mod:`._predict`), so the two cannot route a
change differently:

- :func:`decide_classes`: which changed classes are kept (their conflicts applied in place),
  replaced (their statement runs again; with why) or grafted (a dataclass or enum whose generated
  parts are rebuilt). It reads the live classes and changes nothing; for a refresh it evaluates
  new base expressions against the live module, for a plan it only looks up bases written as
  names (``run_code=False``): a plan runs no program code.
- :func:`route_module`: from the plan and those decisions, the :class:`Step` of every changed
  statement and definition, grouped by the scope it belongs to (the module, then each class),
  in the order the scopes are done and, within one, in source order. Reads no live object.

Everything a step still needs to know from the live objects or from running new code (is the
live function there; does the new object replace it) is the executors' part.
"""

from __future__ import annotations

import enum
import types
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Optional, Union, cast

from ._layout import (
    BasesRaised,
    InPlace,
    decorated_member_changes,
    graftable,
    in_place,
    replace_reason,
)
from ._outcomes import (
    ADDED,
    CLASS_IN_FUNCTION,
    IN_FUNCTION_CLASS,
    INSIDE_FUNCTION_ADDED,
    INSIDE_FUNCTION_REMOVED,
    MAIN_GUARD,
    NOT_REACHED,
    NOT_UPDATED,
    REMOVED,
    RUNNING_STATEMENT,
)
from ._plan_data import Conflict, Definition, Entry, ModulePlan, Statement
from ._report import definition_name, statement_key

__all__ = [
    "Action",
    "ClassDecisions",
    "ModuleRoute",
    "ScopeWork",
    "Step",
    "decide_classes",
    "inside",
    "live_conflicts",
    "merges_into_live",
    "route_module",
]


class ClassDecisions(NamedTuple):
    """What happens to each changed class (see :func:`decide_classes`)."""

    #: Classes kept, with how their conflicts are applied in place.
    kept: dict[str, InPlace]
    #: Classes whose statement runs again and whose new class is bound, with why.
    replaced: dict[str, str]
    #: Dataclasses and enums kept while their generated parts are rebuilt.
    grafted: set[str]
    #: Classes whose new base expressions raised when evaluated, with the exception (they are
    #: replaced: running their statement raises it again, as a refresh error).
    raised: dict[str, BaseException]


def decide_classes(
    module: types.ModuleType,
    plan: ModulePlan,
    live_class: Callable[[str], Optional[type]],
    names_bound_in: Callable[[str], frozenset[str]],
    run_code: bool = True,
) -> ClassDecisions:
    """Which changed classes are kept, replaced (and why) or grafted, from the plan and the live
    classes (``live_class`` finds one by qualname; ``names_bound_in`` gives the names the new
    source binds in a scope). Without ``run_code`` (a plan), new bases that only running code
    evaluates are left for the refresh (see :func:`._layout.in_place`)."""
    definitions = plan["definitions"]
    conflicts = live_conflicts(plan)
    conflicted = {c["qualname"]: c["reason"] for c in conflicts}
    pending = names_bound_in("") if conflicted else frozenset()
    kept: dict[str, InPlace] = {}
    replaced: dict[str, str] = {}
    raised: dict[str, BaseException] = {}
    for qualname in conflicted:
        try:
            fix = in_place(module, qualname, conflicts, pending, run_code)
        except BasesRaised as e:
            raised[qualname] = e.__cause__ or e
            continue
        if live_class(qualname) is not None and fix is not None:
            kept[qualname] = fix
    for d in definitions:
        q = d["qualname"]
        if d["kind"] != "class" or d["status"] == "removed" or q in replaced:
            continue
        if q in conflicted and q not in kept:
            replaced[q] = conflicted[q]
        elif "decorators" in d["aspects"]:
            replaced[q] = "class decorators changed"
    # `class C: x = 1` (the plan says which): a member on its class's header line cannot be
    # compiled alone.
    header_bodies = {d["qualname"] for d in definitions if d["body_on_header_line"]}
    entry: Any
    for entry in [*definitions, *plan["statements"]]:
        scope = entry["scope"]
        if scope in header_bodies and entry["new_span"] is not None:
            replaced.setdefault(scope, "the class body is on its header line")
    grafted: set[str] = set()
    for s in [*plan["statements"], *decorated_member_changes(plan, live_class)]:
        # Dataclasses, enums, NamedTuples, attrs classes and pydantic models generate code or
        # members from their class-level statements: setting one attribute would leave them
        # inconsistent.
        scope = s["scope"]
        if s["status"] == "unchanged" or not scope or scope in replaced or scope in grafted:
            continue
        live = live_class(scope)
        if live is None:
            continue
        if graftable(live):
            grafted.add(scope)
        elif (reason := replace_reason(live)) is not None:
            replaced[scope] = reason
    return ClassDecisions(kept, replaced, grafted, raised)


def live_conflicts(plan: ModulePlan) -> list[Conflict]:
    """The plan's conflicts of classes the module holds: a class a function makes is no live
    object (the function's next call makes it anew), so its conflicts decide nothing."""
    made_by_functions = {d["qualname"] for d in plan["definitions"] if d.get("in_function")}
    return [c for c in plan["conflicts"] if c["qualname"] not in made_by_functions]


class Step(enum.Enum):
    """What the refresh does with one changed statement or definition."""

    #: Never run again (:attr:`Action.why` says why): ``if __name__ == "__main__":`` (it would
    #: start the program inside the refresh), a statement the module's top-level code is
    #: executing now or has not reached yet; definitions elsewhere are still updated.
    LEFT_ALONE = "left alone"
    #: Gone from the new source: its names go unless something else binds them.
    REMOVE = "remove"
    #: Runs in full in the scope's scratch namespace; what it binds is merged into the scope.
    RUN = "run"
    #: A class that cannot be kept: its statement runs in full and the new class is bound.
    REPLACE_CLASS = "replace class"
    #: A renamed function: the live object is bound under the new name when it can be.
    RENAME = "rename"
    #: A kept class: its first line and docstring follow the source.
    CLASS_HEADER = "class header"
    #: A matched function: its new code goes into the live function object.
    UPDATE_FUNCTION = "update function"
    #: Part of a grafted class: the graft did it.
    GRAFTED = "grafted"
    #: In the body of a class a function makes: nothing live is that class (see
    #: :attr:`ModuleRoute.inside_functions`).
    INSIDE_FUNCTION = "inside function"


@dataclass(frozen=True)
class Action:
    """One changed statement or definition and what is done with it."""

    step: Step
    entry: Entry
    #: The names it binds in its scope (a definition: its own name; ``*`` for a star import).
    binds: tuple[str, ...]
    #: :attr:`Step.REPLACE_CLASS`: why the class cannot be kept; :attr:`Step.INSIDE_FUNCTION`
    #: and :attr:`Step.LEFT_ALONE`: why nothing is done.
    why: str = ""
    #: :attr:`Step.INSIDE_FUNCTION`: what it comes to (the outcome word).
    outcome: str = ""
    #: :attr:`Step.RENAME`: the removed definition it renames.
    renamed_from: Optional[Definition] = None

    @property
    def is_statement(self) -> bool:
        return "qualname" not in self.entry

    @property
    def key(self) -> str:
        """How changes and outcomes name it."""
        if self.is_statement:
            return statement_key(cast(Statement, self.entry))
        return definition_name(cast(Definition, self.entry))


@dataclass(frozen=True)
class ScopeWork:
    """The changes of one scope: the module (``""``) or a class (its qualname)."""

    scope: str
    #: Changed statements and definitions, in source order (removed ones first).
    actions: tuple[Action, ...] = ()
    #: Definitions that only moved (the same code on other lines, see :mod:`._moves`): they
    #: need no scratch namespace and no source order.
    moves: tuple[Definition, ...] = ()


@dataclass(frozen=True)
class ModuleRoute:
    """Every change of a module with its step, by scope."""

    #: Scopes in the order they are done: the module first, outer classes before inner ones.
    scopes: tuple[ScopeWork, ...]
    #: Classes whose statement runs (or goes) as a whole: replaced, added, removed. The
    #: changes inside them come and go with them.
    whole: frozenset[str]
    #: Grafted classes to graft, outer ones first (one inside another grafted or replaced class
    #: is rebuilt with it).
    graft_order: tuple[str, ...]
    #: Changed classes a function makes and changed statements in their bodies
    #: (``f.<locals>.C``): no live object is them, nothing is done (the function's new code
    #: makes the new version; the methods of classes made before follow as closures).
    inside_functions: tuple[Action, ...] = ()


def _renames_of(plan: ModulePlan) -> dict[str, Definition]:
    """new qualname -> the removed definition it renames (same code, same scope)."""
    definitions = plan["definitions"]
    by_qualname = {d["qualname"]: d for d in definitions if d["occurrence"] == 0}
    return {
        d["qualname"]: by_qualname[d["renamed_from"]]
        for d in definitions
        if d["action"] == "rename" and d.get("renamed_from", "") in by_qualname
    }


def merges_into_live(entry: Entry) -> bool:
    """Whether what a definition run in full binds may be merged into the live function of its
    name. Not for a further decorated definition of a name, added by the edit (``@f.register
    def _`` of a second ``singledispatch`` implementation): the live object is an earlier
    definition's, which what its decorator registered it with still holds. A plain
    redefinition (``def f`` written again below) is merged: only the name held the old one."""
    if "qualname" not in entry:
        return True
    d = cast(Definition, entry)
    span = d["new_span"]
    decorated = (
        d["def_line"] is not None and span is not None and d["def_line"] > span["start_line"]
    )
    return not (d["status"] == "added" and d["occurrence"] > 0 and decorated)


def inside(scope: str, classes: Union[set[str], frozenset[str]]) -> bool:
    """Whether ``scope`` is one of ``classes`` or nested in one."""
    return any(scope == c or scope.startswith(c + ".") for c in classes)


def route_module(
    plan: ModulePlan, decided: ClassDecisions, running_lines: frozenset[int] = frozenset()
) -> ModuleRoute:
    """The step of every change of the plan, by scope (see :class:`ModuleRoute`).
    ``running_lines``: where the module's top-level code executes now (see
    :func:`._in_progress.running_module_lines`), in the running version's lines."""
    renames = _renames_of(plan)
    replaced, grafted = decided.replaced, decided.grafted
    graft_order = tuple(
        q
        for q in sorted(grafted, key=lambda q: q.count("."))
        if not any(q.startswith(other + ".") for other in (replaced.keys() | grafted) - {q})
    )
    actions: dict[str, list[Action]] = {}
    moves: dict[str, list[Definition]] = {}
    inside_functions: list[Action] = []
    for d in plan["definitions"]:
        qualname = d["qualname"]
        if d.get("in_function"):
            # Nested functions and methods of classes a function makes follow the function:
            # their live versions are closures of its code (see :mod:`._closures`). Such a
            # class itself is no live object to update; what is added or removed inside a
            # function is so for the function's next call.
            outcome, why = _inside_function(d)
            if outcome:
                inside_functions.append(
                    Action(Step.INSIDE_FUNCTION, d, (d["leaf"],), why=why, outcome=outcome)
                )
            continue
        if d["status"] == "unchanged" and qualname not in replaced:
            continue
        if d["action"] == "move" and qualname not in replaced and qualname not in grafted:
            moves.setdefault(d["scope"], []).append(d)
        else:
            actions.setdefault(d["scope"], []).append(
                _definition_action(d, replaced, grafted, renames)
            )
    for s in plan["statements"]:
        if s["status"] == "unchanged":
            continue
        if s.get("in_function"):
            inside_functions.append(
                Action(
                    Step.INSIDE_FUNCTION,
                    s,
                    tuple(s["binds"]),
                    why=IN_FUNCTION_CLASS,
                    outcome=NOT_UPDATED,
                )
            )
        else:
            actions.setdefault(s["scope"], []).append(_statement_action(s, running_lines))
    whole = set(replaced) | {
        d["qualname"]
        for d in plan["definitions"]
        if d["kind"] == "class" and d["status"] in ("added", "removed")
    }
    scopes = tuple(
        ScopeWork(
            name,
            tuple(sorted(actions.get(name, ()), key=_source_position)),
            tuple(moves.get(name, ())),
        )
        for name in sorted(actions.keys() | moves.keys(), key=lambda q: (_depth(q), q))
    )
    return ModuleRoute(scopes, frozenset(whole), graft_order, tuple(inside_functions))


def _definition_action(
    d: Definition,
    replaced: dict[str, str],
    grafted: set[str],
    renames: dict[str, Definition],
) -> Action:
    qualname = d["qualname"]
    binds = (d["leaf"],)
    if qualname in grafted:
        return Action(Step.GRAFTED, d, binds)
    if d["status"] == "removed":
        return Action(Step.REMOVE, d, binds)
    if qualname in replaced:
        return Action(Step.REPLACE_CLASS, d, binds, why=replaced[qualname])
    if d["action"] == "rename" and qualname in renames:
        return Action(Step.RENAME, d, binds, renamed_from=renames[qualname])
    if d["action"] in ("run", "rename"):
        # A rename whose old definition is not in this plan runs like any added definition.
        return Action(Step.RUN, d, binds)
    if d["kind"] == "class":
        return Action(Step.CLASS_HEADER, d, binds)
    return Action(Step.UPDATE_FUNCTION, d, binds)


def _inside_function(d: Definition) -> tuple[str, str]:
    """The outcome and why of a changed definition inside a function body that no closure
    update covers ("" when one does: a changed nested function or method)."""
    if d["status"] == "added":
        return ADDED, INSIDE_FUNCTION_ADDED
    if d["status"] == "removed":
        return REMOVED, INSIDE_FUNCTION_REMOVED
    if d["status"] == "changed" and d["kind"] == "class":
        return NOT_UPDATED, CLASS_IN_FUNCTION
    return "", ""


def _statement_action(s: Statement, running_lines: frozenset[int]) -> Action:
    binds = tuple(s["binds"])
    if s["main_guard"]:
        return Action(Step.LEFT_ALONE, s, binds, why=MAIN_GUARD)
    span = s["old_span"]
    if running_lines and not s["scope"] and span is not None and s["status"] == "changed":
        if any(span["start_line"] <= line <= span["end_line"] for line in running_lines):
            return Action(Step.LEFT_ALONE, s, binds, why=RUNNING_STATEMENT)
        if span["start_line"] > max(running_lines):
            return Action(Step.LEFT_ALONE, s, binds, why=NOT_REACHED)
    if s["status"] == "removed":
        return Action(Step.REMOVE, s, binds)
    return Action(Step.RUN, s, binds)


def _depth(scope: str) -> int:
    """The module (``""``) first, then classes by nesting."""
    return scope.count(".") if scope else -1


def _source_position(action: Action) -> int:
    """Where a change stands in the new source (removed ones first: they run nothing)."""
    span = action.entry["new_span"]
    return span["start_line"] if span else 0
