"""Definitions that only moved: the same code on other lines (a comment or an import added above
them, the commonest side effect of an edit). Functions get their code with the new line numbers
(nothing is compiled, nothing runs) and classes their ``__firstlineno__`` (3.13+, what
``inspect.getsource`` reads). A mixin of :class:`limeade._prepare.ModulePreparation`.

They need none of what a scope's other changes need (a scratch namespace, source order, a
batch of statements to run), which is what a sweep that moves every definition of a package
would otherwise pay per definition."""

from __future__ import annotations

import types
from typing import Any, Callable, Optional

from ._lookup import compiled_from, has_nested_code, namespace_of, shift_lines
from ._mutations import Mutations
from ._outcomes import UPDATED, Outcome, OutcomeLog
from ._plan_data import Definition

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

    # Provided by ModulePreparation.
    globals: dict[str, Any]
    path: str
    mutations: Mutations
    outcomes: OutcomeLog
    code_swaps: list[tuple[types.CodeType, types.CodeType, str]]
    changed_classes: list[type]
    live_class: Callable[[str], Optional[type]]
    update_function: Callable[..., None]

    def shift_moved(self, scope_name: str, entries: list[Definition]) -> None:
        """Apply the moves of one scope (the module or a kept class). A scope whose object is
        gone from the live module has nothing to update, as :meth:`predict` says."""
        scope: Any = self.live_class(scope_name) if scope_name else self.globals
        if scope is None:
            return
        if scope_name and not any(c is scope for c in self.changed_classes):
            # Kept and changed: its migration hook runs, as for any other change of its body.
            self.changed_classes.append(scope)
        items = namespace_of(scope)
        updated = Outcome(UPDATED)
        for d in entries:
            if d["kind"] == "class":
                self.move_class_first_line(d)
                continue
            qualname = d["qualname"]
            found = items.get(qualname.rpartition(".")[2])
            old_first = d["old_span"]["start_line"]  # type: ignore[index]
            live = (
                found
                if compiled_from(found, qualname, old_first, self.path)
                else _held_function(found, qualname, old_first, self.path)
            )
            if live is None:
                # Behind another decorator or a registry: found the general way. Only moved,
                # its update compiles and evaluates nothing (no namespace is read).
                self.update_function(d, scope, scope_name, {})
                continue
            code = live.__code__
            new = shift_lines(code, d["line_shift"])  # type: ignore[typeddict-item]
            if has_nested_code(code):
                self.code_swaps.append((code, new, qualname))
            self.mutations.setattr(live, "__code__", new)
            self.outcomes.record_outcome(d["name"], updated)

    def move_class_first_line(self, d: Definition) -> None:
        """A kept class whose statement starts on another line: its ``__firstlineno__``
        follows (3.13+; ``inspect.getsource`` would show other lines). One that only moved
        (aspect ``moved``) counts as updated in place, unless a decision about the class
        itself (kept with new bases) was recorded; its moved members are changes of their
        own."""
        old, new = d["old_span"], d["new_span"]
        if old is None or new is None:
            return
        if "moved" in d["aspects"] and self.outcomes.get(d["name"]) is None:
            self.outcomes.record(d["name"], UPDATED)
        if old["start_line"] == new["start_line"]:
            return
        live = self.live_class(d["qualname"])
        if live is not None and type(live.__dict__.get(_FIRST_LINE)) is int:
            self.mutations.setattr(live, _FIRST_LINE, new["start_line"])
