"""Definitions that only moved: the same code on other lines (a comment or an import added above
them, the commonest side effect of an edit). Functions get their code with the new line numbers
(nothing is compiled, nothing runs) and classes their ``__firstlineno__`` (3.13+, what
``inspect.getsource`` reads). The executor of the planner's action ``move`` and of the step
"class header" (:mod:`._decide`).

They need none of what a scope's other changes need (a scratch namespace, source order, a
batch of statements to run), which is what a sweep that moves every definition of a package
would otherwise pay per definition."""

from __future__ import annotations

import types
from typing import Any, Optional

from ._functions import FunctionUpdates
from ._lookup import compiled_from, has_nested_code, namespace_of, shift_lines
from ._outcomes import UPDATED, Outcome
from ._plan_data import Definition
from ._state import ModuleState

#: The class attribute (3.13+) holding the first line of the class statement.
_FIRST_LINE = "__firstlineno__"


def _held_function(
    obj: Any, qualname: str, firstlineno: int, filename: str
) -> Optional[types.FunctionType]:
    """The function compiled from the definition that a plain ``staticmethod``,
    ``classmethod`` or ``property`` holds (the commonest decorators of methods; a property's
    setter and deleter are definitions of their own), else None: the general search
    (``find_function``) costs several times more per definition, which a sweep pays for
    every such method."""
    kind = type(obj)
    if kind is staticmethod or kind is classmethod:
        candidates: tuple[Any, ...] = (obj.__func__,)
    elif kind is property:
        candidates = (obj.fget, obj.fset, obj.fdel)
    else:
        return None
    for candidate in candidates:
        if compiled_from(candidate, qualname, firstlineno, filename):
            return candidate
    return None


class Moves:
    """Applies the changes the planner gives the action ``move``: a class whose source is the
    same, or a function whose lines all moved by the same amount (``line_shift``)."""

    def __init__(self, state: ModuleState, functions: FunctionUpdates) -> None:
        self.state = state
        self.functions = functions

    def shift_moved(self, scope_name: str, entries: list[Definition]) -> None:
        """Apply the moves of one scope (the module or a kept class). A scope whose object is
        gone from the live module has nothing to update, as the prediction says."""
        scope: Any = self.state.live_class(scope_name) if scope_name else self.state.globals
        if scope is None:
            return
        if scope_name and not any(c is scope for c in self.state.changed_classes):
            # Kept and changed: its migration hook runs, as for any other change of its body.
            self.state.changed_classes.append(scope)
        items = namespace_of(scope)
        updated = Outcome(UPDATED)
        for d in entries:
            if d["kind"] == "class":
                self.move_class_first_line(d)
                continue
            qualname = d["qualname"]
            found = items.get(d["leaf"])
            old_first = d["old_span"]["start_line"]  # type: ignore[index]
            live = (
                found
                if compiled_from(found, qualname, old_first, self.state.path)
                else _held_function(found, qualname, old_first, self.state.path)
            )
            if live is None:
                # Behind another decorator or a registry: found the general way. Only moved,
                # its update compiles and evaluates nothing (no namespace is read).
                self.functions.update_function(d, scope, scope_name, {})
                continue
            code = live.__code__
            new = shift_lines(code, d["line_shift"])  # type: ignore[typeddict-item]
            if has_nested_code(code):
                self.state.code_swaps.append((code, new, qualname))
            self.state.mutations.setattr(live, "__code__", new)
            self.state.outcomes.record_outcome(d["name"], updated)

    def move_class_first_line(self, d: Definition) -> None:
        """A kept class whose statement starts on another line: its ``__firstlineno__``
        follows (3.13+; ``inspect.getsource`` would show other lines). One that only moved
        (aspect ``moved``) counts as updated in place, unless a decision about the class
        itself (kept with new bases) was recorded; its moved members are changes of their
        own."""
        old, new = d["old_span"], d["new_span"]
        if old is None or new is None:
            return
        if "moved" in d["aspects"] and self.state.outcomes.get(d["name"]) is None:
            self.state.outcomes.record(d["name"], UPDATED)
        if old["start_line"] == new["start_line"]:
            return
        live = self.state.live_class(d["qualname"])
        if live is not None and type(live.__dict__.get(_FIRST_LINE)) is int:
            self.state.mutations.setattr(live, _FIRST_LINE, new["start_line"])
