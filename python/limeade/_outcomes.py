"""What a change does to live objects, in the planner's words, and the record of it.

The code that decides and does a change records its outcome here (updated in place, replaced
and why, not updated and why, ...); :func:`limeade.plan` asks the same deciding code for its
prediction, :func:`limeade.refresh` reports what was recorded while it ran. The words come from
the Rust planner (``limeade_plan::Outcome``) so plan text, reports and logs agree.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

from . import _native

#: Outcome names as the planner spells them -> words for people.
OUTCOME_LABELS: dict[str, str] = dict(_native.labels()[2])

UPDATED = OUTCOME_LABELS["updated_in_place"]
ADDED = OUTCOME_LABELS["added"]
REPLACED = OUTCOME_LABELS["replaced"]
GRAFTED = OUTCOME_LABELS["grafted"]
KEPT_WITH_NEW_BASES = OUTCOME_LABELS["kept_with_new_bases"]
KEPT_WITH_NEW_SLOTS = OUTCOME_LABELS["kept_with_new_slots"]
RENAMED = OUTCOME_LABELS["renamed"]
RAN = OUTCOME_LABELS["ran"]
REBOUND = OUTCOME_LABELS["rebound"]
CLOSURE_UPDATED = OUTCOME_LABELS["closure_updated"]
NOT_UPDATED = OUTCOME_LABELS["not_updated"]
REMOVED = OUTCOME_LABELS["removed"]
CACHE_CLEARED = OUTCOME_LABELS["cache_cleared"]
MIGRATED = OUTCOME_LABELS["migrated"]
#: A prediction only: what only running the new code tells.
DECIDED_WHEN_RUN = OUTCOME_LABELS["decided_when_run"]

#: Why a name is replaced: what was bound is not the live object's new version.
NEW_OBJECT = "a new object was bound"
#: Why a changed ``if __name__ == "__main__":`` is left alone.
MAIN_GUARD = "never re-run: it would start the program again"
#: Why a changed module-level statement the module's top-level code is executing now (a
#: script's loop with no main guard) is left alone: running it again would start it over
#: inside the refresh.
RUNNING_STATEMENT = (
    "running now: the module's top-level code is executing it and goes on with the old "
    "version; a fresh start runs the new one"
)
#: Why a changed module-level statement below the one running now is left alone.
NOT_REACHED = (
    "not reached yet: the module's top-level code runs the old version when it gets there; "
    "a fresh start runs the new one"
)
#: Why a class attribute is left alone: setting it would run the metaclass's descriptor.
METACLASS_OWNS_NAME = "a data descriptor of the metaclass owns this name"
#: Why a statement in the body of a class a function makes is not updated: no live class is
#: that scope.
IN_FUNCTION_CLASS = (
    "in a class a function makes: classes made before keep it, the function's next call makes "
    "the new version"
)
#: Why a class a function makes is not updated itself (its methods are, as closures).
CLASS_IN_FUNCTION = (
    "made by a function: its next call makes the new class; methods of classes made before "
    "get the new code"
)
#: Why a definition added inside a function body exists only for the function's next calls.
INSIDE_FUNCTION_ADDED = "inside a function: its next call defines it"
#: Why a definition removed from a function body is still held by what earlier calls made.
INSIDE_FUNCTION_REMOVED = "inside a function: its next call no longer defines it"
#: Why a change the executors never acted on is reported as not updated.
NOTHING_DONE = "nothing was changed for it"


def possible_outcomes(why: str) -> frozenset[str]:
    """The outcomes a prediction "decided when the new code runs" leaves open: the ones its why
    names (``"updated in place if the decorators return this function, else replaced"``); a
    copy in an importer, whose why names none, is rebound or left as it is."""
    named = frozenset(
        o
        for o in OUTCOME_LABELS.values()
        if o != DECIDED_WHEN_RUN and re.search(rf"\b{re.escape(o)}\b", why)
    )
    return named or frozenset({REBOUND})


class Outcome(NamedTuple):
    """One decision: the outcome word and, where it says more, why (``"it became a generator
    function"``, ``"3 live closures"``)."""

    outcome: str
    why: str = ""

    def words(self) -> str:
        """``replaced (it became a generator function)``."""
        return f"{self.outcome} ({self.why})" if self.why else self.outcome


class OutcomeLog:
    """The outcomes decided for one module's changes, by change name (``f``, ``C.m``,
    ``C.x#2``, ``X, Y`` for a statement binding two names). A later decision for the same name
    replaces an earlier one: a definition first found in place and then replaced because its
    closure changed ends as replaced."""

    def __init__(self) -> None:
        self.by_name: dict[str, Outcome] = {}

    def record(self, name: str, outcome: str, why: str = "") -> None:
        self.by_name[name] = Outcome(outcome, why)

    def record_outcome(self, name: str, outcome: Outcome) -> None:
        """:meth:`record` with a decision already made (one shared by many changes)."""
        self.by_name[name] = outcome

    def get(self, name: str) -> Optional[Outcome]:
        """The outcome recorded for ``name``, or for the closest enclosing class recorded as a
        whole (members of a replaced, added, removed or grafted class share its outcome)."""
        found = self.by_name.get(name)
        if found is not None:
            return found
        owner = self.whole_class_of(name)
        return None if owner is None else Outcome(owner[1].outcome, f"with {owner[0]}")

    def whole_class_of(self, name: str) -> Optional[tuple[str, Outcome]]:
        """The closest class enclosing ``name`` whose outcome was recorded for it as a whole
        (replaced, added, removed, grafted), with that outcome: its members share it."""
        base = name.split("#", 1)[0]
        while "." in base:
            base = base.rsplit(".", 1)[0]
            outer = self.by_name.get(base)
            if outer is not None and outer.outcome in _WHOLE_CLASS:
                return base, outer
        return None


#: Outcomes of a class that its members share.
_WHOLE_CLASS = frozenset({ADDED, REPLACED, REMOVED, GRAFTED})


def kept_outcome(bases_changed: bool) -> str:
    """The outcome of a class kept in place although its statement conflicts: with new bases,
    else with new ``__slots__`` (the only other conflict a live class takes)."""
    return KEPT_WITH_NEW_BASES if bases_changed else KEPT_WITH_NEW_SLOTS
